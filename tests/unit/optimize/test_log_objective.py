"""An objective with ``log = true`` is modelled as ln(value); one spanning decades without it is
named (SpanWarning)."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from fluxtrap.campaign import ObjectiveDef
from fluxtrap.errors import ValidationError
from fluxtrap.optimize import Continuous, FloorWarning, Optimizer, SearchSpace, SpanWarning
from fluxtrap.optimize.optimizer import ZERO_FLOOR

FAST = {"num_restarts": 2, "raw_samples": 64}
SPACE = SearchSpace([Continuous("T", 550, 750, 5, "degC"), Continuous("t", 1, 60, 0, "min")])


def jc_table(n: int = 10, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Jc (A/m^2) of a peak at 680 degC, 40 min, from 1e3 to about 1e8 (5 decades)."""
    X = SPACE.sample(n, seed=seed)
    u = ((X["T"] - 680) / 60) ** 2 + ((X["t"] - 40) / 25) ** 2
    return X, pd.Series(10 ** (3 + 5 * np.exp(-u)), name="jc")


def pair(log_shown: dict | None = None, **options) -> tuple[Optimizer, Optimizer]:
    """An optimizer with jc's log = true, and one told ln(jc) as a plain objective."""
    shown = {"jc": ObjectiveDef("jc", quantity="jc", field_T=3.0, log=True)} | (log_shown or {})
    return (
        Optimizer(SPACE, seed=3, shown=shown, **FAST, **options),
        Optimizer(SPACE, seed=3, **FAST, **options),
    )


def test_a_log_objective_is_modelled_as_ln_and_its_predictions_are_the_median():
    """The GP of a log objective is the GP of ln(value): the same picks, log EI and noise as an
    optimizer told ln(value); predict gives the median exp(mu) and the sd of ln(value)."""
    X, y = jc_table()
    logged, told_ln = pair()
    logged.tell(X, y)
    told_ln.tell(X, np.log(y))
    at = SPACE.sample(4, seed=9)
    got, ln = logged.predict(at, measurement=True), told_ln.predict(at, measurement=True)
    np.testing.assert_allclose(got["jc_mean"], np.exp(ln["jc_mean"]), rtol=1e-9)
    np.testing.assert_allclose(got["jc_std"], ln["jc_std"], rtol=1e-9)
    for n in (1, 2):
        pd.testing.assert_frame_equal(logged.ask(n), told_ln.ask(n))
    assert float(logged.measurement_noise()[0]) == float(told_ln.measurement_noise()[0])
    summary = logged.model_summary()["objectives"]["jc"]
    assert summary["log"] is True and "log" not in told_ln.model_summary()["objectives"]["jc"]
    for key in ("noise_std", "loo_rmse", "loo_r2"):  # on ln(value), as modelled
        assert summary[key] == pytest.approx(told_ln.model_summary()["objectives"]["jc"][key])
    loo = logged.loo()  # the median, and the observed values as told
    np.testing.assert_allclose(loo["jc_loo_mean"], np.exp(told_ln.loo()["jc_loo_mean"]))
    np.testing.assert_allclose(loo["jc"], y)


def test_a_minimised_log_objective_and_its_no_improvement_switch_work_on_ln():
    """With replicates, their pooled scatter, the noise the switch and the repeat guard judge
    by, is of ln(value) (of the raw values it would be a bar of A/m^2 on a log EI of ln)."""
    X, y = jc_table(8)
    X = pd.concat([X, X.iloc[[0, 0, 1, 1]]], ignore_index=True)
    y = pd.concat([y, y.iloc[[0, 0, 1, 1]] * [1.1, 0.9, 1.05, 0.95]], ignore_index=True)
    logged, told_ln = pair(maximize=False)
    logged.tell(X, y)
    told_ln.tell(X, np.log(y))
    assert logged.replicate_noise()[1] == 4  # 12 rows at 8 points
    np.testing.assert_allclose(logged.replicate_noise()[0], told_ln.replicate_noise()[0])
    assert float(logged.measurement_noise()[0]) == float(told_ln.measurement_noise()[0])
    a, b = logged.ask(2), told_ln.ask(2)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs
    assert logged.best()["jc"] == y.min()  # in its own unit


