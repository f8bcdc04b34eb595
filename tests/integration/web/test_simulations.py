"""Simulation jobs through the API: submit a case, follow the job to its stored simulation, fetch
probes and plots; bad cases are 422; job ids never stand in for store ids."""

from __future__ import annotations

import io
import re
import time
import tomllib
from html import escape, unescape

import pandas as pd
import pytest

from fluxtrap.simulate.case import Case
from fluxtrap.units import estimate_text
from fluxtrap.web.auth import COOKIE
from fluxtrap.web.pages import EXAMPLE_CASE, example_case

from .conftest import auth, login


def wait(lab, job_id: int, timeout_s: float = 60) -> dict:
    """Poll ``/api/jobs/{job_id}`` until the job has finished."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = lab.client.get(f"/api/jobs/{job_id}", headers=auth("rita")).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_submit_follow_the_job_and_fetch_results(lab):
    r = lab.client.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob"))
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/api/jobs/{job['id']}"
    assert job["id"] == 1 and job["status"] in ("queued", "running")
    assert (job["created_by"], job["title"], job["simulation_id"], job["error"]) == (
        "bob", "Single bulk, FCM 2 T at 20 K", None, None,
    )  # fmt: skip
    assert lab.client.get("/api/simulations", headers=auth("rita")).json() == []  # run takes ~2 s
    job = wait(lab, job["id"])
    assert (job["status"], job["error"]) == ("done", None)
    assert job["finished_at"] is not None
    (rec,) = lab.store.simulations()  # the job's simulation_id is the stored row
    assert (job["simulation_id"], rec.created_by, rec.status) == (rec.id, "bob", "done")
    assert lab.store.simulation(rec.id).case_toml == EXAMPLE_CASE
    assert lab.client.get("/api/jobs", headers=auth("rita")).json() == [job]

    url = f"/api/simulations/{job['simulation_id']}"
    sim = lab.client.get(url, headers=auth("rita")).json()
    assert (sim["id"], sim["status"], sim["created_by"], sim["probes"]) == (
        rec.id, "done", "bob", ["surface"],
    )  # fmt: skip
    assert sim["summary"] == lab.store.simulation(rec.id).summary  # maps too
    assert sim["summary"]["probes"]["surface"]["final_T"] > 0.05  # field cooling traps flux
    cols = lab.client.get(f"{url}/probes", headers=auth("rita")).json()["columns"]
    assert list(cols) == ["time_s", "applied_T", "temperature_K", "surface_Bz_T"]
    assert cols["applied_T"][0] == 2.0 and cols["applied_T"][-1] == 0.0
    assert cols["surface_Bz_T"][-1] == pytest.approx(sim["summary"]["probes"]["surface"]["final_T"])
    csv = lab.client.get(f"{url}/probes?format=csv", headers=auth("rita"))
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content == lab.store.simulation(rec.id).probes_csv  # probes.csv as stored
    df = pd.read_csv(io.StringIO(csv.text))
    assert df["surface_Bz_T"].tolist() == pytest.approx(cols["surface_Bz_T"], rel=1e-8)
    figs = lab.client.get(f"{url}/plots", headers=auth("rita")).json()
    assert list(figs) == ["probes", "map-0", "map-1"]  # the end of the ramp and of the hold
    assert [t["type"] for t in figs["map-1"]["data"][:2]] == ["heatmap", "heatmap"]
    assert [s["id"] for s in lab.client.get("/api/simulations", headers=auth("rita")).json()] == [
        rec.id
    ]


def test_a_simulation_stored_by_another_writer_while_a_job_runs_keeps_its_id(lab):
    """A ``fluxtrap simulate --db`` on a lab PC stores a simulation while the web job runs: each
    keeps its own id and content, and both are reachable."""
    import tomli

    from fluxtrap.simulate.case import Case
    from fluxtrap.store import Store

    job = lab.client.post(
        "/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob")
    ).json()
    deadline = time.monotonic() + 30
    while lab.client.get(f"/api/jobs/{job['id']}", headers=auth("rita")).json()["status"] != (
        "running"
    ):  # the run and its figures take ~3 s in the job's process
        assert time.monotonic() < deadline
        time.sleep(0.05)

    other = Store(lab.store.url)  # another process's connection to the same database
    cli_case = EXAMPLE_CASE.replace("Single bulk", "From the lab PC")
    cli_csv = b"time_s,applied_T,temperature_K,surface_Bz_T\n0,2,20,2\n10,0,20,0.75\n"
    cli_summary = {"probes": {"surface": {"final_T": 0.75, "max_abs_T": 2.0}}}
    cli = other.add_simulation(
        Case.from_dict(tomli.loads(cli_case)), cli_case, summary=cli_summary,
        probes_csv=cli_csv, campaign="K-Ba122 SPS", created_by="carol",
    )  # fmt: skip
    assert cli.id == 1  # the first row in the store, while job 1 still runs
    assert lab.client.get(f"/api/jobs/{job['id']}", headers=auth("rita")).json()["status"] == (
        "running"
    )
    job = wait(lab, job["id"])
    assert (job["id"], job["status"]) == (1, "done")
    assert job["simulation_id"] == 2 != cli.id

    sims = lab.client.get("/api/simulations", headers=auth("rita")).json()
    assert [(s["id"], s["title"], s["created_by"], s["campaign"]) for s in sims] == [
        (1, "From the lab PC, FCM 2 T at 20 K", "carol", "K-Ba122 SPS"),
        (2, "Single bulk, FCM 2 T at 20 K", "bob", None),
    ]
    assert sims[0]["summary"] == cli_summary
    r = lab.client.get("/api/simulations/1/probes?format=csv", headers=auth("rita"))
    assert r.content == cli_csv  # the other writer's content, not the job's
    assert list(lab.client.get("/api/simulations/1/plots", headers=auth("rita")).json()) == [
        "probes"
    ]  # no J/B maps of the job's run under the other writer's id
    r = lab.client.get("/api/simulations/2/probes?format=csv", headers=auth("rita"))
    assert r.content == lab.store.simulation(2).probes_csv and r.content != cli_csv
    assert sims[1]["summary"]["probes"]["surface"]["final_T"] > 0.05
    assert list(lab.client.get("/api/simulations/2/plots", headers=auth("rita")).json()) == [
        "probes", "map-0", "map-1",
    ]  # fmt: skip

    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))  # the page follows the job
    r = lab.client.get(f"/jobs/{job['id']}", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/simulations/2")
    page = lab.client.get("/simulations/1").text
    assert "From the lab PC" in page and "carol" in page and 'id="map-1"' not in page
    page = lab.client.get("/simulations/2").text  # the last map drawn, the first on demand
    assert "Single bulk" in page and 'id="map-1"' in page and 'data-simulation="2"' in page
    assert 'id="map-0"' not in page and 'id="map-time"' in page
    # each probe with its error, and the trapped (own) field apart from the applied 2 T
    p = sims[1]["summary"]["probes"]["surface"]
    row = (
        f'<td class="num">{estimate_text(p["final_T"], p["final_error_T"])}</td>'
        f'<td class="num">{p["max_abs_T"]:.4g}</td>'
        f'<td class="num">{estimate_text(p["max_abs_self_T"], p["max_error_T"])}</td>'
    )
    assert row in page and p["max_abs_T"] == 2.0 > p["max_abs_self_T"]
    assert '<td class="num">0.75</td><td class="num">2</td><td class="num">–</td>' in (
        lab.client.get("/simulations/1").text
    )  # stored by a client that gave neither


def test_a_job_whose_process_is_starting_says_so(tmp_path):
    """Until a job's child process had loaded the solver (seconds) its page read "Run 0 through
    the protocol ...: simulated 0 s of 80 s"; it now says that the run is starting."""
    from fastapi.testclient import TestClient

    from fluxtrap.web import create_app

    from .conftest import make_store

    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    job = store.add_job("quick", EXAMPLE_CASE, "bob", per_user=3, total=50)
    assert store.claim_job("another-host:1:a").id == job.id  # running, on another server
    with TestClient(create_app(store)) as client:
        progress = [0.0, 0.0]  # as run_case's shared array holds it before the child starts
        client.app.state.jobs._progress[job.id] = (progress, 80.0)
        client.cookies.set(COOKIE, login(store, "bob"))
        said = re.search(
            r'<p id="job-progress">(.*?)</p>', client.get(f"/jobs/{job.id}").text, re.S
        )
        assert said[1].startswith("Starting: the job's process loads the solver")
        progress[:] = [1.0, 20.0]  # the first run, at 20 s of 80
        said = re.search(
            r'<p id="job-progress">(.*?)</p>', client.get(f"/jobs/{job.id}").text, re.S
        )
        assert said[1].startswith("Run 1 through the protocol") and "20 s of 80 s" in said[1]


