"""The demo end to end: the data-driven loop beats the researchers' grid on Jc(3 T); the quick demo
leaves everything in the store, re-derivable from the raw files; its report renders in Chromium.

The full ``make demo`` (20 samples per loop, 1 mm mesh, 6000 s hold) is too slow for the suite;
the end-to-end test runs it once with ``--quick`` (10 samples per loop, 3 mm mesh, 1500 s hold).
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli
from playwright.sync_api import sync_playwright

from fluxtrap.campaign import CampaignSpec
from fluxtrap.cli import run
from fluxtrap.demo.lab import VirtualLab
from fluxtrap.demo.results import Trial, best_so_far
from fluxtrap.demo.run import (
    EXAMPLES,
    ResearcherLoop,
    _Campaign,
    centre_text,
    data_driven_loop,
    jc_text,
    optimizer_suggest,
)
from fluxtrap.magnetometry import fit_creep
from fluxtrap.magnetometry.pipeline import JC_CURVE, derive, objective_values
from fluxtrap.simulate import Case
from fluxtrap.store import Store
from fluxtrap.units import estimate_text, to_A_cm2, value_text

from ..conftest import CHROMIUM, needs_chromium

SEEDS = (0, 1, 2, 3, 4)
SAMPLES = 20  # per loop; the first 7 (the researchers' temperature scan) are shared


def test_researchers_grid_ends_where_the_published_researchers_did():
    """Published Bulk2 (researcher-driven, 50 C steps): 600 C, 5 min at ~50 C/min."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    lab = VirtualLab(0, scatter=0.0)
    researchers = ResearcherLoop(spec)
    researchers.run(
        lambda params, label, origin, sid: Trial(
            label, origin, params, float(lab.expected_jc(params, 3.0))
        ),
        SAMPLES,
        lambda i: f"R{i:02d}",
    )
    best = researchers.best()
    assert best["max_temperature"] == 600 and best["dwell_time"] == 5
    assert 35 <= best["ramp_rate"] <= 70
    assert {t.params["max_temperature"] % 50 for t in researchers.trials} == {0}  # 50 C steps only


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_data_driven_loop_beats_the_researchers_grid_on_jc_3T(seed):
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    lab = VirtualLab(seed)

    def evaluate(
        params, label, origin, suggestion_id
    ):  # the lab's sample, its Jc(3 T) read directly
        return Trial(
            label, origin, params, float(lab.jc_curve(params, label).at(3.0)), suggestion_id
        )

    researchers = ResearcherLoop(spec)
    researchers.run(evaluate, SAMPLES, lambda i: f"R{i:02d}")
    first = researchers.trials[: ResearcherLoop.first]
    data_driven = data_driven_loop(
        first, optimizer_suggest(spec, seed), evaluate, SAMPLES, lambda i: f"D{i:02d}"
    )
    assert len(researchers.trials) == len(data_driven) == SAMPLES
    r_best, d_best = best_so_far(researchers.trials)[-1], best_so_far(data_driven)[-1]
    assert d_best > r_best, (
        f"seed {seed}: data-driven {d_best:.4g} <= researchers {r_best:.4g} A/m^2"
    )
    # and not by the scatter alone: the noise-free Jc(3 T) of the picked conditions is higher too
    pick = {
        name: max(trials, key=lambda t: t.value).params
        for name, trials in (("r", researchers.trials), ("d", data_driven))
    }
    assert lab.expected_jc(pick["d"], 3.0) > lab.expected_jc(pick["r"], 3.0)


def test_the_best_jc_printed_carries_its_stored_1_sigma(tmp_path):
    """The demo printed each loop's best "Jc(3 T, 5 K) = 21,253 A/cm²" bare, though the store
    keeps its 1-sigma: a trial now carries it and the line reads value ± 1-sigma."""
    store = Store(tmp_path / "demo.db")
    spec = store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml")).spec
    trial = _Campaign(store, spec, VirtualLab(seed=0)).evaluate(
        {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0}, "R01", "researcher", None
    )
    sigma = store.sample(spec.name, "R01").objective_errors["jc_3T"]
    assert trial.error == sigma > 0
    value, error, unit = re.fullmatch(r"([\d,.]+) ± ([\d,.]+) (\S+)", jc_text(trial)).groups()
    assert unit == "A/cm²"
    assert float(value.replace(",", "")) == pytest.approx(to_A_cm2(trial.value), abs=float(error))
    assert float(error.replace(",", "")) == pytest.approx(to_A_cm2(sigma), rel=0.05)