def test_a_stated_error_of_a_log_objective_is_relative_on_ln():
    """sigma on jc is sigma / jc on ln(jc); the refits of sd_scale model ln(jc) too."""
    X, y = jc_table(9)
    errors = pd.Series(0.1 * y.to_numpy(), name="jc")
    logged, told_ln = pair()
    logged.tell(X, y, errors=errors)
    told_ln.tell(X, np.log(y), errors=pd.Series(np.full(len(y), 0.1), name="jc"))
    at = SPACE.sample(3, seed=4)
    np.testing.assert_allclose(
        logged.predict(at, measurement=True)["jc_std"],
        told_ln.predict(at, measurement=True)["jc_std"],
        rtol=1e-9,
    )
    np.testing.assert_allclose(logged.sd_scale(), told_ln.sd_scale(), rtol=1e-9)


def test_log_objectives_with_an_outcome_constraint_and_two_objectives_model_ln():
    """An outcome constraint on a log outcome is ln of its bounds (a lower one <= 0 always
    met); with two objectives the hypervolume is of ln(jc) and the other as told."""
    X, y = jc_table(9)
    tc = pd.Series(30 + 0.05 * (X["T"] - 550), name="tc")
    Y = pd.concat([y, tc], axis=1)
    logged, told_ln = pair(outcome_constraints={"jc": (1e4, None)}, objectives=["tc"])
    logged.tell(X, Y)
    told_ln.tell(X, Y.assign(jc=np.log(y)))
    told_ln.outcome_constraints = {"jc": (math.log(1e4), None)}
    pd.testing.assert_frame_equal(logged.ask(1), told_ln.ask(1))
    assert list(logged.constraint_status()) == ["met" if v >= 1e4 else "not met" for v in y]
    both, both_ln = pair(objectives=["jc", "tc"])
    both.tell(X, Y)
    both_ln.tell(X, Y.assign(jc=np.log(y)))
    pd.testing.assert_frame_equal(both.ask(1), both_ln.ask(1))
    with pytest.raises(ValidationError, match="jc has log = true, its values are above 0"):
        pair(outcome_constraints={"jc": (None, 0.0)})


def test_a_value_below_0_of_a_log_objective_is_refused_naming_the_row():
    X, y = jc_table(6)
    logged, _ = pair()
    logged.tell(X.iloc[:3], y.iloc[:3])
    y = y.set_axis([f"S{i}" for i in range(6)])
    y.iloc[4] = -1.0
    with pytest.raises(ValidationError, match=r"y row 'S4': outcome jc=-1 is below 0.*log = true"):
        logged.tell(X.iloc[3:].set_axis(y.index[3:]), y.iloc[3:])
    assert len(logged.X) == 3  # nothing told


def test_a_0_of_a_log_objective_is_modelled_at_a_floor_below_the_smallest_value():
    """Jc 0 (nothing measurable): told, the GP sees ln(ZERO_FLOOR x the smallest value above
    0), as an optimizer told that value; a note names the rows and the floor in A/cm^2; a
    stated 1-sigma of a 0 is none (no relative error of 0)."""
    X, y = jc_table(9)
    y = y.set_axis([f"S{i}" for i in range(9)])
    y.iloc[[2, 5]] = 0.0
    floor = ZERO_FLOOR * y[y > 0].min()
    logged, told_ln = pair()
    errors = pd.Series(0.1 * y.to_numpy() + 1e5, index=y.index, name="jc")
    logged.tell(X.set_axis(y.index), y, errors=errors)
    told_ln.tell(X, np.log(y.replace(0.0, floor)), errors=errors / y.replace(0.0, np.inf))
    assert logged.floor("jc") == floor
    with pytest.warns(FloorWarning) as said:
        pd.testing.assert_frame_equal(logged.ask(1), told_ln.ask(1))
    (text,) = [str(w.message) for w in said if w.category is FloorWarning]
    shown = f"{floor / 1e4:.3g} A/cm²"
    assert text.startswith(
        f"objective jc: 2 value(s) of 0 (S2, S5) are modelled at a floor of {shown}"
    )
    assert text in logged.model_summary()["notes"]
    assert logged.best()["jc"] == y.max() and logged.loo()["jc"].min() == 0.0


