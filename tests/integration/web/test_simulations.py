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