def test_a_running_job_says_how_far_its_run_has_come(lab):
    """A job's page said "running" and nothing more for as long as the run took (an hour's
    case: an hour of "running"). While this server runs it, the job now says which run
    through the protocol it is in and the simulated time reached, of the protocol's 80 s."""
    job = lab.client.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob"))
    job_id = job.json()["id"]
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    seen, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:
        now = lab.client.get(f"/api/jobs/{job_id}", headers=auth("rita")).json()
        if now["status"] != "running":
            if seen or now["status"] != "queued":
                break
            continue
        if now["simulated_s"] and now["simulated_s"] > 0:
            seen.append((now["run"], now["simulated_s"], now["protocol_s"]))
            if len(seen) == 1:
                page = lab.client.get(f"/jobs/{job_id}").text
                assert 'id="job-progress"' in page and "of 80 s" in page
        time.sleep(0.05)
    assert seen, "no progress seen while the job ran"
    assert all(run >= 1 and 0 < t <= 80 and total == 80 for run, t, total in seen)
    done = wait(lab, job_id)
    assert done["status"] == "done" and done["simulated_s"] is None  # only while running


def test_unknown_job_is_404_and_readers_cannot_submit(lab):
    r = lab.client.get("/api/jobs/1", headers=auth("rita"))
    assert (r.status_code, r.json()["detail"]) == (404, "no job with id 1")
    r = lab.client.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("rita"))
    assert (r.status_code, r.json()["detail"]) == (403, "user 'rita' is a reader and cannot write")
    assert "location" not in r.headers
    assert lab.client.get("/api/jobs", headers=auth("rita")).json() == []
    assert lab.store.simulations() == []
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    r = lab.client.get("/jobs/7")
    assert r.status_code == 404 and "no job with id 7" in r.text


