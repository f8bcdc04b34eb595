"""Model slices and campaign-history figures: the numbers behind them, and the files written."""

import numpy as np
import pandas as pd
import pytest

from fluxtrap.campaign import ObjectiveDef
from fluxtrap.errors import ValidationError
from fluxtrap.optimize import Categorical, Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.plots import (
    MAX_SLICE_GRID,
    best_so_far,
    model_slices,
    plot_best_so_far,
    plot_parallel_coordinates,
    plot_slice_2d,
    plot_slices_1d,
    plotly_parallel_coordinates,
    shown_acquisition,
    shown_bounds,
    shown_slices,
    write_model_report,
)

FAST = {"num_restarts": 2, "raw_samples": 32}

SPACE = SearchSpace(
    [
        Continuous("ramp_rate", 10, 100, 0.1, "degC/min"),
        Continuous("max_temperature", 450, 750, 1, "degC"),
        Continuous("dwell_time", 0, 60, 0.01, "min"),
    ]
)


@pytest.fixture(scope="module")
def fitted():
    X = SPACE.sample(10, seed=0)
    y = pd.Series(np.exp(-(((X.max_temperature - 620) / 80) ** 2)), name="jc_3T")
    history = X.assign(jc_3T=y, origin=["researcher"] * 6 + ["optimizer"] * 4)
    return Optimizer(SPACE, seed=0, num_restarts=2, raw_samples=64).tell(X, y), history


def test_slices_pass_through_best_point_and_match_predict(fitted):
    opt, history = fitted
    s = model_slices(opt, n_grid=31)
    best = history.loc[history.jc_3T.idxmax(), SPACE.names].to_dict()
    assert s["through"] == best
    for name, sl in s["one_d"].items():
        assert sl["x"][0] == SPACE.parameter(name).low and sl["x"][-1] == SPACE.parameter(name).high
        k = 17
        point = pd.DataFrame([{**best, name: sl["x"][k]}])
        pred = opt.predict(point).iloc[0]
        assert sl["mean"][k] == pytest.approx(pred.jc_3T_mean, rel=1e-9)
        assert sl["std"][k] == pytest.approx(pred.jc_3T_std, rel=1e-9)
        assert np.isfinite(sl["acquisition"]).all()
    assert len(s["two_d"]) == 3  # the three pairs of three parameters
    (p, q), sl = next(iter(s["two_d"].items()))
    point = pd.DataFrame([{**best, p: sl["x"][4], q: sl["y"][9]}])
    assert sl["mean"][9, 4] == pytest.approx(opt.predict(point).iloc[0].jc_3T_mean, rel=1e-9)
    # y depends on max_temperature only: it is in every 2D slice's leading pair
    assert "max_temperature" in next(iter(s["two_d"]))


def test_shown_slices_are_the_slices_as_the_tables_show_jc(fitted):
    """Mean, std and the measured values in A/cm² (stored and modelled: A/m^2), the unit on the
    objective's axis; the acquisition the log of the expected improvement in A/cm² (EI scales
    with its objective: ln 1e-4 below the optimizer's in A/m^2); the grid as computed."""
    opt, _ = fitted
    s = model_slices(opt, n_grid=11, one_d=["max_temperature"], two_d=[("ramp_rate", "dwell_time")])
    jc = ObjectiveDef("jc_3T", quantity="jc", field_T=3.0)
    t = shown_slices(s, jc)
    for key in ("one_d", "two_d"):
        ((name, a),) = s[key].items()
        b = t[key][name]
        np.testing.assert_allclose(b["mean"], a["mean"] * 1e-4)
        np.testing.assert_allclose(b["std"], a["std"] * 1e-4)
        np.testing.assert_allclose(b["acquisition"], a["acquisition"] + np.log(1e-4))
        assert b["x"] is a["x"]
    np.testing.assert_allclose(t["data"]["jc_3T"], s["data"]["jc_3T"] * 1e-4)
    assert t["units"]["jc_3T"] == "A/cm²" and t["units"]["max_temperature"] == "degC"
    assert s["units"].get("jc_3T") is None  # the slices given are left as they were
    assert t["acquisition_label"] == "log EI, EI in A/cm²"


def test_the_shown_acquisition_is_the_log_improvement_in_the_shown_units():
    """EI is in its objective's unit, so ln(EI in A/cm²) = ln(EI in A/m²) + ln 1e-4; a
    hypervolume's unit is the product of its objectives' (Jc x Tc: A/cm²·K, K as stored);
    a pure number is not shifted."""
    jc = ObjectiveDef("jc_3T", quantity="jc", field_T=3.0)
    tc = ObjectiveDef("tc", quantity="tc")
    y = ObjectiveDef("y")
    assert shown_acquisition([jc]) == (pytest.approx(np.log(1e-4)), "log EI, EI in A/cm²")
    assert shown_acquisition([jc, tc]) == (
        pytest.approx(np.log(1e-4)),
        "log EHVI, HV in A/cm²·K",
    )
    assert shown_acquisition([y]) == (0.0, "log EI")
    # a log objective's EI is of ln(value), which has no unit
    logged = ObjectiveDef("jc_3T", quantity="jc", field_T=3.0, log=True)
    assert shown_acquisition([logged]) == (0.0, "log EI, EI in ln jc_3T")
    assert shown_acquisition([logged, tc]) == (0.0, "log EHVI, HV in ln jc_3T·K")


