"""Calibration pages: the list and one calibration (parameters, correlations, series, warnings,
trace and residual figures, links), from calibrations recorded with ``Store.add_calibration``."""

from __future__ import annotations

from html import unescape

import numpy as np
import pandas as pd
import pytest
import tomli

from fluxtrap.simulate import Case
from fluxtrap.simulate.calibrate import Series, calibrate
from fluxtrap.store import models as m
from fluxtrap.units import estimate_text
from fluxtrap.web.auth import COOKIE

from ..test_store_simulations import QUICK_CASE
from .conftest import NAME, login
from .test_pages import figures

HALL = b"time_s,B_T\n1,0.51\n10,0.50\n100,0.49\n"


def stand_in(cases):
    """B = 0.5 - ln(1 + t) / n * (Jc scale): a closed form instead of the FEM (milliseconds)."""
    t = np.concatenate([np.linspace(0, 10, 11), 10 + np.geomspace(1, 100, 20)])
    out = []
    for c in cases:
        sc = c.material("bulk")
        k = sc.jc.jc0_A_m2 / 2e8
        after = np.log1p(np.clip(t - 10, 0, None))
        out.append(pd.DataFrame({"time_s": t, "applied_T": np.clip(1 - t / 10, 0, 1),
                                 "temperature_K": 20.0, "surface_Bz_T": k * (0.5 - after / sc.n)}))  # fmt: skip
    return out


@pytest.fixture
def recorded(lab):
    case = Case.from_dict(tomli.loads(QUICK_CASE))
    t = 10 + np.geomspace(1, 100, 20)
    b = 0.9 * (0.5 - np.log1p(t - 10) / 30) + np.random.default_rng(0).normal(0, 1e-3, t.size)
    good = calibrate(case, Series("hall.csv", t, b, "surface", origin_s=10.0), "bulk.n,bulk.jc_scale",
                     scan=0, profile=False, runner=stand_in)  # fmt: skip
    jump = calibrate(case, Series("jump.csv", t, b - 0.05 * (t > 50), "surface", origin_s=10.0),
                     "bulk.jc_scale", scan=0, profile=False, runner=stand_in)  # fmt: skip
    store = lab.store
    store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 556, "dwell_time": 32.47})
    meas = store.add_measurement(NAME, "B1", "hall_series", "hall.csv", HALL)
    ids = []
    for cal, name, file in (
        (good, "bulk pair, 5 K", "hall.csv"),
        (jump, "with a flux jump", "jump.csv"),
    ):
        result = cal.to_dict() | {"wall_s": 1.5}
        result = {k: v for k, v in result.items() if k != "scan"}
        ids.append(store.add_calibration(case, QUICK_CASE, cal.fitted_cases[0], cal.fitted_cases[0].to_toml(), result,
                                         [(file, HALL, "surface")], name=name,
                                         campaign=NAME, created_by="alice").id)  # fmt: skip
    lab.client.cookies.set(COOKIE, login(lab.store, "alice"))
    return lab, ids, meas, good


def test_calibrations_list_shows_values_and_misfits(recorded):
    lab, ids, _, good = recorded
    html = lab.client.get("/calibrations").text
    for name in ("bulk.n", "bulk.jc_scale"):  # each value rounded as its sigma: 0.9019 ± 0.0030
        assert f"{name} = {estimate_text(*good.value(name))}" in html
    assert html.count('href="/calibrations/') >= 4 and "NO" in html  # the flux jump is not fitted


def test_the_calibrations_page_lists_the_newest_and_says_there_are_older(recorded, monkeypatch):
    """Every calibration was read, each with its whole result, on every request."""
    from fluxtrap.web import pages

    lab, ids, _, _ = recorded
    assert 'id="older"' not in lab.client.get("/calibrations").text
    monkeypatch.setattr(pages, "LISTED_CALIBRATIONS", 1)
    read, calibrations = [], lab.store.calibrations
    monkeypatch.setattr(
        lab.store, "calibrations", lambda *a, **k: read.append(k) or calibrations(*a, **k)
    )
    html = lab.client.get("/calibrations").text
    assert read == [{"limit": 2}]  # the newest one and one more, not every calibration
    assert f'href="/calibrations/{ids[1]}"' in html and f'href="/calibrations/{ids[0]}"' not in html
    assert '<p class="muted" id="older">The newest 1;' in html
    assert [c.id for c in lab.store.calibrations(limit=1, skip=1)] == ids[:1]
    assert [c.id for c in lab.store.calibrations(NAME, limit=5)] == ids