@pytest.mark.parametrize(
    "case, says",
    [
        ("title = ", "not valid TOML"),
        (EXAMPLE_CASE.replace('radius = "10 mm"', "radius = 10"), "stack[0].radius"),
        (
            EXAMPLE_CASE.replace(
                'jc.kim = { jc0 = "2e4 A/cm^2", b0 = "0.5 T" }', 'jc.csv = "/etc/passwd"'
            ),
            "refers to a file on the server",
        ),
        (EXAMPLE_CASE.replace('material = "bulk"', 'material = "steel"'), "steel"),
        (example_case(title="x" * 201), "title 'xxxx"),  # was queued: job lists show the title
        (example_case(title="FCM\u202e K 02"), "line 2, column 13: U+202E: bidi overrides"),
    ],
)
def test_bad_case_is_422_and_queues_nothing(lab, case, says):
    r = lab.client.post("/api/simulations", json={"case": case}, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert says in r.json()["detail"]
    assert lab.client.get("/api/jobs", headers=auth("rita")).json() == []
    assert lab.client.get("/api/simulations", headers=auth("rita")).json() == []


@pytest.mark.parametrize(
    "title", ["B1 \U0001f600 (K-Ba122 SPS)", 'a "quoted" \\ title', "two\nlines", "</textarea><b>"]
)
def test_the_form_s_case_carries_any_title_as_a_toml_string(title):
    """The form's title comes from sample and campaign names; Jinja's tojson wrote characters
    beyond U+FFFF as surrogate pairs, which TOML refuses: the form's case did not parse."""
    assert Case.from_toml("form.toml", example_case(title=title)).title == title


def test_unreadable_quantity_in_a_case_is_422(lab):
    r = lab.client.post(
        "/api/simulations",
        json={"case": EXAMPLE_CASE.replace('"10 mm"', '")"')},
        headers=auth("alice"),
    )
    assert r.status_code == 422 and "cannot read ')' as a quantity" in r.json()["detail"]


def test_a_run_that_fails_is_reported_not_lost(lab):
    """The case's own wall-time limit stops the solver: the job fails with the solver's error and
    the simulation is stored failed, with the probe traces up to the stop."""
    case = EXAMPLE_CASE.replace("[mesh]", '[solver]\nmax_wall = "0.001 s"\n\n[mesh]')
    job = lab.client.post("/api/simulations", json={"case": case}, headers=auth("bob")).json()
    job = wait(lab, job["id"])
    error = job["error"]
    assert job["status"] == "failed"
    assert error.startswith(
        "WallTimeError: wall-time limit [solver] max_wall = 0.001 s reached at t = "
    )
    assert job["finished_at"] is not None
    (rec,) = lab.store.simulations()  # stored as failed, with its error
    assert (job["simulation_id"], rec.status, rec.error) == (rec.id, "failed", error)
    sim = lab.client.get(f"/api/simulations/{rec.id}", headers=auth("rita")).json()
    assert (sim["status"], sim["error"]) == ("failed", error)
    assert sim["summary"]["case"]["title"] == "Single bulk, FCM 2 T at 20 K"  # what ran is kept
    probes = pd.read_csv(io.BytesIO(lab.store.simulation(rec.id).probes_csv))
    assert 0 < probes["time_s"].iloc[-1] < 80  # stopped inside the 80 s protocol
    r = lab.client.get(f"/api/simulations/{rec.id}/plots", headers=auth("rita"))
    assert r.status_code == 409 and r.json()["detail"] == f"simulation {rec.id} failed: {error}"
    # its page shows the error and the case that ran (it showed the title alone: which case
    # failed, and with what, was not to be seen)
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/simulations/{rec.id}").text
    shown = unescape(page.split('id="case-file"')[1].split("</details>")[0])
    assert "Case file (TOML, as it was run)" in shown and f"<pre>{case}</pre>" in shown
    assert unescape(error) in unescape(page)
    assert re.search(r"recorded by bob at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)


def test_a_long_case_file_is_shown_cut_saying_so(lab, monkeypatch):
    """A case stored by ``fluxtrap simulate --db`` may be longer than the page shows."""
    from fluxtrap.web import pages

    monkeypatch.setattr(pages, "SHOWN_CASE", 100)
    case = Case.from_dict(tomllib.loads(EXAMPLE_CASE))
    csv = b"time_s,applied_T,temperature_K,surface_Bz_T\n0,2,20,2\n10,0,20,0.75\n"
    rec = lab.store.add_simulation(case, EXAMPLE_CASE, summary={"probes": {}}, probes_csv=csv)
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    shown = lab.client.get(f"/simulations/{rec.id}").text.split('id="case-file"')[1]
    cut = f"the first 100 of {len(EXAMPLE_CASE)} characters"
    assert cut in shown and f"<pre>{escape(EXAMPLE_CASE[:100], quote=False)}</pre>" in shown


@pytest.mark.parametrize(
    ("probes", "heat", "says"),
    [
        (b"time_s,applied_T,temperature_K,surface_Bz_T\n", b"", "Hall probes: probes.csv holds "
         "no time step (only its header)"),
        (b"time_s;applied_T\n0;2\n", b"", "Hall probes: probes.csv has no column time_s, "
         "applied_T"),
        (b"time_s,applied_T\n0,2\n", b"time_s,max_T_K,mean_T_K\n", "Temperature: heat.csv "
         "holds no time step (only its header)"),
        (b"time_s,applied_T\n0,2\n", b'"a\n', "Temperature: heat.csv cannot be read: "),
    ],
)  # fmt: skip
def test_a_stored_simulation_with_empty_or_damaged_tables_says_so_on_its_figures(
    lab, probes, heat, says
):
    """A probes.csv of its header alone was a 500 on the figures (API and page): an empty figure
    whose title says why, the rest of the page as usual."""
    case = Case.from_dict(tomllib.loads(EXAMPLE_CASE))
    rec = lab.store.add_simulation(
        case, EXAMPLE_CASE, summary={"probes": {}}, probes_csv=probes, heat_csv=heat
    )
    r = lab.client.get(f"/api/simulations/{rec.id}/plots", headers=auth("rita"))
    assert r.status_code == 200, r.text
    titles = [f["layout"]["title"]["text"] for f in r.json().values()]
    assert any(t.startswith(says) for t in titles), titles
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/simulations/{rec.id}")
    assert page.status_code == 200 and says in unescape(page.text)


def test_a_result_the_store_refuses_fails_the_job(lab, monkeypatch):
    from fluxtrap.errors import FluxtrapError
    from fluxtrap.store import Store

    def refuse(self, *args, **kwargs):
        raise FluxtrapError("database is unreachable")

    monkeypatch.setattr(Store, "add_simulation", refuse)
    job = lab.client.post(
        "/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob")
    ).json()
    job = wait(lab, job["id"])
    assert (job["status"], job["error"], job["simulation_id"]) == (
        "failed", "not stored: database is unreachable", None,
    )  # fmt: skip
    assert lab.client.get("/api/simulations", headers=auth("rita")).json() == []
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/jobs/{job['id']}", follow_redirects=False)
    assert page.status_code == 200 and "not stored: database is unreachable" in page.text
    assert "data-poll" not in page.text
    assert f'href="/jobs/{job["id"]}"' in lab.client.get("/simulations").text


def test_a_job_cancelled_while_its_result_is_stored_leaves_nothing_stored(lab, monkeypatch):
    """The cancel lands after the worker saw the job running and before its result reached
    the store: the simulation was stored all the same, under a job that says cancelled."""
    from fluxtrap.store import Store

    store_it = Store.add_simulation

    def cancel_first(self, *args, **kwargs):
        (running,) = self.jobs("running")
        self.cancel_job(running.id, "bob")
        return store_it(self, *args, **kwargs)

    monkeypatch.setattr(Store, "add_simulation", cancel_first)
    job = lab.client.post(
        "/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob")
    ).json()
    deadline = time.monotonic() + 60
    while lab.store.job(job["id"]).status == "queued" or (
        lab.store.job(job["id"]).status == "running" and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    time.sleep(1.0)  # what the worker does after the cancel
    assert lab.store.job(job["id"]).status == "cancelled"
    assert lab.store.simulations() == []


def test_a_finished_job_survives_a_new_app_on_the_same_database(lab):
    from fastapi.testclient import TestClient

    from fluxtrap.store import Store
    from fluxtrap.web import create_app

    from .conftest import Lab

    job = lab.client.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob"))
    job = wait(lab, job.json()["id"])
    assert job["status"] == "done", job["error"]
    sim_id = job["simulation_id"]
    csv = lab.client.get(f"/api/simulations/{sim_id}/probes?format=csv", headers=auth("rita"))
    summary = lab.client.get(f"/api/simulations/{sim_id}", headers=auth("rita")).json()["summary"]
    figs = lab.client.get(f"/api/simulations/{sim_id}/plots", headers=auth("rita")).json()
    assert list(figs) == ["probes", "map-0", "map-1"]

    with TestClient(create_app(Store(lab.store.url))) as fresh:  # a restarted server
        assert fresh.get("/api/jobs", headers=auth("rita")).json() == [job]  # the store's queue
        assert fresh.get(f"/api/jobs/{job['id']}", headers=auth("rita")).json() == job
        again = fresh.get("/api/simulations", headers=auth("rita")).json()
        assert [(j["id"], j["status"], j["created_by"]) for j in again] == [(sim_id, "done", "bob")]
        assert again[0]["probes"] == ["surface"]  # the list leaves the maps' numbers out
        assert again[0]["summary"] == {k: v for k, v in summary.items() if k != "maps"}
        r = fresh.get(f"/api/simulations/{sim_id}/probes?format=csv", headers=auth("rita"))
        assert r.content == csv.content
        # the J/B maps are stored with the simulation: the restarted server draws the same
        assert fresh.get(f"/api/simulations/{sim_id}/plots", headers=auth("rita")).json() == figs
        assert len(summary["maps"]["shown"]) == summary["maps"]["of"] == 2
        fresh.cookies.set(COOKIE, login(lab.store, "rita"))
        assert f'href="/simulations/{sim_id}"' in fresh.get("/simulations").text
        page = fresh.get(f"/simulations/{sim_id}")
        assert page.status_code == 200 and "bob" in page.text
        assert 'id="probes"' in page.text and 'id="map-1"' in page.text
        # job ids go on from the store's: an old id never points at a new job
        nxt = fresh.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("alice"))
        assert (nxt.json()["id"], nxt.headers["location"]) == (2, "/api/jobs/2")
        done = wait(Lab(lab.store, fresh), 2)
        assert (done["status"], done["simulation_id"]) == ("done", sim_id + 1)
        assert [(x.id, x.created_by) for x in lab.store.simulations()] == [
            (sim_id, "bob"), (sim_id + 1, "alice"),
        ]  # fmt: skip