def test_the_slices_of_a_log_objective_draw_the_median_and_exp_mu_2_sd():
    """The model plot of a log objective: the median exp(mu) and the band exp(mu -+ 2 sd) (mean
    +- 2 sd of the raw values would reach below 0), shown in A/cm²; its sd, of ln, as it is."""
    import matplotlib.pyplot as plt

    space = SearchSpace([Continuous("T", 550, 750), Continuous("t", 1, 60)])
    X = space.sample(8, seed=2)
    y = pd.Series(10 ** (3 + 5 * np.exp(-(((X["T"] - 680) / 60) ** 2))), name="jc")
    jc = ObjectiveDef("jc", quantity="jc", field_T=3.0, log=True)
    opt = Optimizer(space, seed=0, shown={"jc": jc}, **FAST).tell(X, y)
    s = model_slices(opt, n_grid=7, one_d=["T"], two_d=[("T", "t")])
    line = s["one_d"]["T"]
    grid = pd.DataFrame({"T": line["x"], "t": s["through"]["t"]})
    pred = opt.predict(grid)
    np.testing.assert_allclose(line["mean"], pred["jc_mean"])
    np.testing.assert_allclose(line["low"], pred["jc_mean"] * np.exp(-2 * pred["jc_std"]))
    np.testing.assert_allclose(line["high"], pred["jc_mean"] * np.exp(2 * pred["jc_std"]))
    assert s["log_objective"] and (line["low"] > 0).all()
    shown = shown_slices(s, jc)["one_d"]["T"]
    np.testing.assert_allclose(shown["high"], 1e-4 * line["high"])
    np.testing.assert_allclose(shown["std"], line["std"])
    fig = plot_slices_1d(shown_slices(s, jc))
    assert fig.axes[0].get_yscale() == "log"
    fig = plot_slice_2d(shown_slices(s, jc), ("T", "t"))  # the median's colours by decade
    median = shown_slices(s, jc)["two_d"][("T", "t")]["mean"]
    levels = fig.axes[0].collections[0].levels
    np.testing.assert_allclose(levels[[0, -1]], [median.min(), median.max()])
    np.testing.assert_allclose(np.diff(np.log(levels)), np.log(levels[1] / levels[0]))
    ticks = fig.axes[0].collections[0].colorbar.get_ticks()  # decades, not the levels' digits
    ticks = ticks[(ticks >= median.min()) & (ticks <= median.max())]
    assert len(ticks) and np.allclose(np.log10(ticks), np.round(np.log10(ticks)))
    plt.close("all")


def test_the_history_of_a_log_objective_is_drawn_on_log_scales(tmp_path, monkeypatch):
    """Jc over 4 decades (10 to 1e5 A/cm²) drawn raw: the best-so-far figure and the parallel
    coordinates put every sample but the best two at the bottom. A log objective's history is
    now on a log scale: the figures' y axis, and 1e3, the decades' middle, mid-axis."""
    import matplotlib.pyplot as plt

    import fluxtrap.optimize.plots as plots

    space = SearchSpace([Continuous("T", 550, 750)])
    jc = pd.Series([10.0, 1e5, 1e3, 100.0], name="jc")
    history = pd.DataFrame({"T": [550.0, 600, 650, 700], "jc": jc, "origin": "researcher"})
    fig = plot_best_so_far(best_so_far(history, "jc"), "jc [A/cm²]", log=True)
    assert fig.axes[0].get_yscale() == "log"
    ax = plot_parallel_coordinates(history, ["T"], "jc", log=True).axes[0]
    ends = sorted(line.get_ydata()[1] for line in ax.lines if list(line.get_xdata()) == [0, 1])
    np.testing.assert_allclose(ends, [0.0, 0.25, 0.5, 1.0])  # 10, 100, 1e3, 1e5: 4 decades
    plt.close("all")
    dim = plotly_parallel_coordinates(history, ["T"], "jc", log=True).data[0].dimensions[1]
    assert list(dim.values) == [1.0, 5.0, 3.0, 2.0]
    assert list(dim.ticktext) == ["10", "100", "1000", "10000", "100000"]
    zero = history.assign(jc=jc.replace(10.0, 0.0))  # nothing measurable: at the model's floor
    ax = plot_parallel_coordinates(zero, ["T"], "jc", log=True).axes[0]  # was "Invalid vmin"
    ends = sorted(line.get_ydata()[1] for line in ax.lines if list(line.get_xdata()) == [0, 1])
    np.testing.assert_allclose(ends, [0.0, 0.25, 0.5, 1.0])  # 0 at 10 = 0.1 x 100
    dim = plotly_parallel_coordinates(zero, ["T"], "jc", log=True).data[0].dimensions[1]
    assert list(dim.values) == [1.0, 5.0, 3.0, 2.0]
    plt.close("all")
    logs = []
    for name in ("plot_best_so_far", "plot_parallel_coordinates", "plotly_parallel_coordinates"):
        drawn = getattr(plots, name)
        monkeypatch.setattr(
            plots, name, lambda *a, f=drawn, **k: logs.append(k["log"]) or f(*a, **k)
        )
    defs = {"jc": ObjectiveDef("jc", log=True)}
    opt = Optimizer(space, seed=0, shown=defs, **FAST).tell(history[["T"]], jc)
    write_model_report(opt, history, tmp_path, objectives=list(defs.values()))
    assert logs == [True, True, True]


