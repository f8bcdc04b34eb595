"""Asking the optimizer for suggestions through the API (BoTorch behind it)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

from fluxtrap.campaign import CampaignSpec
from fluxtrap.web.auth import COOKIE

from ...conftest import mark_failed_with_values
from .conftest import NAME, add_measured_samples, auth
from .test_api import C, snapshot


def test_ask_for_two_suggestions(lab):
    add_measured_samples(lab.store)
    r = lab.client.post(f"{C}/suggestions", json={"n": 2, "seed": 7}, headers=auth("bob"))
    assert r.status_code == 201, r.text
    got = r.json()
    assert [(s["status"], s["seed"], s["created_by"]) for s in got] == [("open", 7, "bob")] * 2
    spec = lab.store.campaign(NAME)
    measured = [x.params for x in lab.store.samples(NAME)]
    for s in got:
        assert spec.check_params(s["params"]) == s["params"]  # in bounds, on the step grid
        assert s["params"] not in measured
    assert got[0]["params"] != got[1]["params"]
    listed = lab.client.get(f"{C}/suggestions?status=open", headers=auth("rita")).json()
    assert [s["id"] for s in listed] == [s["id"] for s in got]
    # the model's prediction at each, as stored (A/m^2): what the dashboard shows as mean ± std
    for s, x in zip(got, lab.store.suggestions(NAME, status="open"), strict=True):
        assert s["prediction"] == x.model_summary["prediction"]
        assert s["prediction"]["jc_3T"]["std"] > 0 and s["prediction"]["jc_3T"]["mean"] > 1e7


def test_campaign_without_objectives_cannot_be_optimised(lab):
    spec = CampaignSpec.from_dict(
        {"name": "no goal", "parameters": [{"name": "x", "low": 0, "high": 1}]}
    )
    lab.store.create_campaign(spec)
    before = snapshot(lab)
    r = lab.client.post("/api/campaigns/no%20goal/suggestions", json={"n": 1}, headers=auth("bob"))
    assert r.status_code == 422 and "has no objective" in r.json()["detail"]
    assert snapshot(lab) == before and lab.store.suggestions("no goal") == []


def test_a_campaign_with_a_fine_step_grid_takes_its_own_suggestions(lab):
    """A step of 1e-9 degC over 450..750 (3e11 steps, within the 2**53 a campaign may have): the
    grid check asked k within 1e-6 of a whole number, finer than a float near 600 holds, and
    refused most points snap_to_grid gave: suggest failed on its own 'suggestion 1'."""
    body = {
        "name": "fine",
        "parameters": [{"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1e-9}],
        "objectives": [{"name": "y"}],
    }
    assert lab.client.post("/api/campaigns", json=body, headers=auth("bob")).status_code == 201
    r = lab.client.post(
        "/api/campaigns/fine/suggestions", json={"n": 10, "seed": 1}, headers=auth("bob")
    )
    assert r.status_code == 201, r.text
    spec = lab.store.campaign("fine")
    for s in r.json():
        assert spec.check_params(s["params"]) == s["params"]
    # a point half a step off the grid is still refused
    r = lab.client.post(
        "/api/campaigns/fine/samples",
        json={"label": "S1", "params": {"t": 600.0000000005}},
        headers=auth("bob"),
    )
    assert r.status_code == 422 and "off the step grid" in r.json()["detail"], r.text


def test_more_pending_points_than_the_optimizer_takes_are_refused_before_a_fit(lab):
    """The batch acquisition conditions on every pending point jointly: the model page of a
    campaign with 200 open suggestions took 62 s, with 5000 it took 23 GB and was killed. One
    point over MAX_PENDING (open suggestions and samples not measured, counted as pending) is
    refused, naming both counts, and the model page says so instead of drawing."""
    from fluxtrap.optimize.optimizer import MAX_PENDING
    from fluxtrap.web.auth import COOKIE

    from .conftest import login

    add_measured_samples(lab.store)
    lab.store.add_sample(NAME, "U1", {"ramp_rate": 50, "max_temperature": 700, "dwell_time": 1})
    points = [{"ramp_rate": 10 + i / 10, "max_temperature": 600, "dwell_time": 5} for i in range(MAX_PENDING)]  # fmt: skip
    lab.store.add_suggestions(NAME, points, [0.1] * MAX_PENDING, {}, seed=1, created_by="bob")
    says = (
        f"has {MAX_PENDING + 1} pending points ({MAX_PENDING} open suggestions, 1 samples not "
        f"measured), more than the {MAX_PENDING} the optimizer conditions on"
    )
    before = snapshot(lab)
    r = lab.client.post(f"{C}/suggestions", json={"n": 1, "seed": 1}, headers=auth("bob"))
    assert r.status_code == 422 and says in r.json()["detail"], r.text
    assert snapshot(lab) == before
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    plots = lab.client.get(f"/campaigns/{quote(NAME)}/model/plots")
    assert plots.status_code == 200 and says in " ".join(plots.text.split())


def test_a_batch_estimated_past_the_limit_is_refused_in_the_api_s_terms(lab, monkeypatch):
    """The refusal named `suggest -n` and `--allow-long`, which API users do not have: it names
    the largest `n` within the limit (the estimate patched to 400 s a point against 600 s)."""
    from fluxtrap.optimize.optimizer import Optimizer

    add_measured_samples(lab.store)
    before = snapshot(lab)
    monkeypatch.setattr(
        Optimizer, "ask_seconds", lambda self, n, pending=0, candidates=0: 400.0 * n
    )
    r = lab.client.post(f"{C}/suggestions", json={"n": 3}, headers=auth("bob"))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith(f"suggestions for {NAME!r}: 3 points, 1 objective(s), "), detail
    assert detail.endswith(
        "estimated about 20 min, past this server's 10 min limit for one request: "
        "ask for a smaller batch, at most n=1"
    ), detail
    assert "allow" not in detail and "suggest -n" not in detail
    monkeypatch.setattr(
        Optimizer, "ask_seconds", lambda self, n, pending=0, candidates=0: 700.0 * n
    )
    r = lab.client.post(f"{C}/suggestions", json={"n": 2}, headers=auth("bob"))
    assert r.status_code == 422 and r.json()["detail"].endswith(
        "even n=1 is estimated past it, as this campaign's history stands"
    ), r.text
    assert snapshot(lab) == before


def test_what_the_model_s_data_warn_of_is_said_with_the_suggestions_and_on_the_model_page(lab):
    """A Jc typed 1e5 x too large (3e13 A/m^2 among the synthetic ~1e8; 1e6 x, 3e14, is
    refused as above any superconductor's) steers every suggestion:
    `fluxtrap suggest` warns of it (OutlierWarning), the API and the dashboard said nothing (the
    warning went to the server's log). Now each suggestion asked carries the note, and the model
    page says it; a clean history asks with no note. The model page says the notes of the model
    it draws: it said those of the newest ask, so a typo recorded after it was not said beside
    the model it steered, and one corrected since was said as if the model still held it."""
    from .conftest import login

    add_measured_samples(lab.store)
    r = lab.client.post(f"{C}/suggestions", json={"n": 1, "seed": 3}, headers=auth("bob"))
    assert r.status_code == 201, r.text
    assert r.json()[0]["notes"] == []
    params = {"ramp_rate": 60, "max_temperature": 610, "dwell_time": 20}
    lab.store.add_sample(NAME, "TYPO", params, objectives={"jc_3T": 3e13}, recorded_by="bob")
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    model = f"/campaigns/{quote(NAME)}/model"
    typo = "objective jc_3T: 1 of 6 values (3e+09 A/cm²) lie more than 1000"
    plots = unescape(lab.client.get(f"{model}/plots").text)
    assert f'<p class="warn data-note">{typo}' in plots  # the model drawn holds it: no ask yet
    r = lab.client.post(f"{C}/suggestions", json={"n": 2, "seed": 3}, headers=auth("bob"))
    assert r.status_code == 201, r.text
    for s in r.json():
        (note,) = s["notes"]
        assert note.startswith(typo)
        assert note.endswith("check their value and unit; the model takes them as measured")
    newest = r.json()[-1]
    got = lab.client.get(f"/api/suggestions/{newest['id']}", headers=auth("rita")).json()
    assert got["notes"] == newest["notes"]
    plots = unescape(lab.client.get(f"{model}/plots").text)
    assert plots.count(typo) == 1 and f'<p class="warn data-note">{typo}' in plots
    # the ask's note, which the page's script drops as the model's notes say it: said once
    page = unescape(lab.client.get(model).text)
    said = re.findall(r'<p class="warn data-note">(.*?)</p>', plots)
    assert re.findall(r'<p class="warn model-note" data-note="(.*?)">', page) == said
    older = lab.client.get(f"{model}?offset=2").text
    assert "model-note" not in older  # the ask's notes: on the first page only, of the newest
    mark_failed_with_values(lab.store, "TYPO")  # the typo left out of the model (as stores
    # before the store refused a measured sample failed: tests/conftest.py)
    assert "data-note" not in lab.client.get(f"{model}/plots").text
    page = unescape(lab.client.get(model).text)
    assert f"when suggestion {newest['id']} was asked: {typo}" in page  # what steered them


def test_a_constant_objective_is_said_with_the_suggestions(lab):
    body = {
        "name": "flat",
        "parameters": [{"name": "x", "low": 0, "high": 1}],
        "objectives": [{"name": "y"}],
    }
    assert lab.client.post("/api/campaigns", json=body, headers=auth("bob")).status_code == 201
    for i in range(3):
        sample = {"label": f"F{i}", "params": {"x": i / 3}, "objectives": {"y": 2.5}}
        r = lab.client.post("/api/campaigns/flat/samples", json=sample, headers=auth("bob"))
        assert r.status_code == 201, r.text
    r = lab.client.post("/api/campaigns/flat/suggestions", json={"n": 1}, headers=auth("bob"))
    assert r.status_code == 201, r.text
    assert r.json()[0]["notes"] == [
        "objective y is constant (2.5) over 3 observations: the model can only explore"
    ]


def test_a_measured_sample_cannot_be_marked_failed_and_the_model_page_offers_no_button(lab):
    """A sample with objective values was marked failed through the API or the model page's
    "failed" button (left out of the model, still listed with its values): the API refuses it
    with a 422 naming the value, nothing changes, and the page offers the button only for a
    used suggestion whose sample is unmeasured."""
    P = {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0}
    a, b = lab.store.add_suggestions(NAME, [P, {**P, "dwell_time": 6.0}], [0.1] * 2, {}, seed=1)
    lab.store.add_sample(NAME, "M1", P, suggestion_id=a.id, objectives={"jc_3T": 2.5e8})
    lab.store.add_sample(NAME, "U1", {**P, "dwell_time": 6.0}, suggestion_id=b.id)
    r = lab.client.patch(f"{C}/samples/M1", json={"status": "failed"}, headers=auth("bob"))
    assert r.status_code == 422 and "jc_3T = 25000 A/cm²" in r.json()["detail"], r.text
    r = lab.client.patch(f"/api/suggestions/{a.id}", json={"status": "failed"}, headers=auth("bob"))
    assert r.status_code == 422 and "its sample 'M1' has jc_3T" in r.json()["detail"], r.text
    assert (lab.store.sample(NAME, "M1").status, lab.store.suggestion(a.id).status) == (
        "made", "used",
    )  # fmt: skip
    lab.client.cookies.set(COOKIE, lab.store.start_session("bob-token-0123456789").session_id)
    html = lab.client.get(f"/campaigns/{quote(NAME)}/model").text
    rows = dict(re.findall(r'<tr data-suggestion-row="(\d+)">(.*?)</tr>', html, re.S))
    assert 'data-status="failed"' not in rows[str(a.id)]
    assert 'data-status="failed"' in rows[str(b.id)]  # unmeasured: it may still fail
    r = lab.client.patch(f"{C}/samples/U1", json={"status": "failed"}, headers=auth("bob"))
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text