def test_a_0_of_a_minimised_log_objective_is_refused_naming_the_sample_and_column():
    """A minimised log objective (a loss): at the floor, a decade below every measured value, a 0
    had been the best value yet; it is refused, nothing told. Maximised, the same 0 is told (at
    the floor, ranked the worst)."""
    X, y = jc_table(6)
    y = y.rename("loss").set_axis([f"S{i}" for i in range(6)])
    y.iloc[4] = 0.0
    shown = {"loss": ObjectiveDef("loss", goal="minimize", log=True)}
    opt = Optimizer(SPACE, seed=3, maximize=False, shown=shown, **FAST)
    with pytest.raises(ValidationError) as err:
        opt.tell(X.set_axis(y.index), y)
    assert str(err.value).startswith(
        "y row 'S4': outcome loss=0, and loss is minimised with log = true"
    )
    assert "the smallest value the instrument resolves" in str(err.value) and opt.X.empty
    maximised = Optimizer(SPACE, seed=3, shown=shown, **FAST)
    assert len(maximised.tell(X.set_axis(y.index), y).X) == 6


def test_a_floored_0_steers_suggestions_away_from_where_it_was_measured():
    """1-D: Jc rising with x to x = 5, nothing measurable at x = 7 to 10. Told the zeros, the
    suggestion stays below them; with those rows dropped it goes among them."""
    space = SearchSpace([Continuous("x", 0, 10, 0)])
    x = np.array([0, 1, 2, 3, 4, 5, 7, 8, 9, 10], dtype=float)
    jc = np.where(x <= 5, 10 ** (6 + 0.4 * x), 0.0)
    X, y = pd.DataFrame({"x": x}), pd.Series(jc, name="jc")
    shown = {"jc": ObjectiveDef("jc", quantity="jc", field_T=3.0, log=True)}
    told, dropped = (Optimizer(space, seed=1, shown=shown, **FAST) for _ in range(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FloorWarning)
        at_floor = float(told.tell(X, y).ask(1)["x"].iloc[0])
    without = float(dropped.tell(X[jc > 0], y[jc > 0]).ask(1)["x"].iloc[0])
    assert at_floor < 7 < without, (at_floor, without)  # seed 1: 4.7 and 7.2


def test_an_objective_spanning_decades_without_log_is_named():
    X, y = jc_table(10)
    shown = {"jc": ObjectiveDef("jc", quantity="jc", field_T=3.0)}
    span = math.log10(y.max() / y.min())
    opt = Optimizer(SPACE, seed=0, shown=shown, **FAST).tell(X, y)
    with pytest.warns(SpanWarning) as said:
        _ = opt.model
    (text,) = [str(w.message) for w in said if w.category is SpanWarning]
    assert text.startswith(f"objective jc: its values, all above 0, span {span:.1f} decades (")
    assert "A/cm²)" in text and "log = true" in text and text in opt.notes()
    quiet = [
        Optimizer(SPACE, seed=0, shown={"jc": ObjectiveDef("jc", log=True)}, **FAST).tell(X, y),
        Optimizer(SPACE, seed=0, **FAST).tell(X, y.clip(lower=y.max() / 99)),  # 2 decades
        Optimizer(SPACE, seed=0, **FAST).tell(X, y - y.median()),  # some not above 0
        Optimizer(SPACE, seed=0, objectives=["tc"], outcome_constraints={"jc": (1e4, None)})
        .tell(X, pd.concat([y, pd.Series(np.linspace(30, 40, len(y)), name="tc")], axis=1)),
    ]  # fmt: skip
    for opt in quiet:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SpanWarning)
            _ = opt.model
        assert not [n for n in opt.notes() if "decades" in n]


def test_an_objective_without_log_is_modelled_as_before():
    """ObjectiveDef(log=False) given or no definition at all: the same picks, a 0 among the
    values told as 0 (only a log objective's is floored), with no floor note."""
    X, y = jc_table(8)
    y.iloc[2] = 0.0
    plain = Optimizer(SPACE, seed=3, **FAST).tell(X, y)
    shown = {"jc": ObjectiveDef("jc", quantity="jc", field_T=3.0)}
    defined = Optimizer(SPACE, seed=3, shown=shown, **FAST).tell(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpanWarning)
        warnings.simplefilter("error", FloorWarning)
        pd.testing.assert_frame_equal(plain.ask(2), defined.ask(2))


def test_the_notes_pass_over_an_outcome_not_measured_yet():
    """tc measured in no row: the span and outlier checks read none of its values (the
    quartiles of no value had been an IndexError in notes())."""
    X, y = jc_table(6)
    Y = pd.concat([y, pd.Series(np.nan, index=y.index, name="tc")], axis=1)
    opt = Optimizer(SPACE, objectives=["jc"], outcome_constraints={"tc": (30, None)}).tell(X, Y)
    (tc,) = [n for n in opt.notes() if "tc" in n]
    assert tc.startswith("none of the 6 observations meets the outcome constraints (tc >= 30)")