def test_simulations_recorded_elsewhere_are_listed(lab):
    import tomli

    from fluxtrap.simulate.case import Case

    case = EXAMPLE_CASE.replace("Single bulk", "From the CLI")
    rec = lab.store.add_simulation(
        Case.from_dict(tomli.loads(case)), case, error="SolverError: stopped",
        campaign="K-Ba122 SPS",
    )  # fmt: skip
    (j,) = lab.client.get("/api/simulations", headers=auth("rita")).json()
    assert (j["id"], j["status"], j["campaign"], j["created_by"]) == (
        rec.id, "failed", "K-Ba122 SPS", None,
    )  # fmt: skip
    r = lab.client.get(f"/api/simulations/{rec.id}/probes", headers=auth("rita"))
    assert r.status_code == 409 and r.json()["detail"] == (
        f"simulation {rec.id} failed: SolverError: stopped"
    )
    assert lab.client.get("/api/simulations/99", headers=auth("rita")).status_code == 404


def test_a_job_the_server_cannot_start_fails_and_the_worker_goes_on(lab, monkeypatch):
    from fluxtrap.web import jobs

    def no_fork(*args, **kwargs):
        raise OSError("Resource temporarily unavailable (fork)")

    monkeypatch.setattr(jobs, "Child", no_fork)
    ids = [
        lab.client.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth(u)).json()[
            "id"
        ]
        for u in ("alice", "bob")
    ]
    for job_id in ids:  # both ended: the worker thread survived the first
        job = wait(lab, job_id)
        assert (job["status"], job["error"], job["simulation_id"]) == (
            "failed",
            "the server could not run it: OSError: Resource temporarily unavailable (fork)",
            None,
        )