def test_a_0_of_a_log_objective_is_drawn_at_the_floor_and_said():
    """Jc 0 first (nothing measurable), then 1e3 and 1e5 A/cm², on a log axis: the 0 and the
    best so far of 0 before it had no place there and were left out in silence. Now both sit
    at the model's floor (ZERO_FLOOR x 1e3), the 0 marked and named in the legend."""
    import matplotlib.pyplot as plt

    from fluxtrap.optimize.optimizer import ZERO_FLOOR, ZERO_LABEL

    history = pd.DataFrame({"jc": [0.0, 1e3, 1e5], "origin": "researcher"})
    ax = plot_best_so_far(best_so_far(history, "jc"), "jc [A/cm²]", log=True).axes[0]
    floor = ZERO_FLOOR * 1e3
    (best,) = [line for line in ax.lines if line.get_label() == "all: best so far"]
    assert list(best.get_ydata()) == [floor, 1e3, 1e5]
    (zero,) = [c for c in ax.collections if c.get_label() == ZERO_LABEL]
    assert zero.get_offsets().tolist() == [[1.0, floor]]
    assert ZERO_LABEL in [t.get_text() for t in ax.get_legend().get_texts()]
    plain = plot_best_so_far(best_so_far(history, "jc"), "jc").axes[0]  # without log: as it was
    assert [c.get_label() for c in plain.collections if c.get_label() == ZERO_LABEL] == []
    assert list(plain.lines[-1].get_ydata()) == [0.0, 1e3, 1e5]
    plt.close("all")


def test_slices_can_be_restricted_to_what_is_drawn(fitted):
    opt, history = fitted
    nxt = SPACE.sample(2, seed=3)
    full = model_slices(opt, n_grid=21, pending=nxt)
    pair = next(iter(full["two_d"]))
    s = model_slices(opt, n_grid=21, pending=nxt, one_d=["dwell_time"], two_d=[pair])
    assert list(s["one_d"]) == ["dwell_time"] and list(s["two_d"]) == [pair]
    for key in ("mean", "std", "acquisition"):
        np.testing.assert_allclose(s["one_d"]["dwell_time"][key], full["one_d"]["dwell_time"][key])
        np.testing.assert_allclose(s["two_d"][pair][key], full["two_d"][pair][key])
    s = model_slices(opt, n_grid=21, one_d=[], two_d=[("dwell_time", "ramp_rate")])
    assert s["one_d"] == {} and list(s["two_d"]) == [("dwell_time", "ramp_rate")]
    sl = s["two_d"][("dwell_time", "ramp_rate")]
    assert sl["mean"].shape == (21, 21) and sl["x"][-1] == 60 and sl["y"][-1] == 100
    with pytest.raises(ValidationError, match="no parameter 'pressure'"):
        model_slices(opt, one_d=["pressure"])


def test_slices_given_carelessly_are_refused_before_the_fit_naming_the_argument():
    """two_d=[("T", "T")] drew a map of a parameter against itself, two_d=["Tt"] the pair T, t
    and one_d="ramp" the parameters 'r', 'a', ... (refused as "no parameter 'a'"), each after the
    model's fit: now refused before it, naming two_d or the whole name; one name is one slice."""
    X = SPACE.sample(6, seed=0)
    opt = Optimizer(SPACE, **FAST).tell(X, pd.Series(np.arange(6.0), name="jc_3T"))
    for kw, said in (
        ({"two_d": [("dwell_time", "dwell_time")]}, r"two_d pair \(dwell_time, dwell_time\) maps"),
        ({"two_d": ["dwell_timeramp_rate"]}, r"two_d holds 'dwell_timeramp_rate', not an \(x, y\)"),
        ({"two_d": "ab"}, r"two_d must be a list of \(x, y\) pairs"),
        ({"one_d": "dwell"}, r"no parameter 'dwell'"),
    ):
        with pytest.raises(ValidationError, match=said):
            model_slices(opt, n_grid=5, **kw)
        assert opt._model is None, kw  # nothing fitted
    s = model_slices(opt, n_grid=5, one_d="dwell_time", two_d=[])
    assert list(s["one_d"]) == ["dwell_time"]


def test_slices_take_pending_points_in_any_form_ask_takes(fitted):
    """model_slices' pending took only a table ("pending: expected a pandas DataFrame, got
    list"), and a mapping was counted by its keys against MAX_PENDING: now a list of rows or a
    mapping draws the slices the table does."""
    opt, _ = fitted
    nxt = SPACE.sample(2, seed=3)
    want = model_slices(opt, n_grid=7, pending=nxt, one_d=["dwell_time"], two_d=[])
    for given in (nxt.to_dict("records"), nxt.to_dict("list")):
        got = model_slices(opt, n_grid=7, pending=given, one_d=["dwell_time"], two_d=[])
        for key in ("mean", "std", "acquisition"):
            np.testing.assert_array_equal(
                got["one_d"]["dwell_time"][key], want["one_d"]["dwell_time"][key]
            )
    with pytest.raises(ValidationError, match=r"^model_slices: pending row 0: no parameter"):
        model_slices(opt, pending=[{**nxt.iloc[0].to_dict(), "label": "B7"}])