def test_an_optimizer_of_a_campaign_keeps_its_objectives_log():
    """The README's optimizer without a store, given the campaign, modelled a log = true Jc raw
    (its space holds no objectives) and its note told to "give jc log = true", as the file did.
    Given a campaign it now takes the campaign's log objectives as ``shown``, unless it is given
    (the others as before: named in the units told)."""
    campaign = {
        "name": "c",
        "parameters": [
            {"name": "T", "low": 550, "high": 750, "step": 5, "unit": "degC"},
            {"name": "t", "low": 1, "high": 60, "unit": "min"},
        ],
        "objectives": [{"name": "jc", "quantity": "jc", "field": "3 T", "log": True}],
    }
    X, y = jc_table()
    opt = Optimizer(campaign, seed=3, **FAST).tell(X, y)
    assert opt.log_outcomes == ["jc"] and opt.notes() == []
    assert opt.shown["jc"].shown_unit == "A/cm²"
    raw = Optimizer(campaign, seed=3, shown={}, **FAST).tell(X, y)
    decades = math.log10(y.max() / y.min())
    assert raw.log_outcomes == [] and f"span {decades:.1f} decades" in raw.notes()[0]


def test_a_value_mistyped_at_the_median_is_named_by_its_leave_one_out_prediction():
    """30 Jc of a peak over 5 decades, the median one typed 1e3 x: on ln it lies 1.3 IQRs from
    the median, inside Tukey's fence (OUTLIER_LN_IQR), and went unnamed; the GP of the other rows
    predicts it 4.6 sd lower (OUTLIER_LN_LOO). The clean table is named by neither."""
    from fluxtrap.optimize import OutlierWarning

    X, y = jc_table(30)
    shown = {"jc": ObjectiveDef("jc", quantity="jc", field_T=3.0, log=True)}
    clean = Optimizer(SPACE, seed=0, shown=shown, **FAST).tell(X, y)
    assert not [n for n in clean.notes() if "lie more than" in n]
    typo, median = y.copy(), int(np.argsort(y.to_numpy())[15])
    typo.iloc[median] *= 1e3
    opt = Optimizer(SPACE, seed=0, shown=shown, **FAST).tell(X, typo)
    with pytest.warns(OutlierWarning, match="sd from its prediction by the model") as said:
        _ = opt.model
    (text,) = [str(w.message) for w in said if w.category is OutlierWarning]
    assert text.startswith(f"objective jc: 1 of 30 values ({typo.iloc[median] / 1e4:g} A/cm²)")


def test_a_log_objective_is_judged_for_outliers_on_ln_of_its_values():
    """Jc rising from 1e3 to 1e8 A/m^2 (5 decades, most near 1e3), log = true: its largest
    values lay ~4000 interquartile ranges of the raw values from the median and were named as
    typos. On ln(value), 0s left out, they are not; the largest typed 1e6 x still is."""
    from fluxtrap.optimize import OutlierWarning
    from fluxtrap.optimize.optimizer import OUTLIER_LN_IQR

    x = np.linspace(0, 1, 12)
    X, y = pd.DataFrame({"T": 550 + 200 * x, "t": 1 + 59 * x}), 10 ** (3 + 5 * x**4)
    q1, median, q3 = np.percentile(y, [25, 50, 75])
    assert (y.max() - median) / (q3 - q1) > 1000  # OUTLIER_IQR on the raw values
    shown = {"jc": ObjectiveDef("jc", quantity="jc", field_T=3.0, log=True)}
    for values in (y, np.r_[y, 0.0, 0.0]):
        rows = X.iloc[np.arange(len(values)) % len(X)].reset_index(drop=True)
        opt = Optimizer(SPACE, seed=0, shown=shown, **FAST)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FloorWarning)
            opt.tell(rows, pd.Series(values, name="jc"))
        assert not [n for n in opt.notes() if "interquartile" in n]
    typo = np.r_[y[:-1], y[-1] * 1e6]
    opt = Optimizer(SPACE, seed=0, shown=shown, **FAST).tell(X, pd.Series(typo, name="jc"))
    with pytest.warns(OutlierWarning) as said:
        _ = opt.model
    (text,) = [str(w.message) for w in said if w.category is OutlierWarning]
    assert text.startswith(
        f"objective jc: 1 of 12 values ({typo[-1] / 1e4:g} A/cm²) lie more than "
        f"{OUTLIER_LN_IQR:g} interquartile ranges of ln(value) from the median"
    )