def test_calibration_page(recorded):
    lab, (good_id, jump_id), meas, good = recorded
    r = lab.client.get(f"/calibrations/{good_id}")
    assert r.status_code == 200
    html = r.text
    assert "Every series is fitted" in html and f"#{meas.id}" in html  # linked measurement
    for name in ("bulk.n", "bulk.jc_scale"):  # each value rounded as its sigma, in one cell
        assert f'<td class="num">{estimate_text(*good.value(name))}</td><td>-</td>' in html
    r = good.correlation[0, 1]
    assert f'{"31, 119, 180" if r < 0 else "214, 39, 40"}, {0.6 * abs(r):.2f})">{r:+.3f}<' in html
    figs = figures(html)
    assert set(figs) == {"trace-0", "residual-0"}
    titles = {figs[k]["layout"]["xaxis"]["title"]["text"] for k in figs}  # the same time axis
    assert titles == {"t since the field reached its final value [s]"}
    measured = figs["trace-0"]["data"][0]["y"]
    assert measured == pytest.approx(good.traces[0].measured_T.tolist())
    assert figs["trace-0"]["layout"]["xaxis"]["type"] == "log"
    bad = lab.client.get(f"/calibrations/{jump_id}").text
    assert "does not fit every series" in bad and "the model does not fit this series" in bad
    assert lab.client.get("/calibrations/999").status_code == 404
    lab.client.cookies.set(COOKIE, "wrong")
    assert lab.client.get(f"/calibrations/{good_id}", follow_redirects=False).status_code == 303


def test_a_sigma_from_the_profile_says_so_with_its_interval(recorded):
    """A rough misfit's sigma comes from the profile interval (calibrate.json ``sigma_source``,
    ``profile_interval``): the page says which sigma it shows, as the CLI's "sigma from" does."""
    lab, (good_id, _), _, good = recorded
    assert "<td>linearised</td>" in lab.client.get(f"/calibrations/{good_id}").text
    result = good.to_dict() | {"wall_s": 1.5}
    result = {k: v for k, v in result.items() if k != "scan"}
    n = result["parameters"]["bulk.n"]
    n |= {"sigma": 11.0, "sigma_source": "profile", "sigma_linearised": 0.6}
    n["profile_interval"] = {
        "lower": 12.8,
        "upper": 24.55,
        "lower_reached": True,
        "upper_reached": False,
    }
    case = Case.from_dict(tomli.loads(QUICK_CASE))
    rough = lab.store.add_calibration(case, QUICK_CASE, good.fitted_cases[0], good.fitted_cases[0].to_toml(), result,
                                      [("hall.csv", HALL, "surface")], name="rough")  # fmt: skip
    html = lab.client.get(f"/calibrations/{rough.id}").text
    assert (
        "profile: profile interval (chi² + 1 reduced unit) 12.8 .. 24.55 (not reached: wider)"
        in html
    )
    assert f'<td class="num">{estimate_text(n["value"], 11.0)}</td>' in html


def test_a_restarted_fit_says_so_on_its_page(recorded):
    """calibrate.json's ``optimizer.restarts`` (a lower profile point restarted the descent) is
    shown as the CLI's line; a fit that was not restarted shows none."""
    lab, (good_id, _), _, good = recorded
    assert 'id="restarts"' not in lab.client.get(f"/calibrations/{good_id}").text
    result = {k: v for k, v in good.to_dict().items() if k != "scan"} | {"wall_s": 1.5}
    result["optimizer"] = result["optimizer"] | {"restarts": [
        {"from_chi2": 20.76, "from": {"bulk.n": 31.12, "bulk.jc_scale": 1.1654}, "start_chi2": 17.19,
         "start": {"bulk.n": 24.08, "bulk.jc_scale": 1.18}, "to_chi2": 16.46,
         "to": {"bulk.n": 23.78, "bulk.jc_scale": 1.1846}, "simulations": 49}]}  # fmt: skip
    case = Case.from_dict(tomli.loads(QUICK_CASE))
    cal = lab.store.add_calibration(case, QUICK_CASE, good.fitted_cases[0], good.fitted_cases[0].to_toml(), result,
                                    [("hall.csv", HALL, "surface")], name="restarted")  # fmt: skip
    text = " ".join(unescape(lab.client.get(f"/calibrations/{cal.id}").text).split())
    assert (
        "Restarted 1 x from a lower profile point: chi² 20.76 → 16.46 "
        "(bulk.n 31.12 → 23.78, bulk.jc_scale 1.165 → 1.185)." in text
    )
    del result["optimizer"]["restarts"][0]["to"]["bulk.jc_scale"]  # a crafted or damaged one
    cal = lab.store.add_calibration(case, QUICK_CASE, good.fitted_cases[0], good.fitted_cases[0].to_toml(), result,
                                    [("hall.csv", HALL, "surface")], name="restarted")  # fmt: skip
    r = lab.client.get(f"/calibrations/{cal.id}")
    assert r.status_code == 200 and "bulk.jc_scale 1.165 → -)" in " ".join(unescape(r.text).split())