def test_best_so_far_per_origin():
    h = pd.DataFrame(
        {
            "origin": ["researcher", "optimizer", "researcher", "optimizer", "researcher"],
            "y": [1.0, 3.0, 2.0, np.nan, 0.5],
        }
    )
    b = best_so_far(h, "y", maximize=True)
    assert b.trial.tolist() == [1, 2, 3, 4]  # the unmeasured row is skipped
    assert b.best_origin.tolist() == [1.0, 3.0, 2.0, 2.0]
    assert b.best_all.tolist() == [1.0, 3.0, 3.0, 3.0]
    assert best_so_far(h, "y", maximize=False).best_all.tolist() == [1.0, 1.0, 1.0, 0.5]


def test_best_so_far_is_the_best_known_to_meet_the_outcome_constraints_as_best_is():
    """tc >= 36: a row with Tc 30 (and one whose Tc is not measured yet) had been the best
    so far; the figure's line is now ``Optimizer.best()``'s row and the left-out rows counted."""
    X = SPACE.sample(5, seed=2)
    y = pd.DataFrame({"jc_3T": [2.0, 9.0, 2.5, 8.0, 1.0], "tc": [37.0, 30.0, 38.0, np.nan, 40]})
    h = pd.concat([X, y], axis=1).assign(origin=["researcher", "optimizer"] * 2 + ["optimizer"])
    opt = Optimizer(SPACE, outcome_constraints={"tc": (36.0, None)}).tell(X, y)
    b = best_so_far(h, "jc_3T", True, opt.outcome_constraints)
    assert b.best_all.iloc[-1] == opt.best()["jc_3T"]
    assert b.best_all.tolist() == [2.0, 2.0, 2.5, 2.5, 2.5]
    mine = b.best_origin[b.origin == "optimizer"].to_numpy()  # 9 breaks it, 8 awaits its Tc
    assert np.isnan(mine[:2]).all() and mine[2] == 1.0
    assert b.attrs["constraints"] == opt.best().attrs["constraints"]
    assert b.attrs["awaiting"] == opt.best().attrs["awaiting"] == {"tc": 1}
    assert b.status.tolist() == opt.constraint_status().tolist()
    fig = plot_best_so_far(b, "jc_3T")
    assert "(x: 1 do not, 1 await tc)" in fig.axes[0].get_title()


def test_a_bound_on_jc_is_read_in_the_units_the_report_draws_jc_in():
    """write_model_report draws Jc in A/cm^2: its bound (stored in A/m^2) is converted too, else
    jc_3T >= 2.2e8 A/m^2 left out every sample (2.5e4 A/cm^2 < 2.2e8)."""
    jc = ObjectiveDef(name="jc_3T", quantity="jc", field_T=3.0, temperature_K=5.0)
    bounds = shown_bounds({"jc_3T": (2.2e8, None), "tc": (36.0, 40.0)}, {"jc_3T": jc})
    assert bounds == {"jc_3T": (jc.shown(2.2e8), None), "tc": (36.0, 40.0)}
    h = pd.DataFrame({"jc_3T": jc.shown(np.array([2.0e8, 2.5e8])), "tc": [37.0, 38.0]})
    b = best_so_far(h, "jc_3T", True, bounds)
    assert b.status.tolist() == ["not met", "met"] and b.best_all.iloc[-1] == jc.shown(2.5e8)


def test_best_so_far_counts_trials_in_whole_numbers():
    """Two measured samples: the trial axis is ticked 1, 2 (it read 1.0, 1.2, ... 2.0)."""
    h = pd.DataFrame({"origin": ["researcher", "optimizer"], "y": [2.05e4, 2.3e4]})
    fig = plot_best_so_far(best_so_far(h, "y"), "jc_3T [A/cm²]")
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 2]
    assert ticks == [1.0, 2.0]


def test_report_files(fitted, tmp_path):
    opt, history = fitted
    nxt = SPACE.sample(2, seed=3)
    paths = write_model_report(opt, history, tmp_path, suggestions=nxt, pending=nxt)
    names = {p.name for p in paths}
    assert {
        "model_1d.png",
        "best_so_far.png",
        "parallel_coordinates.png",
        "model_1d.html",
        "parallel_coordinates.html",
    } <= names
    assert sum(n.startswith("model_2d_") for n in names) == 3
    assert all(p.stat().st_size > 1000 for p in paths)
    # the pages load plotly from beside them, not from a CDN (blank offline)
    html = (tmp_path / "model_1d.html").read_text()
    assert 'src="plotly.min.js"' in html and "cdn.plot.ly" not in html
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000


def test_history_with_a_categorical_parameter_is_drawn_with_its_choices(tmp_path):
    """`fluxtrap plot model` of a campaign with a gas choice crashed: 'str' - 'str'."""
    space = SearchSpace([Continuous("T", 500, 800, 1, "degC"), Categorical("gas", ("Ar", "N2"))])
    history = pd.DataFrame(
        {
            "T": [500.0, 650.0, 800.0, 700.0],
            "gas": ["N2", "Ar", "N2", "Ar"],
            "y": [1.0, 2.0, 0.5, 3.0],
            "origin": ["researcher"] * 4,
        }
    )
    fig = plotly_parallel_coordinates(history, space.names, "y")
    gas = fig.data[0].dimensions[1]
    assert list(gas.values) == [0, 1, 0, 1] and list(gas.ticktext) == ["N2", "Ar"]
    assert list(fig.data[0].dimensions[0].values) == [500, 650, 800, 700]
    ax = plot_parallel_coordinates(history, space.names, "y").axes[0]
    ends = {line.get_ydata()[1] for line in ax.lines if len(line.get_ydata()) == 3}
    assert ends == {0.0, 1.0}  # N2 at the bottom, Ar at the top of the gas axis
    assert {t.get_text() for t in ax.texts} >= {"N2", "Ar", "500", "800"}
    opt = Optimizer(space, seed=0, num_restarts=2, raw_samples=64)
    opt.tell(history[space.names], history.y)
    names = {p.name for p in write_model_report(opt, history, tmp_path)}
    assert {"parallel_coordinates.png", "parallel_coordinates.html"} <= names