RING_CASE = """title = "Ring with a bore"
[materials.sc]
n = 35
jc.constant = "1e4 A/cm^2"
[[stack]]
material = "sc"
radius = "10 mm"
inner_radius = "5 mm"
thickness = "6 mm"
[[protocol]]
step = "set"
field = "2 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "0.05 T/s"
[[protocol]]
step = "hold"
duration = "300 s"
[mesh]
size = "2 mm"
[bore]
dsv = "4 mm"
"""


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_a_stored_simulation_shows_its_bore(lab):
    """A ring with a [bore], run and stored as `fluxtrap simulate --db` does: its page shows the
    centre field, homogeneity, drift and the axial terms, and its plots the bore profiles (from
    the stored summary alone: this server did not run it)."""
    import tomli

    from fluxtrap.simulate import Case, simulate
    from fluxtrap.workflows.simulations import record_simulation

    case = Case.from_dict(tomli.loads(RING_CASE))
    result = simulate(case)
    rec = record_simulation(lab.store, case, RING_CASE, result)
    bore = lab.store.simulation(rec.id).summary["bore"]
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    html = lab.client.get(f"/simulations/{rec.id}").text
    # each number ± its error rounded alike (the drift read "%.3g ± %.2g", the centre "%.6g T ± %.2g")
    error = lab.store.simulation(rec.id).summary["accuracy"]["bore"]
    assert 'id="bore-summary"' in html
    assert f"{estimate_text(bore['centre_T'], error['centre_error_T'])} T</td>" in html
    assert (
        f"{estimate_text(bore['homogeneity_ppm'], error['homogeneity_error_ppm'])} ppm</td>" in html
    )
    assert f"{estimate_text(bore['drift_ppm_per_h'], error['drift_error_ppm_per_h'])} ppm/h" in html
    assert f"{bore['axial_coefficients']['z2']['ppm_at_dsv']:.4g}" in html
    # each term's discretization error (summary accuracy.bore) beside it: the page had none
    terms_error = lab.store.simulation(rec.id).summary["accuracy"]["bore"]["axial_terms_error_ppm"]
    row = re.search(r"<tr><td>z2</td>(.*?)</tr>", html.split('id="bore-terms"')[1]).group(1)
    assert f'<td class="num">{terms_error["z2"]:.2g}</td>' in row, row
    # the temperature block (K): 5 K throughout, the constant Jc taken as given there
    temperature = html.split('id="temperature-summary"')[1].split("</section>")[0]
    assert "5 K throughout" in temperature and "Jc of sc as given" in temperature, temperature
    figs = lab.client.get(f"/api/simulations/{rec.id}/plots", headers=auth("rita")).json()
    assert list(figs) == ["probes", "bore"]
    axial = figs["bore"]["data"][0]
    assert len(axial["x"]) == len(bore["profiles"]["axial_z_m"]) and max(axial["y"]) <= 1e-6


def test_a_stored_bore_without_error_estimates_still_shows(lab):
    """A summary with a bore but no accuracy.bore (stored by another client, or before the
    estimates): the page was a 500 ('dict object' has no attribute 'centre_error_T'); now the
    numbers show and each estimate is left out."""
    import tomli

    case = Case.from_dict(tomli.loads(RING_CASE))
    coefficients = {
        "z0": {"T_per_m^n": 0.5, "ppm_at_dsv": 1e6},
        "z2": {"T_per_m^n": 3.0, "ppm_at_dsv": 24.0},
    }
    bore = {"dsv_m": 0.004, "center_z_m": 0.003, "centre_T": 0.5, "homogeneity_ppm": 12.0,
            "drift_ppm_per_h": None, "axial_coefficients": coefficients}  # fmt: skip
    summary = {"probes": {}, "bore": bore}
    rec = lab.store.add_simulation(case, RING_CASE, summary=summary, probes_csv=b"time_s\n0\n")
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    r = lab.client.get(f"/simulations/{rec.id}")
    assert r.status_code == 200, r.text[-2000:]
    assert "0.5 T</td>" in r.text and "12 ppm</td>" in r.text and "24</td>" in r.text


def test_the_simulations_list_is_paged_from_the_newest(lab):
    """Each listed simulation carries its summary, so a list of every one grew without bound:
    the newest ``limit`` (at most 500) after the ``offset`` newest, in id order."""
    import tomli

    from fluxtrap.web.jobs import MAX_LISTED

    case = Case.from_dict(tomli.loads(EXAMPLE_CASE))
    csv = b"time_s,applied_T,temperature_K,surface_Bz_T\n0,2,20,2\n"
    for who in ("ana", "bob", "carol"):
        summary = {"probes": {"surface": {"final_T": 2.0}}}
        lab.store.add_simulation(
            case, EXAMPLE_CASE, summary=summary, probes_csv=csv, created_by=who
        )

    def listed(query: str = "") -> list[str]:
        r = lab.client.get(f"/api/simulations{query}", headers=auth("rita"))
        assert r.status_code == 200, r.text
        return [s["created_by"] for s in r.json()]

    assert listed() == ["ana", "bob", "carol"]
    assert listed("?limit=2") == ["bob", "carol"]
    assert listed("?limit=2&offset=1") == ["ana", "bob"]
    assert listed("?offset=3") == []
    r = lab.client.get("/api/simulations?limit=2", headers=auth("rita"))  # 'ana' is older
    assert {rel: x["url"] for rel, x in r.links.items()} == {
        "next": "/api/simulations?limit=2&offset=2"
    }
    for bad in ("limit=0", f"limit={MAX_LISTED + 1}", "offset=-1", "limit=x"):
        r = lab.client.get(f"/api/simulations?{bad}", headers=auth("rita"))
        assert r.status_code == 422, (bad, r.text)
        assert bad.split("=")[0] in r.text