def test_the_centre_field_and_creep_printed_have_units_and_matching_digits():
    """The creep read "B(t) = (3.2255 ± 0.001) - (0.0552 ± 0.0001) ln t": a and b had no unit and
    more digits than their 1-sigma. Each number is now value ± 1-sigma, rounded alike, unit after."""
    t = np.linspace(0.0, 3000.0, 301)
    applied = np.clip(1.0 - t / 1000.0, 0.0, None)
    rng = np.random.default_rng(0)
    field = 3.0 - 0.05 * np.log1p(np.clip(t - 1000.0, 0.0, None)) + rng.normal(0, 1e-4, t.size)
    probes = pd.DataFrame({"time_s": t, "applied_T": applied, "center_Bz_T": field})
    creep = fit_creep(t, field, applied_T=applied, start_s=100.0)
    text = centre_text(probes, {"max_error_T": 0.011, "final_error_T": 0.0078}, creep)
    shown = re.findall(r"(-?[\d,]+(?:\.(\d+))?) ± [\d,]+(?:\.(\d+))? ([^\s,:]+)", text)
    assert [unit for *_, unit in shown] == ["T", "T", "T", "T", "ppm/h", "ppm/h"], text
    assert all(len(v_decimals) == len(e_decimals) for _, v_decimals, e_decimals, _ in shown), text


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    said, warned = io.StringIO(), io.StringIO()
    with redirect_stdout(said), redirect_stderr(warned):
        code = run(["demo", "--out", str(out), "--quick", "--quiet", "--seed", "3"])
    assert code == 0, warned.getvalue()
    (out / "said.txt").write_text(said.getvalue() + warned.getvalue())
    return out


def test_the_quick_quiet_demo_says_nothing(quick_demo):
    """README: `--quiet` prints nothing. The quick demo's 3 mm mesh missed the 1 % default target
    and warned to use --mesh-size, which demo does not have; its target is 2 %."""
    assert (quick_demo / "said.txt").read_text() == ""


def test_demo_made_a_store_and_a_report(quick_demo):
    store = Store(quick_demo / "fluxtrap-demo.db")
    (spec,) = store.campaigns()
    samples = store.samples(spec.name)
    assert len(samples) == 10 + 10 - ResearcherLoop.first  # two loops of 10, 7 shared
    assert {s.origin for s in samples} == {"researcher", "optimizer"}
    for s in samples:
        assert "SYNTHETIC" in s.notes
    used = {x.id for x in store.suggestions(spec.name, status="used")}
    assert {s.suggestion_id for s in samples if s.origin == "optimizer"} == used
    report = quick_demo / "demo-report" / "index.html"
    assert report.stat().st_size > 50_000
    assert (quick_demo / "demo-report" / "simulation" / "probes.csv").exists()
    # every simulated number with its estimated discretization error, as summary.json has it
    summary = json.loads((quick_demo / "demo-report" / "simulation" / "summary.json").read_text())
    centre = summary["probes"]["center"]
    text = report.read_text()
    assert f"<td>{estimate_text(centre['final_T'], centre['final_error_T'])}</td>" in text


def test_the_magnet_simulation_is_in_the_store(quick_demo):
    store = Store(quick_demo / "fluxtrap-demo.db")
    (spec,) = store.campaigns()
    (listed,) = store.simulations(spec.name)
    sim = store.simulation(listed.id)
    files = quick_demo / "demo-report" / "simulation"
    assert (sim.status, sim.name) == ("done", "Demo magnet, FCM 7 T at 5 K")
    assert sim.probes_csv == (files / "probes.csv").read_bytes()  # the report's copy, byte for byte
    kept = {k: v for k, v in sim.summary.items() if k not in ("maps", "creep")}  # for its page
    assert kept == json.loads((files / "summary.json").read_text())
    assert Case.from_dict(tomli.loads(sim.case_toml)).to_si_dict() == sim.case  # the case as run