def test_slices_of_replicated_samples_raise_no_numerical_warnings():
    """Each sample measured three times makes the posterior covariance of the observed points
    singular to float precision; the jitter linear_operator adds is its remedy, and the model
    page (which draws these slices) logged one warning per request before."""
    import warnings

    from botorch.exceptions.warnings import BotorchWarning
    from linear_operator.utils.warnings import NumericalWarning

    X = SPACE.sample(6, seed=0)
    X = pd.concat([X, X, X], ignore_index=True)
    noise = np.random.default_rng(0).normal(0, 0.01, len(X))
    y = pd.Series(np.exp(-(((X.max_temperature - 620) / 80) ** 2)) + noise, name="jc_3T")
    opt = Optimizer(SPACE, seed=0, num_restarts=2, raw_samples=64).tell(X, y)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        s = model_slices(opt, n_grid=11, pending=X.iloc[:1])
    assert not [w for w in seen if issubclass(w.category, (NumericalWarning, BotorchWarning))]
    assert np.isfinite(s["one_d"]["max_temperature"]["acquisition"]).all()


def test_slices_are_computed_on_one_torch_thread_and_the_count_restored(fitted, monkeypatch):
    """As ``ask``: on a shared machine torch's default threads took 2.7-10 s for what one
    thread does in 3.1 s (bench/bench_model_slices.py); the process's count comes back."""
    import torch

    opt, _ = fitted
    seen, predict = [], opt.predict
    monkeypatch.setattr(
        opt, "predict", lambda X: seen.append(torch.get_num_threads()) or predict(X)
    )
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model_slices(opt, n_grid=5, one_d=["dwell_time"], two_d=[])
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_report_of_a_space_of_categorical_parameters_only(tmp_path):
    """No numeric parameter: no line to slice along. `plot model` crashed in matplotlib
    ('Number of columns must be a positive integer, not 0'); the other figures are still due."""
    space = SearchSpace([Categorical("gas", ("Ar", "N2", "O2"))])
    history = pd.DataFrame(
        {"gas": ["Ar", "N2", "O2"], "y": [1.0, 2.0, 3.0], "origin": ["researcher"] * 3}
    )
    opt = Optimizer(space, seed=0, num_restarts=2, raw_samples=32)
    opt.tell(history[space.names], history.y)
    names = {p.name for p in write_model_report(opt, history, tmp_path)}
    assert names == {
        "best_so_far.png",
        "parallel_coordinates.png",
        "parallel_coordinates.html",
    }


def test_the_acquisition_map_is_coloured_over_its_upper_95_percent(fitted):
    """log EI falls by tens of decades next to measured points: coloured over its whole range
    (-420..5 on the demo's campaign) the map was one colour. Now the colours span the map's
    5th percentile to its largest value, lower values drawn in the lowest colour."""
    from fluxtrap.optimize.plots import plot_slice_2d

    opt, history = fitted
    s = model_slices(opt, n_grid=31)
    pair = next(iter(s["two_d"]))
    acq = s["two_d"][pair]["acquisition"]
    fig = plot_slice_2d(s, pair)
    cs = fig.axes[2].collections[0]  # the acquisition map (axes 0-2 maps, then colorbars)
    assert np.ptp(acq) > 10  # decades of EI in this map
    assert (cs.levels[0], cs.levels[-1]) == pytest.approx((np.percentile(acq, 5), acq.max()))
    mean = fig.axes[0].collections[0]  # the other maps keep matplotlib's levels over all values
    assert mean.levels[0] <= s["two_d"][pair]["mean"].min()


def test_a_log_parameter_is_drawn_on_log_axes():
    """A parameter searched on a log scale was drawn on a linear axis in the report's slices
    and maps; it is drawn on a log axis, the others stay linear."""
    import matplotlib.pyplot as plt

    from fluxtrap.optimize.plots import plot_slice_2d, plot_slices_1d

    space = SearchSpace([Continuous("dose", 0.01, 100, 0, "mg", log=True), Continuous("T", 0, 1)])
    X = pd.DataFrame({"dose": [0.02, 0.3, 4.0, 60.0, 1.0], "T": [0.1, 0.5, 0.9, 0.3, 0.7]})
    y = pd.Series(-(np.log10(X["dose"]) ** 2) + X["T"], name="y")
    slices = model_slices(
        Optimizer(space, seed=0, **FAST).tell(X, y), n_grid=9, two_d=[("dose", "T")]
    )
    assert slices["one_d"]["dose"]["x"][4] == pytest.approx(1.0)  # the geometric middle
    fig = plot_slices_1d(slices)
    scales = {ax.get_xlabel(): ax.get_xscale() for ax in fig.axes if ax.get_xlabel()}
    plt.close(fig)
    assert scales == {"dose [mg]": "log", "T": "linear"}
    fig = plot_slice_2d(slices, ("dose", "T"))
    assert {(ax.get_xscale(), ax.get_yscale()) for ax in fig.axes[:3]} == {("log", "linear")}
    plt.close(fig)