def test_probe_fields_and_temperatures_have_the_digits_of_their_errors(lab):
    """The demo magnet's page gave its centre probe as 2.743 beside ± 0.0079 T, a temperature as
    5.123 beside ± 0.00042 K: the value's digits disagreed with its error, and its own field's
    maximum 3.009 T had none though the run's largest error is stored. Each now reads value ±
    error rounded alike (``estimate_text``); a probe stored without an error, 4 digits alone."""
    import tomli

    case = Case.from_dict(tomli.loads(RING_CASE))
    probes = {"center": {"final_T": 2.7433980328, "final_error_T": 0.0079175508, "max_abs_T": 7.0,
                         "max_abs_self_T": 3.0092075, "max_error_T": 0.0108549988},
              "rim": {"final_T": 2.2342185, "max_abs_T": 7.0}}  # fmt: skip
    thermal = {"model": "heat", "max_T_K": 5.1234567, "max_T_error_K": 0.00042,
               "probes": {"rim": {"final_K": 5.0213, "final_error_K": 0.013}}}  # fmt: skip
    csv = b"time_s,applied_T,temperature_K,bore_centre_Bz_T\n0,0,5,0\n"
    summary = {"probes": probes, "thermal": thermal}
    rec = lab.store.add_simulation(case, RING_CASE, summary=summary, probes_csv=csv)
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    html = lab.client.get(f"/simulations/{rec.id}").text
    cells = re.findall(r'<td class="num">([^<]*)</td>', html)
    pairs = [c.partition(" ± ")[::2] for c in cells if " ± " in c]
    assert len(pairs) == 4, cells  # the centre probe (final, own max), hottest and rim T
    for value, error in pairs:
        assert len(value.partition(".")[2]) == len(error.partition(".")[2]), (value, error)
        assert len(error.replace(".", "").lstrip("0")) == 2, (value, error)
    assert "2.7434 ± 0.0079" in cells and "3.009 ± 0.011" in cells and "2.234" in cells