def test_a_long_series_is_drawn_thinned_and_says_so():
    """A calibration stored with every point of a 1e6-row series (before calibrate.json kept
    5000) sent all of them to the browser, four traces of 1e6; now at most MAX_PLOTTED a trace,
    the first in each bin of the log time axis, the title saying how many of how many."""
    from fluxtrap.web.plots import MAX_PLOTTED, calibration_figures

    t = np.arange(1.0, 1e6 + 1)
    b = (0.5 - 0.01 * np.log(t)).tolist()
    trace = {"name": "hall.csv", "t_s": t.tolist(), "measured_T": b, "sigma_T": [1e-3] * t.size,
             "start_T": b, "fitted_T": b}  # fmt: skip
    figs = calibration_figures({"traces": [trace]})
    for key in ("trace-0", "residual-0"):
        x = figs[key]["data"][0]["x"]
        assert len(x) <= MAX_PLOTTED and set(range(1, 11)) <= set(x)  # the first decade whole
        assert f"({len(x)} of 1000000 points shown)" in figs[key]["layout"]["title"]["text"]
    kept = calibration_figures({"traces": [dict(trace, t_s=t[:50].tolist(), points=50,
                                                **{k: trace[k][:50] for k in trace if k.endswith("_T")})]})  # fmt: skip
    assert "shown" not in kept["trace-0"]["layout"]["title"]["text"]


def test_the_series_are_paired_with_the_stored_files_by_name(recorded):
    """The page paired the stored files with the result's series by position: a result with its
    series in another order showed one file's misfit against another, one with fewer failed
    (500) and one with more hid the extra. Now each file goes with the series named after it,
    and what has no partner is said and shown."""
    lab, _, _, good = recorded
    fit = {k: v for k, v in good.to_dict().items() if k != "scan"} | {"wall_s": 1.5}
    hall = fit["series"][0]
    bare = {k: v for k, v in fit.items() if k != "series"}
    other = hall | {"name": "other.csv (B_T)", "chi2_red": 7.25, "fits": False}
    case = Case.from_dict(tomli.loads(QUICK_CASE))

    def page(series, files):
        """The page of a calibration of ``files`` whose result has ``series``: add_calibration
        and restore refuse a mismatch now, so it is written as a store of before would hold it."""
        cal = lab.store.add_calibration(case, QUICK_CASE, good.fitted_cases[0], good.fitted_cases[0].to_toml(),
                                        bare, [(f, HALL, "surface") for f in files])  # fmt: skip
        with lab.store.transaction() as s:
            s.get(m.Calibration, cal.id).result = fit | {"series": series}
        r = lab.client.get(f"/calibrations/{cal.id}")
        assert r.status_code == 200
        return " ".join(unescape(r.text).split())

    fewer = page([], ["hall.csv"])
    assert (
        "do not match the stored files: file 1 'hall.csv' (probe 'surface'): no series of the "
        "result is of it." in fewer
    )
    assert "download>hall.csv</a></td><td>surface</td><td>not in the result</td>" in fewer
    swapped = page([other, hall], ["hall.csv", "other.csv"])
    assert 'id="series-disagree"' not in swapped
    assert "download>hall.csv</a></td><td>surface</td><td>hall.csv</td>" in swapped
    assert "download>other.csv</a></td><td>surface</td><td>other.csv (B_T)</td>" in swapped
    assert swapped.index("7.25") > swapped.index(">other.csv</a>")
    more = page([hall, other], ["hall.csv"])
    assert "series 2 'other.csv (B_T)' of the result: no stored file is of it" in more
    assert "<td>2</td><td>not stored</td><td>surface</td><td>other.csv (B_T)</td>" in more


def test_each_measured_file_is_downloaded_from_its_page(recorded):
    """The page promised links to its measured files but showed their names only: each now links
    to its bytes as stored, under its file name; a file it does not have is a 404."""
    lab, (good_id, _), _, _ = recorded
    html = lab.client.get(f"/calibrations/{good_id}").text
    assert f'<a href="/calibrations/{good_id}/files/0" download>hall.csv</a>' in html
    r = lab.client.get(f"/calibrations/{good_id}/files/0")
    assert r.status_code == 200 and r.content == HALL
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''hall.csv"
    assert lab.client.get(f"/calibrations/{good_id}/files/1").status_code == 404
    lab.client.cookies.set(COOKIE, "wrong")
    assert (
        lab.client.get(f"/calibrations/{good_id}/files/0", follow_redirects=False).status_code
        == 303
    )
