"""Simulation jobs through the API: submit a case, poll, fetch probes and plots; bad cases are 422."""

from __future__ import annotations

import io
import time

import pandas as pd
import pytest

from fluxtrap.web.pages import EXAMPLE_CASE

from .conftest import auth


def wait(lab, job_id: int, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        job = lab.client.get(f"/api/simulations/{job_id}", headers=auth("rita")).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_submit_poll_and_fetch_results(lab):
    r = lab.client.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob"))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running") and (job["created_by"], job["probes"]) == (
        "bob",
        ["surface"],
    )
    early = lab.client.get(
        f"/api/simulations/{job['id']}/probes", headers=auth("rita")
    )  # the run takes ~2 s
    assert early.status_code == 409
    assert early.json()["detail"] in (
        f"simulation {job['id']} is queued",
        f"simulation {job['id']} is running",
    )
    job = wait(lab, job["id"])
    assert job["status"] == "done", job["error"]
    assert job["summary"]["probes"]["surface"]["final_T"] > 0.05  # field cooling traps flux
    cols = lab.client.get(f"/api/simulations/{job['id']}/probes", headers=auth("rita")).json()[
        "columns"
    ]
    assert list(cols) == ["time_s", "applied_T", "temperature_K", "surface_Bz_T"]
    assert cols["applied_T"][0] == 2.0 and cols["applied_T"][-1] == 0.0
    assert cols["surface_Bz_T"][-1] == pytest.approx(job["summary"]["probes"]["surface"]["final_T"])
    csv = lab.client.get(f"/api/simulations/{job['id']}/probes?format=csv", headers=auth("rita"))
    assert csv.headers["content-type"].startswith("text/csv")
    df = pd.read_csv(io.StringIO(csv.text))
    assert df["surface_Bz_T"].tolist() == pytest.approx(cols["surface_Bz_T"], rel=1e-8)
    figs = lab.client.get(f"/api/simulations/{job['id']}/plots", headers=auth("rita")).json()
    assert list(figs) == ["probes", "map-0", "map-1"]  # the end of the ramp and of the hold
    assert [t["type"] for t in figs["map-1"]["data"][:2]] == ["heatmap", "heatmap"]
    assert [j["id"] for j in lab.client.get("/api/simulations", headers=auth("rita")).json()] == [
        job["id"]
    ]


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
    ],
)
def test_bad_case_is_422_and_queues_nothing(lab, case, says):
    r = lab.client.post("/api/simulations", json={"case": case}, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert says in r.json()["detail"]
    assert lab.client.get("/api/simulations", headers=auth("rita")).json() == []


def test_unreadable_quantity_in_a_case_is_422(lab):
    r = lab.client.post(
        "/api/simulations",
        json={"case": EXAMPLE_CASE.replace('"10 mm"', '")"')},
        headers=auth("alice"),
    )
    assert r.status_code == 422 and "cannot read ')' as a quantity" in r.json()["detail"]


def test_a_run_that_fails_is_reported_not_lost(lab, monkeypatch):
    from fluxtrap.errors import SolverError
    from fluxtrap.simulate import Simulation

    def fail(self, progress=True):
        raise SolverError("Newton did not converge at t = 3 s")

    monkeypatch.setattr(Simulation, "run", fail)
    job = lab.client.post(
        "/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob")
    ).json()
    job = wait(lab, job["id"])
    assert (job["status"], job["error"]) == (
        "failed",
        "SolverError: Newton did not converge at t = 3 s",
    )
    assert job["finished_at"] is not None
    r = lab.client.get(f"/api/simulations/{job['id']}/plots", headers=auth("rita"))
    assert r.status_code == 409 and r.json()["detail"] == (
        f"simulation {job['id']} failed: SolverError: Newton did not converge at t = 3 s"
    )


def test_a_finished_job_survives_a_new_app_on_the_same_database(lab):
    from fastapi.testclient import TestClient

    from fluxtrap.store import Store
    from fluxtrap.web import create_app

    from .conftest import TOKENS, Lab

    job = lab.client.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("bob"))
    job = wait(lab, job.json()["id"])
    assert job["status"] == "done", job["error"]
    csv = lab.client.get(f"/api/simulations/{job['id']}/probes?format=csv", headers=auth("rita"))
    (rec,) = lab.store.simulations()  # stored, with what it was run from
    assert (rec.id, rec.created_by, rec.case_toml) == (job["id"], "bob", EXAMPLE_CASE)
    assert csv.content == lab.store.simulation(rec.id).probes_csv  # probes.csv as stored

    with TestClient(create_app(Store(lab.store.url))) as fresh:  # a restarted server
        again = fresh.get("/api/simulations", headers=auth("rita")).json()
        assert [(j["id"], j["status"], j["created_by"]) for j in again] == [
            (job["id"], "done", "bob")
        ]
        assert again[0]["summary"] == job["summary"] and again[0]["probes"] == ["surface"]
        r = fresh.get(f"/api/simulations/{job['id']}/probes?format=csv", headers=auth("rita"))
        assert r.content == csv.content
        figs = fresh.get(f"/api/simulations/{job['id']}/plots", headers=auth("rita")).json()
        assert list(figs) == ["probes"]  # the J/B maps were not stored, the traces were
        fresh.cookies.set("fluxtrap_token", TOKENS["rita"])
        assert f'href="/simulations/{job["id"]}"' in fresh.get("/simulations").text
        page = fresh.get(f"/simulations/{job['id']}")
        assert page.status_code == 200 and 'id="probes"' in page.text and "bob" in page.text
        # the next job is numbered after the stored one, and keeps its id once stored
        nxt = fresh.post("/api/simulations", json={"case": EXAMPLE_CASE}, headers=auth("alice"))
        assert nxt.json()["id"] == job["id"] + 1
        assert wait(Lab(lab.store, fresh), job["id"] + 1)["status"] == "done"
        assert [x.id for x in lab.store.simulations()] == [job["id"], job["id"] + 1]


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