def test_a_stored_bore_with_null_numbers_shows_dashes(lab):
    """A bore whose centre field is 0 (zero-field cooled: no current) stores its ppm numbers and
    their error estimates as null, and a DSV so small that C_n / R^n overflows stores its T/m^n
    terms as null (Infinity made summary.json invalid JSON): the page shows "-" for each (it
    answered 500: "%.2g" of None)."""
    import tomli

    case = Case.from_dict(tomli.loads(RING_CASE))
    bore = {"dsv_m": 4e-3, "center_z_m": 3e-3, "centre_T": 0.0, "homogeneity_ppm": None,
            "drift_ppm_per_h": None,
            "axial_coefficients": {"z0": {"T_per_m^n": 0.0, "ppm_at_dsv": None},
                                   "z2": {"T_per_m^n": None, "ppm_at_dsv": None}}}  # fmt: skip
    summary = {"probes": {}, "bore": bore, "accuracy": {"bore": {"centre_error_T": 0.0,
                                                   "homogeneity_error_ppm": None}}}  # fmt: skip
    csv = b"time_s,applied_T,temperature_K,bore_centre_Bz_T\n0,0,5,0\n"
    rec = lab.store.add_simulation(case, RING_CASE, summary=summary, probes_csv=csv)
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/simulations/{rec.id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="bore-summary"' in html and "0 ± 0 T</td>" in html and "- ppm</td>" in html
    assert '<td>z2</td><td class="num">-</td>' in html


@pytest.mark.parametrize(
    "probe",
    [
        {"final_T": 1.25},
        {"final_T": None, "max_abs_T": None},
        {"final_T": 1.25, "max_abs_T": None},
        {},
    ],
)
def test_a_stored_probe_with_null_or_missing_numbers_shows_dashes(lab, probe):
    """A backup's summary may hold a probe's numbers as null or leave them out (restore's schema
    takes both): the simulation's page answered 500 ("%.4g" of None or of undefined)."""
    import tomli

    case = Case.from_dict(tomli.loads(EXAMPLE_CASE))
    csv = b"time_s,applied_T,temperature_K,surface_Bz_T\n0,1,20,0\n1,0,20,0.5\n"
    rec = lab.store.add_simulation(
        case, EXAMPLE_CASE, summary={"probes": {"surface": probe}}, probes_csv=csv
    )
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/simulations/{rec.id}")
    assert page.status_code == 200, page.text[-300:]
    row = re.search(r"<tr><td>surface</td>(.*?)</tr>", page.text)[1]
    final = "1.25" if probe.get("final_T") else "-"
    assert row == f'<td class="num">{final}</td><td class="num">-</td><td class="num">–</td>'


@pytest.mark.filterwarnings("ignore:accuracy target", "ignore:materials.sc.jc")
def test_a_stored_heat_run_shows_its_temperatures_with_their_errors(lab):
    """A heat run stored as `fluxtrap simulate --db` does: its page showed no temperature and the
    store had dropped heat.csv; now a Temperatures card (values ± the pair's estimate) and a
    heat figure drawn from the stored heat.csv (this server did not run it)."""
    import tomli

    from fluxtrap.simulate import Case, simulate
    from fluxtrap.workflows.simulations import record_simulation

    from ..test_simulate_heat_cli import CASE

    case = Case.from_dict(tomli.loads(CASE))
    result = simulate(case, progress=False)
    rec = record_simulation(lab.store, case, CASE, result)
    stored = lab.store.simulation(rec.id)
    assert stored.heat_csv == result.heat_csv() != b""
    th = stored.summary["thermal"]
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    html = lab.client.get(f"/simulations/{rec.id}").text
    assert 'id="thermal-summary"' in html
    assert f'<td class="num">{estimate_text(th["max_T_K"], th["max_T_error_K"])}</td>' in html
    rim = th["probes"]["rim"]
    assert f'<td class="num">{estimate_text(rim["final_K"], rim["final_error_K"])}</td>' in html
    figs = lab.client.get(f"/api/simulations/{rec.id}/plots", headers=auth("rita")).json()
    assert list(figs) == ["probes", "heat"]
    hottest = figs["heat"]["data"][0]
    assert max(hottest["y"]) == pytest.approx(th["max_T_K"]) and hottest["name"] == "hottest"
    url = f"/api/simulations/{rec.id}/heat"
    assert 'id="heat-csv"' in html
    assert lab.client.get(f"{url}?format=csv", headers=auth("rita")).content == stored.heat_csv
    columns = lab.client.get(url, headers=auth("rita")).json()["columns"]
    assert columns["max_T_K"] == pytest.approx(result.heat.max_T_K.tolist())
    cold = lab.store.add_simulation(  # done, isothermal: no heat.csv
        Case.from_dict(tomli.loads(EXAMPLE_CASE)), EXAMPLE_CASE,
        summary={"probes": {}}, probes_csv=b"time_s\n0\n",
    )  # fmt: skip
    r = lab.client.get(f"/api/simulations/{cold.id}/heat", headers=auth("rita"))
    assert r.status_code == 404 and "no heat history" in r.json()["detail"]


def test_what_a_job_s_case_and_run_warned_of_is_stored_and_shown(lab):
    """A case whose Jc table ends at 1 T below the 2 T applied, with its probe inside the bulk, run
    on a 1 mm mesh that misses the 1 % target (3.4 % estimated): `fluxtrap simulate` prints
    the three warnings; a job's went to no one, and its page showed none. Now they are in the
    stored summary (`warnings`) and on the simulation's page."""
    table = 'jc.table = { field = [0, 0.5, 1], field_unit = "T", jc = [2e4, 1.5e4, 1.2e4], jc_unit = "A/cm^2" }'
    case = example_case(jc=table).replace('z = "5.5 mm"', 'z = "2.5 mm"')
    r = lab.client.post("/api/simulations", json={"case": case}, headers=auth("bob"))
    assert r.status_code == 202, r.text
    job = wait(lab, r.json()["id"])
    assert (job["status"], job["error"]) == ("done", None)
    sim = lab.client.get(f"/api/simulations/{job['simulation_id']}", headers=auth("rita")).json()
    said = sim["summary"]["warnings"]
    assert [w.split(" ")[0] for w in said] == ["probe", "materials.bulk.jc:", "accuracy"]
    assert "inside the superconductor 'bulk'" in said[0]
    assert said[1].startswith("materials.bulk.jc: the table ends at 1 T, below the 2 T")
    assert said[2] == sim["summary"]["accuracy"]["note"]
    assert said[2].startswith("accuracy target 1 % not reached")
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/simulations/{job['simulation_id']}").text
    shown = re.search(r'<ul class="warn" id="run-warnings">(.*?)</ul>', page, re.S).group(1)
    assert [unescape(li) for li in re.findall(r"<li>(.*?)</li>", shown)] == said


def test_the_simulations_list_shows_each_finished_run_s_trapped_field_with_its_error(lab):
    """The simulations list gave title, status and who, not what a run trapped: each finished
    simulation's main probe (its case's first) now shows its final Bz ± the estimated
    discretization error, rounded alike, named; a failed run and one without the probe a dash."""
    import tomli

    case = Case.from_dict(tomli.loads(EXAMPLE_CASE))
    first = case.probes[0].name
    summary = {"probes": {first: {"final_T": 2.7433980328, "final_error_T": 0.0079175508}}}
    done = lab.store.add_simulation(case, EXAMPLE_CASE, summary=summary, probes_csv=b"time_s\n0\n")
    bare = lab.store.add_simulation(case, EXAMPLE_CASE, summary={"probes": {}}, probes_csv=b"x\n")
    failed = lab.store.add_simulation(case, EXAMPLE_CASE, error="SolverError: stopped")
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    html = lab.client.get("/simulations").text
    rows = dict(re.findall(r'<tr><td><a href="/simulations/(\d+)">(.*?)</tr>', html, re.S))
    rows = {int(k): v for k, v in rows.items()}
    cell = lambda i: re.search(r'<td class="num trapped">(.*?)</td>', rows[i], re.S)[1]  # noqa: E731
    assert unescape(re.sub("<[^>]+>", "", cell(done.id))) == f"2.7434 ± 0.0079 ({first})"
    assert cell(bare.id) == cell(failed.id) == "–"
    assert 'class="status-done">done' in rows[done.id]
    assert 'class="status-failed">failed' in rows[failed.id]


def test_the_simulations_list_leaves_the_maps_numbers_to_each_simulation(lab):
    """A stored summary may keep its J/B maps' numbers (the demo's: about 115 kB a map, up to
    MAX_MAPS); the list carried every summary whole, so a page of simulations could be many MB.
    The list leaves ``maps`` out; the simulation's own GET keeps it."""
    import tomli

    case = Case.from_dict(tomli.loads(EXAMPLE_CASE))
    maps = {"of": 1, "shown": [{"time_s": 1.0, "B_T": [[0.5] * 40] * 40}]}
    summary = {"probes": {case.probes[0].name: {"final_T": 1.2}}, "maps": maps}
    rec = lab.store.add_simulation(case, EXAMPLE_CASE, summary=summary, probes_csv=b"time_s\n0\n")
    (listed,) = lab.client.get("/api/simulations", headers=auth("rita")).json()
    assert listed["summary"] == {"probes": summary["probes"]}
    got = lab.client.get(f"/api/simulations/{rec.id}", headers=auth("rita")).json()
    assert got["summary"]["maps"] == maps


def test_the_simulations_lists_are_paged_and_take_a_heavy_work_turn(lab, monkeypatch):
    """The database parses each listed summary (about 15 ms of CPU for one of 50 J/B maps): the
    page listed the newest 500 (7.5 s), the API up to 500, neither in a heavy-work turn. The page
    lists PAGE_SIMULATIONS (50) now, with older / newer links keeping its query, the API at most
    MAX_LISTED (100), each in a turn of the heavy-work gate."""
    import tomli

    from fluxtrap.web.jobs import MAX_LISTED
    from fluxtrap.web.pages import PAGE_SIMULATIONS

    case = Case.from_dict(tomli.loads(EXAMPLE_CASE))
    ids = [
        lab.store.add_simulation(case, EXAMPLE_CASE, error="SolverError: stopped").id
        for _ in range(PAGE_SIMULATIONS + 1)
    ]
    heavy, turns = lab.client.app.state.heavy, []
    real = heavy.turn
    monkeypatch.setattr(heavy, "turn", lambda what, who: turns.append(what) or real(what, who))
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))

    def listed(address: str) -> tuple[list[int], dict[str, str]]:
        html = lab.client.get(address).text
        rows = re.findall(r'<tr><td><a href="/simulations/(\d+)">', html)
        links = dict(re.findall(r'<a id="(older|newer)-simulations" href="([^"]+)"', html))
        return [int(i) for i in rows], {k: unescape(v) for k, v in links.items()}

    rows, links = listed("/simulations")
    assert (rows, links) == (ids[1:], {"older": f"/simulations?offset={PAGE_SIMULATIONS}"})
    assert listed(links["older"]) == ([ids[0]], {"newer": "/simulations?offset=0"})
    rows, links = listed("/simulations?limit=20&offset=20")
    assert rows == ids[-40:-20]
    assert links == {
        "older": "/simulations?offset=40&limit=20",
        "newer": "/simulations?offset=0&limit=20",
    }
    r = lab.client.get(f"/simulations?limit={MAX_LISTED + 1}")
    assert r.status_code == 422 and "limit" in r.text
    assert lab.client.get("/api/simulations", headers=auth("rita")).status_code == 200
    r = lab.client.get(f"/api/simulations?limit={MAX_LISTED + 1}", headers=auth("rita"))
    assert r.status_code == 422 and "limit" in r.text
    assert turns == ["list the simulations"] * 4