def test_everything_re_derives_from_the_stored_raw_files(quick_demo):
    store = Store(quick_demo / "fluxtrap-demo.db")
    (spec,) = store.campaigns()
    by_label = {s.label: s for s in store.samples(spec.name)}
    measurements = store.measurements(spec.name)
    assert {m.sample for m in measurements} == set(by_label)
    for m in measurements:
        assert m.metadata["synthetic"] and "SYNTHETIC" in m.content[:300].decode()
        metadata, curves, jc = derive(m.kind, m.content, m.filename, *m.metadata["sample_edges_m"])
        again = objective_values(spec, jc)
        assert again == pytest.approx(by_label[m.sample].objectives, rel=1e-12)
        (stored,) = [c for c in store.curves(m.id) if c.kind == JC_CURVE]
        fresh = next(c for c in curves if c.kind == JC_CURVE)
        for column, values in fresh.columns.items():
            np.testing.assert_allclose(stored.columns[column], values, rtol=1e-12)


def test_campaign_show_lists_every_demo_sample(quick_demo, capsys):
    db = quick_demo / "fluxtrap-demo.db"
    assert run(["campaign", "show", "K-Ba122 SPS", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    for s in Store(db).samples("K-Ba122 SPS"):
        assert s.label in shown


@pytest.mark.browser
@needs_chromium
def test_report_renders_in_headless_chromium_with_its_plots(quick_demo):
    report = Path(quick_demo / "demo-report" / "index.html").resolve()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(report.as_uri())
            images = page.evaluate(
                "Array.from(document.querySelectorAll('figure img')).map(i => "
                "({id: i.closest('figure').id, ok: i.complete, w: i.naturalWidth, h: i.naturalHeight}))"
            )
            text = page.inner_text("body")
        finally:
            browser.close()
    assert not errors
    assert {i["id"] for i in images} == {
        "fig-progress",
        "fig-jc",
        "fig-model",
        "fig-traces",
        "fig-maps",
        "fig-creep",
    }
    for i in images:
        assert i["ok"] and i["w"] > 300 and i["h"] > 200, i
    assert "SYNTHETIC" in text and "ppm/h" in text and "Best sample of each loop" in text


def test_every_jc_in_the_report_s_tables_carries_its_stored_1_sigma(quick_demo):
    """The tables gave Jc bare; each sample's row now reads value ± the 1-sigma the store keeps."""
    store = Store(quick_demo / "fluxtrap-demo.db")
    (spec,) = store.campaigns()
    page = (quick_demo / "demo-report" / "index.html").read_text()
    rows = {
        r[0]: r
        for r in (
            re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", page)
        )
        if r
    }
    measured = [s for s in store.samples(spec.name) if s.objectives]
    assert measured
    for s in measured:
        value, sigma = s.objectives["jc_3T"], s.objective_errors["jc_3T"]
        assert 0 < sigma < value, (s.label, value, sigma)
        assert rows[s.label][-1] == estimate_text(to_A_cm2(value), to_A_cm2(sigma)), rows[s.label]


def test_every_value_in_the_report_has_the_digits_of_its_1_sigma(quick_demo):
    """The report gave "57,540 ± 1.6e+02", "21,254 ± 6.4", "2.743 ± 0.0079" and the creep's
    "(3.2241 ± 0.001)": the value's digits disagreed with its 1-sigma; the creep at 1 day had
    none. Each pair is now rounded alike, to the 1-sigma's second significant digit
    (``estimate_text``)."""
    text = re.sub(r"<[^>]+>", " ", (quick_demo / "demo-report" / "index.html").read_text())
    assert re.search(r"± [\d.,]+ ppm/h extrapolated to 1 day", text)  # it was bare
    pairs = re.findall(r"(-?\d[\d,]*(?:\.\d+)?) ± (\S+)", text)
    assert len(pairs) > 20, pairs
    for value, error in pairs:
        assert re.fullmatch(r"[\d,]+(?:\.\d+)?", error), (value, error)
        digits = error.replace(",", "").replace(".", "").lstrip("0")
        assert len(digits) == 2 or float(error.replace(",", "")) >= 10, (value, error)
        decimals = [len(x.partition(".")[2]) for x in (value, error)]
        assert decimals[0] == decimals[1], (value, error)


def test_the_report_s_model_map_draws_jc_in_the_tables_unit(quick_demo):
    """The model map drew Jc in A/m² beside the report's tables and curves in A/cm²."""
    from types import SimpleNamespace

    from fluxtrap.demo.report import model_figure

    store = Store(quick_demo / "fluxtrap-demo.db")
    (spec,) = store.campaigns()
    measured = [to_A_cm2(s.objectives["jc_3T"]) for s in store.samples(spec.name) if s.objectives]
    res = SimpleNamespace(campaign=spec.name, settings=SimpleNamespace(seed=3))
    fig = model_figure(res, store)
    axes = {ax.get_title(): ax for ax in fig.axes}
    assert "jc_3T [A/cm²] mean" in axes and "jc_3T [A/cm²] std" in axes
    mean = axes["jc_3T [A/cm²] mean"].collections[0].levels  # the contour levels drawn
    assert 0.3 * min(measured) < np.median(mean) < 3 * max(measured)
    # the slice says where it is: the parameter held, at its value, with its unit (it did not)
    assert re.search(
        r"through the best point \(ramp_rate = [\d.]+ degC/min\)$", fig._suptitle.get_text()
    )


def test_the_stored_demo_magnet_s_page_shows_its_j_b_maps_and_creep_fit(quick_demo, tmp_path):
    """The demo magnet's dashboard page drew its probe traces only: its J/B maps were kept in the
    memory of a server that ran it as a job, and no page drew a creep fit, which only the HTML
    report had. The stored simulation's summary now keeps the maps' numbers and the creep fit,
    and a server on the demo store draws them: the last map on the page, the others from the
    API at the run's times, the fit over the centre probe's hold with a, b and the decay each ±
    1 sigma."""
    import shutil

    from fastapi.testclient import TestClient

    from fluxtrap.web import create_app

    for part in ("", "-wal", "-shm"):  # a copy: this test's user and session stay in it
        if (quick_demo / f"fluxtrap-demo.db{part}").exists():
            shutil.copy(quick_demo / f"fluxtrap-demo.db{part}", tmp_path / f"demo.db{part}")
    store = Store(tmp_path / "demo.db")
    store.add_user("ann", "reader", "ann-token-0123456789")
    (sim,) = store.simulations()
    with TestClient(create_app(store)) as client:
        client.cookies.set(
            "fluxtrap_session", store.start_session("ann-token-0123456789").session_id
        )
        html = client.get(f"/simulations/{sim.id}").text
        auth = {"Authorization": "Bearer ann-token-0123456789"}
        first = client.get(f"/api/simulations/{sim.id}/maps/0", headers=auth).json()
    figures = {
        m[1]: json.loads(m[2])
        for m in re.finditer(
            r'<script type="application/json" id="([\w-]+)-data">(.*?)</script>', html, re.S
        )
    }
    maps = [k for k in figures if k.startswith("map-")]
    summary = store.simulation(sim.id).summary
    shown = summary["maps"]["shown"]
    # the page draws the last map (all 50 had cost 2.6 s a view); the others are fetched
    assert maps == [f"map-{len(shown) - 1}"] and len(shown) >= 2
    assert first["layout"]["title"]["text"].startswith(f"t = {shown[0]['time_s']:g} s")
    last = figures[maps[-1]]
    j = np.array(last["data"][0]["z"], dtype=float)
    assert np.isfinite(j).any() and last["layout"]["xaxis"]["title"]["text"] == "r [mm]"
    assert last["layout"]["title"]["text"].startswith(
        f"t = {summary['maps']['shown'][-1]['time_s']:g} s"
    )
    creep = summary["creep"]
    points, line = figures["creep"]["data"]
    sa, sb = np.sqrt(np.diag(creep["cov_T2"]))
    title = figures["creep"]["layout"]["title"]["text"]
    assert f"a = {value_text(creep['a_T'], sa, '.6g')} T" in title
    assert f"b = {value_text(creep['b_T'], sb, '.4g')} T" in title and "ppm/h at the end" in title
    t = np.asarray(line["x"])
    assert line["y"] == pytest.approx(creep["a_T"] - creep["b_T"] * np.log(t), rel=1e-12)
    assert t[0] == pytest.approx(creep["t_start_s"]) and t[-1] == pytest.approx(creep["t_end_s"])
    probes = pd.read_csv(io.BytesIO(store.simulation(sim.id).probes_csv))
    on_time = probes.set_index(probes["time_s"] - creep["origin_s"])["center_Bz_T"]
    assert points["y"] == pytest.approx(on_time.loc[points["x"]].tolist(), rel=1e-12)