def test_the_1d_title_fits_a_figure_of_one_parameter():
    """One parameter: the figure was 3.6 in wide and its title, "y: slices through the best point
    (red: next suggestions)", 4.3 in: cut at both sides ("ces through the best point (red: next
    suggest")."""
    import matplotlib.pyplot as plt

    from fluxtrap.optimize.plots import plot_slices_1d

    space = SearchSpace([Continuous("x", 0, 10, 0, "degC/min")])
    X = pd.DataFrame({"x": [0.0, 2.0, 5.0, 7.0, 10.0]})
    y = pd.Series([0.0, 1.0, 40.0, 99.0, 3.0], name="y")
    opt = Optimizer(space, seed=0, num_restarts=2, raw_samples=64).tell(X, y)
    fig = plot_slices_1d(model_slices(opt, n_grid=21), suggestions=pd.DataFrame({"x": [7.3]}))
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()
    width = fig.get_size_inches()[0] * fig.dpi
    plt.close(fig)
    assert box.x0 >= 0 and box.x1 <= width


def test_slices_of_two_objectives_raise_no_torch_sparse_note():
    """`fluxtrap plot model` on a two-objective campaign printed torch's "warning: Sparse
    invariant checks are implicitly disabled. Memory errors (e.g. SEGFAULT) will occur ..."
    (linear_operator's sparse summing matrix in the hypervolume acquisition). torch warns once
    per process: this test sees it only when it runs first (alone, as the red check did)."""
    import warnings

    space = SearchSpace([Continuous("x", 450, 750, 5, "degC"), Continuous("z", 0, 60, 0, "min")])
    X = pd.DataFrame({"x": [450, 600, 750, 500, 700], "z": [0, 30, 60, 45, 10.0]})
    y = pd.DataFrame({"jc": [1, 3, 2, 4, 1.0], "tc": [30, 36, 38, 33, 39.0]})
    opt = Optimizer(space, seed=0, objectives=["jc", "tc"], num_restarts=2, raw_samples=64)
    opt.tell(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model_slices(opt, n_grid=11, one_d=["x"], two_d=[])


def test_the_slice_figures_name_the_choice_they_hold():
    """`plot model` of a campaign with a five-gas choice drew its T and t curves "through the
    best point" without saying which gas: every curve held gas = vac, nowhere written."""
    import matplotlib.pyplot as plt

    from fluxtrap.optimize.plots import plot_slice_2d, plot_slices_1d

    space = SearchSpace(
        [
            Categorical("gas", ("Ar", "N2", "He", "vac", "O2")),
            Continuous("T", 450, 750, 0, "degC"),
            Continuous("t", 0.5, 10, 0, "h"),
        ]
    )
    X = pd.DataFrame(
        {
            "gas": ["Ar", "N2", "He", "vac", "O2", "Ar"],
            "T": [600, 700, 500, 650, 550, 620.0],
            "t": [2, 5, 8, 1, 3, 2.5],
        }
    )
    y = pd.Series([38, 30, 35, 39, 20, 36.5], name="tc")
    opt = Optimizer(space, seed=0, num_restarts=2, raw_samples=64).tell(X, y)
    s = model_slices(opt, n_grid=11)
    fig = plot_slices_1d(s)
    assert fig._suptitle.get_text() == "tc: slices through the best point, gas = vac"
    plt.close(fig)
    fig = plot_slice_2d(s, next(iter(s["two_d"])))
    assert fig._suptitle.get_text() == "others at the best point, gas = vac"
    plt.close(fig)
    from fluxtrap.optimize.plots import plotly_slices_1d

    title = plotly_slices_1d(s).layout.title.text
    assert title == "tc: slices through the best point, gas = vac"


def test_slices_run_along_free_parameters_only():
    """A space with ramp_rate held fixed (SearchSpace.fix) was sliced along ramp_rate too: a
    line and two maps along a parameter no suggestion moves. Now only the free ones by default,
    and one asked for by name is refused, naming its value and the free ones."""
    space = SPACE.fix(ramp_rate=50.0)
    X = space.sample(6, seed=0)
    y = pd.Series(np.exp(-(((X.max_temperature - 620) / 80) ** 2)), name="jc_3T")
    opt = Optimizer(space, seed=0, **FAST).tell(X, y)
    s = model_slices(opt, n_grid=5)
    assert list(s["one_d"]) == ["max_temperature", "dwell_time"]
    assert list(s["two_d"]) in (
        [("max_temperature", "dwell_time")],
        [("dwell_time", "max_temperature")],
    )
    with pytest.raises(ValidationError, match="ramp_rate is held fixed at 50; slices run along "
                       r"free parameters \(max_temperature, dwell_time\)"):  # fmt: skip
        model_slices(opt, one_d=["ramp_rate"], n_grid=5)
    with pytest.raises(ValidationError, match="ramp_rate is held fixed"):
        model_slices(opt, two_d=[("ramp_rate", "dwell_time")], n_grid=5)


def test_default_slices_pass_through_the_fixed_value_not_the_best_rows():
    """With ramp_rate held fixed at 50 (SearchSpace.fix), the default slices passed through
    the best row at its own ramp_rate, a setting no suggestion takes; now through the best row's
    free values at ramp_rate 50."""
    X = SPACE.sample(8, seed=1)  # measured before the fix: ramp_rate anywhere in 10-100
    y = pd.Series(np.exp(-(((X.max_temperature - 620) / 80) ** 2)), name="jc_3T")
    opt = Optimizer(SPACE.fix(ramp_rate=50.0), seed=0, **FAST).tell(X, y)
    s = model_slices(opt, n_grid=5)
    best = X.iloc[int(y.to_numpy().argmax())].to_dict()
    assert best["ramp_rate"] != 50.0 and s["through_row"] == int(y.to_numpy().argmax())
    assert s["through"] == {**best, "ramp_rate": 50.0}
    line = s["one_d"]["dwell_time"]
    point = pd.DataFrame([{**best, "ramp_rate": 50.0, "dwell_time": line["x"][3]}])
    assert line["mean"][3] == pytest.approx(opt.predict(point).iloc[0].jc_3T_mean, rel=1e-9)


def test_the_acquisition_is_blank_where_a_linear_constraint_forbids_the_point():
    """Under T + 4 dwell <= 700 the slices drew the acquisition over forbidden settings too,
    where no suggestion can go (its peak could lie there); now it is NaN (blank) there, the
    model's mean and std still drawn."""
    from fluxtrap.campaign import LinearConstraint

    space = SearchSpace(
        SPACE.parameters, (LinearConstraint({"max_temperature": 1, "dwell_time": 4}, 700),)
    )
    X = space.sample(10, seed=0)
    y = pd.Series(np.exp(-(((X.max_temperature - 620) / 80) ** 2)), name="jc_3T")
    opt = Optimizer(space, seed=0, num_restarts=2, raw_samples=64).tell(X, y)
    through = {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0}
    s = model_slices(opt, through=through, n_grid=61, two_d=[("max_temperature", "dwell_time")])
    line = s["one_d"]["dwell_time"]  # 600 + 4 dwell <= 700: dwell <= 25 min
    allowed = line["x"] <= 25 + 1e-9
    assert np.isfinite(line["acquisition"][allowed]).all()
    assert np.isnan(line["acquisition"][~allowed]).all() and (~allowed).sum() == 35
    assert np.isfinite(line["mean"]).all() and np.isfinite(line["std"]).all()
    m = s["two_d"][("max_temperature", "dwell_time")]
    gx, gy = np.meshgrid(m["x"], m["y"])
    assert (np.isnan(m["acquisition"]) == (gx + 4 * gy > 700 + 1e-9)).all()


def test_the_slices_acquisition_with_pending_points_is_not_the_mc_floor():
    """With pending points the slices drew qLogNEI of 128 quasi-MC samples, which resolves no
    chance of improving below about 1 in 128: along z it read log EI -42 where 16384 samples
    read -14 to -11 (the demo campaign: -85 to -91 against -2 to 1.4). The analytic LogEI on
    the model conditioned on the pending points at its mean (kriging believer) stays within
    3.5 nats of the 16384-sample value wherever that one resolves it (above -30)."""
    import torch

    space = SearchSpace([Continuous("x", 0, 1), Continuous("z", 0, 1)])
    X = space.sample(10, seed=0)
    peak = np.exp(-((X.x - 0.6) ** 2 + (X.z - 0.6) ** 2) / 0.08)
    noise = 0.02 * np.random.default_rng(0).standard_normal(10)
    opt = Optimizer(space, seed=0).tell(X, pd.Series(peak + noise, name="y"))
    best = X.iloc[int(np.argmax(peak + noise))]
    pending = pd.DataFrame({"x": [best.x + 0.05, best.x - 0.05], "z": [best.z] * 2})
    s = model_slices(opt, pending=pending, n_grid=21, one_d=["x", "z"], two_d=[])
    opt.mc_samples = 16384
    reference = opt.acquisition_function(space.to_unit(pending))
    for name, line in s["one_d"].items():
        grid = pd.DataFrame({"x": [best.x] * 21, "z": [best.z] * 21}).assign(**{name: line["x"]})
        with torch.no_grad():
            ref = reference(space.to_unit(grid).unsqueeze(1)).numpy()
        resolved = ref > -30
        assert resolved.sum() >= 5  # 9-16 of 21, by the GP fit of the machine and worker
        gap = np.abs(line["acquisition"] - ref)[resolved]
        assert gap.max() < 3.5, (name, line["acquisition"].round(1), ref.round(1))


def test_a_sample_awaiting_its_constraint_outcome_counts_in_its_objective_s_progress(
    tmp_path, monkeypatch
):
    """tc >= 36 K bounds jc_3T; the best Jc waits for its Tc. `plot model` drew only the rows
    the model was told, so the best-so-far figure of Jc left it out; and given the whole
    history, the report paired 6 origins with 5 observations (a ValidationError). The model is
    told all 6 now (tc's GP on the 5 that measured it, as campaign_optimizer tells them): the
    slices draw them and Jc's progress all 6."""
    import fluxtrap.optimize.plots as plots

    X = SPACE.sample(6, seed=1)
    jc = pd.Series([1.0, 2.0, 1.5, 1.2, 1.8, 3.0], name="jc_3T") * 1e8
    tc = pd.Series([37.0, 35.0, 38.0, 36.5, 39.0, np.nan], name="tc")
    history = X.assign(jc_3T=jc, tc=tc, origin=["researcher"] * 3 + ["optimizer"] * 3)
    opt = Optimizer(SPACE, seed=0, outcome_constraints={"tc": (36.0, None)}, **FAST)
    opt.tell(X, pd.concat([jc, tc], axis=1))
    drawn = []
    monkeypatch.setattr(
        plots, "plot_best_so_far", lambda p, o, **k: drawn.append(p) or plot_best_so_far(p, o, **k)
    )
    coarse = plots.model_slices
    monkeypatch.setattr(plots, "model_slices", lambda *a, **k: coarse(*a, n_grid=6, **k))
    write_model_report(opt, history, tmp_path, html=False)
    assert drawn[0].value.tolist() == jc.tolist()  # drawn; the best waits for its Tc (best())
    assert drawn[0].best_all.iloc[-1] == opt.best()["jc_3T"] == 1.8e8
    assert drawn[0].status.tolist()[-1] == "unknown"


def test_slices_pass_through_the_best_row_known_to_meet_the_outcome_constraints():
    """The slices went through the row of highest Jc even where it broke a constraint (Tc 35 K
    under tc >= 36 K) or awaited its Tc: now through best()'s row, as the figures' best."""
    X = SPACE.sample(6, seed=1)
    jc = pd.Series([1.0, 2.0, 1.5, 1.2, 1.8, 3.0], name="jc_3T") * 1e8
    tc = pd.Series([37.0, 35.0, 38.0, 36.5, 39.0, np.nan], name="tc")
    opt = Optimizer(SPACE, seed=0, outcome_constraints={"tc": (36.0, None)}, **FAST)
    opt.tell(X, pd.concat([jc, tc], axis=1))
    s = model_slices(opt, n_grid=6, one_d=["ramp_rate"], two_d=[])
    assert s["through"] == X.iloc[4].to_dict() == opt.best()[SPACE.names].to_dict()


def test_the_slice_point_is_checked_by_name_and_value(fitted):
    """through={'max_temprature': 650, ...} was ignored and the parameter meant a KeyError; a
    value outside was named 'X row 0', a table the caller never passed."""
    opt, _ = fitted
    point = {"ramp_rate": 40.0, "max_temperature": 650.0, "dwell_time": 10.0}
    typo = {"ramp_rate": 40.0, "max_temprature": 650.0, "dwell_time": 10.0}
    with pytest.raises(ValidationError, match="no parameter 'max_temprature' .did you mean 'max"):
        model_slices(opt, through=typo, n_grid=3, two_d=[])
    with pytest.raises(ValidationError, match="through lacks dwell_time"):
        model_slices(opt, through={"ramp_rate": 40.0, "max_temperature": 650.0})
    with pytest.raises(ValidationError, match="through row 0: dwell_time=90.0 is outside"):
        model_slices(opt, through=point | {"dwell_time": 90.0})
    with pytest.raises(ValidationError, match="'jc3T' is not an objective .*did you mean 'jc_3T'"):
        model_slices(opt, objective="jc3T")  # was ValueError: 'jc3T' is not in list
    s = model_slices(opt, through=point, n_grid=3, one_d=["dwell_time"], two_d=[])
    assert s["through"] == point and s["one_d"]["dwell_time"]["x"].tolist() == [0, 30, 60]


@pytest.mark.parametrize("n_grid", [0, 1, 2.5, MAX_SLICE_GRID + 1, True])
def test_the_slice_grid_is_bounded(fitted, n_grid):
    """n_grid 0 drew empty slices, 2.5 raised numpy's TypeError, 5000 ran a minute and failed
    allocating 5e15 bytes: a whole number from 2 to MAX_SLICE_GRID, said before any work."""
    opt, _ = fitted
    with pytest.raises(
        ValidationError, match=f"n_grid must be a whole number from 2 to {MAX_SLICE_GRID}"
    ):
        model_slices(opt, n_grid=n_grid)


def test_slices_of_a_partly_measured_campaign_pass_through_the_best_measured_value(tmp_path):
    """With jc unmeasured in the row of best tc (told since each outcome has its own GP), the
    slices' default anchor was np.argmax over a NaN: that row, not jc's best; and the report's
    origins counted only the fully measured rows (a ValidationError: 4 labels for 5 rows)."""
    space = SearchSpace([Continuous("x", 0, 1)])
    X = pd.DataFrame({"x": [0.1, 0.3, 0.5, 0.9, 0.7]})
    Y = pd.DataFrame({"jc": np.sin(6 * X["x"]) + 2, "tc": 30 + 5 * X["x"] ** 2})
    Y.loc[0, "jc"] = np.nan  # jc's best is row 1 (x = 0.3: 2.97)
    opt = Optimizer(space, seed=0, maximize=[True, False], mc_samples=16, **FAST).tell(X, Y)
    assert model_slices(opt, objective="jc", n_grid=5)["through"] == {"x": 0.3}
    history = pd.concat([X, Y], axis=1).assign(origin=["researcher"] * 3 + ["optimizer"] * 2)
    paths = write_model_report(opt, history, tmp_path, html=False)
    assert any(p.name == "model_1d_jc.png" for p in paths)