def test_a_simulation_page_draws_its_last_map_and_fetches_another_on_demand(lab, monkeypatch):
    """Each view of a stored simulation drew every J/B map it keeps (50: 2.9 s of CPU, a 5.7 MB
    page); the page draws the last now, with a picker of the maps' times whose choice is fetched
    from /api/simulations/ID/maps/INDEX, the figure /plots gives for it."""
    import tomli

    from fluxtrap.web import plots

    case = Case.from_dict(tomli.loads(EXAMPLE_CASE))
    grid = {"r_mm": [0.0, 1.0], "z_mm": [0.0, 1.0], "J_A_cm2": [[1.0, None], [2.0, 3.0]],
            "B_r_mm": [0.0, 2.0], "B_z_mm": [0.0, 2.0], "B_T": [[0.1, 0.2], [0.3, 0.4]],
            "applied_T": 0.0, "temperature_K": 20.0, "layers": [[0, 1, 0, 1]], "probes": []}  # fmt: skip
    maps = {"of": 50, "shown": [{**grid, "time_s": 2.0 * i} for i in range(50)]}
    summary = {"probes": {}, "maps": maps}
    rec = lab.store.add_simulation(case, EXAMPLE_CASE, summary=summary, probes_csv=b"time_s\n0\n")
    drawn = []
    real = plots.map_figure
    monkeypatch.setattr(
        plots, "map_figure", lambda data: drawn.append(data["time_s"]) or real(data)
    )
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/simulations/{rec.id}").text
    assert drawn == [98.0]  # the last map only
    assert re.findall(r'id="(map-\d+)"', page) == ["map-49"]
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', page)
    assert [(int(i), t) for i, _, t in options] == [(i, f"{2 * i:g} s") for i in range(50)]
    assert [i for i, chosen, _ in options if chosen] == ["49"]
    every = lab.client.get(f"/api/simulations/{rec.id}/plots", headers=auth("rita")).json()
    drawn.clear()
    for i in (0, 17, 49):
        r = lab.client.get(f"/api/simulations/{rec.id}/maps/{i}", headers=auth("rita"))
        assert r.status_code == 200 and r.json() == every[f"map-{i}"]
    assert drawn == [0.0, 34.0, 98.0]
    r = lab.client.get(f"/api/simulations/{rec.id}/maps/50", headers=auth("rita"))
    assert r.status_code == 404 and "keeps 50 J/B maps (0 to 49): no map 50" in r.text
