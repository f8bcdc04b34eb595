"""suggest() on a real SQLite store: history -> optimizer -> open suggestions, pending rules."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import ValidationError
from fluxtrap.optimize import SearchSpace, optimizer
from fluxtrap.optimize.model import known_noise_var
from fluxtrap.store import Store
from fluxtrap.workflows.suggest import MODEL_LOCK, campaign_optimizer, fitted_optimizer, suggest

from ...conftest import mark_failed_with_values

EXAMPLES = Path(__file__).parents[3] / "examples"
NAME = "K-Ba122 SPS"
FAST = {"num_restarts": 2, "raw_samples": 64}


def jc(p: dict) -> float:
    """Stand-in Jc(3 T) landscape in A/m^2, peak 3.5e8 at 620 degC."""
    return 3.5e8 * np.exp(
        -(((p["max_temperature"] - 620) / 80) ** 2) - ((p["ramp_rate"] - 40) / 40) ** 2
    )


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "lab.db")
    s.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    return s


def test_suggest_records_open_suggestions_and_avoids_pending(store):
    space = SearchSpace.from_campaign(store.campaign(NAME))
    first = suggest(store, NAME, n=2, seed=5)  # empty history: Sobol design
    assert [s.status for s in first] == ["open", "open"] and all(s.seed == 5 for s in first)
    assert first[0].acquisition_value is None
    assert first[0].model_summary["model"].startswith("Sobol")
    # measure one suggestion (linked), make the other but do not measure it; add researcher samples
    store.add_sample(
        NAME,
        "S1",
        first[0].params,
        suggestion_id=first[0].id,
        origin="optimizer",
        objectives={"jc_3T": jc(first[0].params)},
    )
    store.add_sample(NAME, "S2", first[1].params, suggestion_id=first[1].id, origin="optimizer")
    for i, p in enumerate(space.sample(4, seed=1).to_dict("records")):
        store.add_sample(NAME, f"R{i}", p, objectives={"jc_3T": jc(p)})
    second = suggest(store, NAME, n=2, seed=5, created_by="ana", **FAST)
    summary = second[0].model_summary
    assert summary["n"] == 5 and summary["acquisition_function"] == "qLogNoisyExpectedImprovement"
    assert set(summary["objectives"]["jc_3T"]["lengthscales"]) == set(space.names)
    assert all(s.created_by == "ana" and np.isfinite(s.acquisition_value) for s in second)
    third = suggest(store, NAME, n=1, seed=5, **FAST)
    taken = pd.DataFrame(
        [*(s.params for s in first + second)] + store.history(NAME)[space.names].to_dict("records")
    )
    new = pd.DataFrame([third[0].params])
    assert not set(space.keys(new)) & set(space.keys(taken))
    assert [s.id for s in store.suggestions(NAME, status="open")] == [s.id for s in second + third]


def test_unmeasured_history_rows_are_pending():
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    history = pd.DataFrame(
        {
            "ramp_rate": [50.0, 30.0, 20.0],
            "max_temperature": [600.0, 650.0, 700.0],
            "dwell_time": [5.0, 10.0, 15.0],
            "jc_3T": [2.9e8, np.nan, 1.0e8],
        }
    )
    opt, pending = campaign_optimizer(
        spec, history, [{"ramp_rate": 11.0, "max_temperature": 451.0, "dwell_time": 0.5}]
    )
    assert len(opt.X) == 2 and opt.maximize == [True]
    assert pending.to_dict("records") == [
        {"ramp_rate": 30.0, "max_temperature": 650.0, "dwell_time": 10.0},
        {"ramp_rate": 11.0, "max_temperature": 451.0, "dwell_time": 0.5},
    ]
    with pytest.raises(ValidationError, match="has no objective to maximize or minimize"):
        campaign_optimizer(CampaignSpec("x", spec.parameters), history)


def test_constrained_campaign_end_to_end(tmp_path, monkeypatch):
    """Linear constraint, categorical and fixed parameters, an outcome constraint (Tc >= 36 K,
    entered with units) and a failed sample, through the store and suggest. The predictions'
    sd scale takes the optimizer's no-refit path (LFO_MAX_S = 0: scale 1): its four
    leave-future-out refits of the categorical model per suggest were 12 of the test's 15 fits
    (test_suggest_coverage.py checks them). The told samples do not change across its four
    asks (only what is pending does), so the model is fitted once and shared by them: the fit of
    the categorical model took 3 x 20-70 s, a fit's seed only seeds BoTorch's retries."""
    monkeypatch.setattr(optimizer, "LFO_MAX_S", 0.0)
    fits, fit = {}, optimizer.fit_models

    def fit_once(U, Y, cat_dims, light_tailed=False, Yvar=None):
        key = (U.numpy().tobytes(), Y.numpy().tobytes(), tuple(cat_dims), light_tailed)
        key += (None if Yvar is None else Yvar.numpy().tobytes(),)
        if key not in fits:
            fits[key] = fit(U, Y, cat_dims, light_tailed, Yvar)
        return fits[key]

    monkeypatch.setattr(optimizer, "fit_models", fit_once)
    store = Store(tmp_path / "c.db")
    spec = store.create_campaign(
        CampaignSpec.from_toml(EXAMPLES / "campaign_constrained.toml")
    ).spec
    name = spec.name
    rng = np.random.default_rng(0)
    for i in range(8):
        p = {
            "ramp_rate": round(float(rng.uniform(10, 100)), 1),
            "max_temperature": float(rng.integers(450, 650)),
            "dwell_time": round(float(rng.uniform(0, 12)), 2),
            "atmosphere": ["Ar", "vacuum"][i % 2],
        }
        tc = f"{30 + (p['max_temperature'] - 450) / 20:.2f} K"  # Tc rises with temperature
        store.add_sample(
            name, f"R{i}", p, objectives={"jc_3T": f"{jc(p) / 1e4:.4g} A/cm^2", "tc": tc}
        )
    assert store.sample(name, "R0").params["pressure"] == 50.0  # fixed value filled in
    store.add_sample(name, "broken", {**p, "dwell_time": 1.0})
    opt, pending = campaign_optimizer(spec, store.history(name), seed=1, **FAST)
    assert len(pending) == 1 and opt.outcomes == ["jc_3T", "tc"]
    assert opt.outcome_constraints == {"tc": (36.0, None)}
    store.set_sample_status(name, "broken", "failed", note="cracked")
    _, pending = campaign_optimizer(spec, store.history(name), seed=1, **FAST)
    assert len(pending) == 0  # a failed sample is not pending: its point is free
    recs = suggest(store, name, n=2, seed=1, **FAST)
    assert recs[0].model_summary["acquisition_function"] == "qLogNoisyExpectedImprovement"
    for r in recs:
        spec.check_params(r.params)  # on the grid, inside bounds, constraint and choices
        assert r.params["pressure"] == 50.0 and r.params["atmosphere"] in ("Ar", "vacuum")
        assert r.params["max_temperature"] + 4 * r.params["dwell_time"] <= 700
    (one,) = suggest(store, name, n=1, seed=2, **FAST)  # the two open ones are pending
    assert one.model_summary["acquisition_function"] == "qLogNoisyExpectedImprovement"
    store.set_suggestion_status(recs[0].id, "abandoned")
    store.set_suggestion_status(recs[1].id, "failed", note="press fault")
    store.set_suggestion_status(one.id, "discarded")
    (alone,) = suggest(store, name, n=1, seed=3, **FAST)  # nothing pending: single-point LogCEI
    assert alone.model_summary["acquisition_function"] == "LogConstrainedExpectedImprovement"
    assert len(fits) == 1  # one set of told samples


def test_each_suggestion_keeps_the_models_prediction_there(store):
    """`suggest` shows the predicted measurement +- 1 sd per suggestion: the stored numbers are
    the model's at that suggestion's own parameters (not the batch's first row), the sd that of
    one measurement there (Optimizer.predict(measurement=True)), wider than the mean's."""
    space = SearchSpace.from_campaign(store.campaign(NAME))
    assert "prediction" not in suggest(store, NAME, n=1)[0].model_summary  # Sobol: no model
    for i, p in enumerate(space.sample(6, seed=2).to_dict("records")):
        store.add_sample(NAME, f"R{i}", p, objectives={"jc_3T": jc(p)})
    batch = suggest(store, NAME, n=3, seed=1, **FAST)
    spec, history = store.campaign(NAME), store.history(NAME)
    pending = [s.params for s in store.suggestions(NAME, status="open") if s not in batch]
    opt, _ = campaign_optimizer(spec, history, pending, seed=1, **FAST)
    X = pd.DataFrame([s.params for s in batch])[space.names]
    pred, of_mean = opt.predict(X, measurement=True), opt.predict(X)
    for s, (_, row), sd in zip(batch, pred.iterrows(), of_mean.jc_3T_std, strict=True):
        guess = s.model_summary["prediction"]["jc_3T"]
        assert guess["mean"] == pytest.approx(row.jc_3T_mean, rel=1e-6)
        assert guess["std"] == pytest.approx(row.jc_3T_std, rel=1e-6) and guess["std"] > sd > 0
    assert batch[0].model_summary["sd_scale"]["jc_3T"] == pytest.approx(opt.sd_scale()[0])
    assert len({s.model_summary["prediction"]["jc_3T"]["mean"] for s in batch}) == 3
    with pytest.raises(ValidationError, match="one prediction per suggestion"):
        store.add_suggestions(NAME, [batch[0].params], [None], {}, 0, predictions=[{}, {}])


def test_an_error_set_by_hand_reaches_the_model(store):
    """ "3.0e4 ± 2e3 A/cm^2" typed for a sample: stored in A/m^2 as the value is, then told to the
    model as that row's known noise; suggest's summary counts it."""
    space = SearchSpace.from_campaign(store.campaign(NAME))
    for i, p in enumerate(space.sample(5, seed=2).to_dict("records")):
        store.add_sample(NAME, f"R{i}", p)
        if i != 3:
            store.set_objectives(NAME, f"R{i}", {"jc_3T": jc(p)})
    store.set_objectives(NAME, "R3", {"jc_3T": "3.0e4 ± 2e3 A/cm^2"})
    opt, _ = campaign_optimizer(store.campaign(NAME), store.history(NAME))
    row = opt.errors["jc_3T"].notna().to_numpy()
    assert row.sum() == 1 and opt.Y["jc_3T"][row].iloc[0] == pytest.approx(3.0e8)
    var = known_noise_var(opt.model)[:, 0].numpy()
    assert var[row][0] == pytest.approx(2e7**2, rel=1e-9)  # (2e3 A/cm^2 in A/m^2)^2
    assert (var[~row] < 1e-3 * var[row][0]).all()  # the floor: 1e-6 of the variance of Jc
    summary = suggest(store, NAME, n=1, seed=5, **FAST)[0].model_summary
    o = summary["objectives"]["jc_3T"]
    assert o["known_errors"] == 1 and "stated errors" in summary["model"]
    assert o["noise_std"] > o["fitted_noise_std"] > 0


def test_the_kept_model_is_refitted_when_only_a_stated_error_changes():
    """The dashboard keeps fitted optimizers by campaign and data: an error stated for a value
    already there is new data."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    history = pd.DataFrame(
        {
            "ramp_rate": [50.0, 30.0],
            "max_temperature": [600.0, 650.0],
            "dwell_time": [5.0, 10.0],
            "jc_3T": [2.9e8, 1.0e8],
            "objective_errors": [{}, {}],
        }
    )
    with MODEL_LOCK:
        plain, _ = fitted_optimizer(spec, history, [])
        assert fitted_optimizer(spec, history.copy(), [])[0] is plain
        history.at[1, "objective_errors"] = {"jc_3T": 2e7}
        stated, _ = fitted_optimizer(spec, history, [])
    assert stated is not plain and stated.errors["jc_3T"].tolist()[1] == 2e7


def test_the_kept_model_is_refitted_when_a_sample_is_marked_failed():
    """The kept optimizer was found by the parameters and values alone: a sample marked failed
    since (a typo's) stayed in the model the dashboard drew, and in its notes."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    history = pd.DataFrame(
        {
            "status": ["made"] * 3,
            "ramp_rate": [50.0, 30.0, 20.0],
            "max_temperature": [600.0, 650.0, 700.0],
            "dwell_time": [5.0, 10.0, 15.0],
            "jc_3T": [2.9e8, 1.0e8, 3e14],
        }
    )
    with MODEL_LOCK:
        assert len(fitted_optimizer(spec, history, [])[0].X) == 3
        history.at[2, "status"] = "failed"
        assert len(fitted_optimizer(spec, history, [])[0].X) == 2


def test_a_history_error_of_an_objective_the_campaign_lacks_is_refused():
    """The store never holds one; a hand-built history is told which sample and key."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    history = pd.DataFrame(
        {
            "label": ["A", "B"],
            "ramp_rate": [50.0, 30.0],
            "max_temperature": [600.0, 550.0],
            "dwell_time": [5.0, 10.0],
            "jc_3T": [2.9e8, 1.0e8],
            "objective_errors": [{}, {"jc_3T": 1e7}],
        }
    )
    opt, _ = campaign_optimizer(spec, history)
    assert opt.errors["jc_3T"].tolist()[1] == 1e7 and opt.known_errors() == {"jc_3T": 1}
    history.at[1, "objective_errors"] = {"jc_3T": 1e7, "tc": 0.3}
    with pytest.raises(ValidationError, match="sample 'B': an error for 'tc', not an objective"):
        campaign_optimizer(spec, history)


def test_an_outlier_is_named_in_the_units_the_campaign_shows():
    """Jc typed as 2.6e10 A/cm² (for 2.6e4) among 2.1-2.5e4 A/cm²: the warning had said
    "(2.6e+14) ... the median 2.35e+08", the stored A/m², numbers the user never typed."""
    from fluxtrap.optimize import OutlierWarning

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    typed = [2.1e4, 2.2e4, 2.3e4, 2.4e4, 2.5e4, 2.6e10]  # A/cm^2, as typed
    history = pd.DataFrame(
        {
            "ramp_rate": [20.0, 30.0, 40.0, 50.0, 60.0, 70.0],
            "max_temperature": [500.0, 550.0, 600.0, 650.0, 700.0, 720.0],
            "dwell_time": [5.0, 10.0, 15.0, 20.0, 25.0, 30.0],
            "jc_3T": [spec.objective("jc_3T").convert(f"{v} A/cm^2") for v in typed],
        }
    )
    opt, _ = campaign_optimizer(spec, history, **FAST)
    median = np.median(typed)  # 23500 A/cm^2
    with pytest.warns(OutlierWarning) as caught:
        opt.model  # noqa: B018
    assert "(2.6e+10 A/cm²) lie more than" in str(caught[0].message)
    assert f"the median {median:g} A/cm²:" in str(caught[0].message)


def test_a_sample_made_at_an_open_suggestion_without_its_id_holds_the_point_once(store):
    """A sample recorded by hand at an open suggestion's point (no --from-suggestion): the
    suggestion stayed open and the one point was counted twice as pending (2, not 1), and it
    kept counting toward the budget."""
    space = SearchSpace.from_campaign(store.campaign(NAME))
    for i, p in enumerate(space.sample(3, seed=1).to_dict("records")):
        store.add_sample(NAME, f"R{i}", p, objectives={"jc_3T": jc(p)})
    (first,) = suggest(store, NAME, n=1, seed=5, **FAST)
    store.add_sample(NAME, "by_hand", first.params)  # made, not measured: pending
    spec, history = store.campaign(NAME), store.history(NAME)
    assert spec.held_by(history, [first.params]) == ["by_hand"]
    assert spec.held_by(history.iloc[:3], [first.params]) == [None]
    (second,) = suggest(store, NAME, n=1, seed=5, **FAST)
    assert second.model_summary["pending"] == 1  # the one point made, counted once
    store.set_sample_status(NAME, "by_hand", "failed")  # a failed sample holds nothing
    assert spec.held_by(store.history(NAME), [first.params]) == [None]


def test_held_by_reads_a_continuous_parameter_within_a_thousandth_of_its_range():
    """The same point as departures reads it: dwell 0-60 min without a step, 0.06 min."""
    spec = CampaignSpec.from_dict(
        {
            "name": "c",
            "parameters": [
                {"name": "dwell", "unit": "min", "low": 0, "high": 60},
                {"name": "gas", "choices": ["Ar", "N2"]},
            ],
            "objectives": [{"name": "y"}],
        }
    )
    samples = pd.DataFrame({"label": ["A"], "dwell": [30.05], "gas": ["Ar"]})
    points = [
        {"dwell": 30.0, "gas": "Ar"},
        {"dwell": 30.2, "gas": "Ar"},
        {"dwell": 30.0, "gas": "N2"},
    ]
    assert spec.held_by(samples, points) == ["A", None, None]
    assert [spec.departures(samples.iloc[0], p) == [] for p in points] == [True, False, False]


def test_a_sample_breaking_only_a_linear_constraint_informs_the_model():
    """A sample made at 720 degC and 5 min (the constraint T + 4 dwell <= 700 forbids it; a rule
    added after it was made) is real data: the model is told it, and an unmeasured one is pending,
    while a sample beyond the bounds (800 degC) stays out, named in the warning. Suggestions still
    keep to the constraint. Before: both were left out, and the model's mean at 720 degC was
    1.75e8 +- 1.2e8 A/m^2 against the 7.3e7 measured there (told: 7.4e7 +- 1e7)."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    spec = CampaignSpec.from_dict(
        {
            **spec.to_dict(),
            "constraints": [{"expression": "max_temperature + 4 * dwell_time <= 700"}],
        }
    )
    rows = [(30.0, 500.0, 5.0), (60.0, 550.0, 10.0), (45.0, 600.0, 2.0), (20.0, 650.0, 8.0)]
    rows += [(40.0, 720.0, 5.0), (40.0, 800.0, 1.0), (40.0, 700.0, 3.0)]  # forbidden, beyond, open
    history = pd.DataFrame(rows, columns=["ramp_rate", "max_temperature", "dwell_time"])
    history["label"] = ["R0", "R1", "R2", "R3", "OLD", "HOT", "WAIT"]
    history["jc_3T"] = [jc(p) for p in history.to_dict("records")]
    history.loc[6, "jc_3T"] = np.nan
    with pytest.warns(UserWarning, match=r"^1 sample\(s\) outside .*: HOT \(max_temperature=800"):
        opt, pending = campaign_optimizer(spec, history, seed=0, **FAST)
    assert len(opt.X) == 5 and 720.0 in opt.X["max_temperature"].to_list()
    assert pending["max_temperature"].to_list() == [700.0]  # WAIT: breaks the rule, still made
    old = history.loc[[4], opt.space.names]
    measured = float(history.loc[4, "jc_3T"])  # 7.3e7
    assert float(opt.predict(old)["jc_3T_mean"].iloc[0]) == pytest.approx(measured, rel=0.05)
    batch = opt.ask(2, pending=pending)
    assert (batch["max_temperature"] + 4 * batch["dwell_time"] <= 700).all()


def test_a_sample_off_the_step_grid_inside_the_bounds_informs_the_model():
    """The furnace ran at 601.5 degC on a 1 degC grid (recorded with --outside-space): measured
    inside the box, it is data. Before, it was left out with a warning and the model's mean there
    was 8.2e7 +- 3.5e7 A/m^2 against the 3.32e8 measured; told, 3.30e8 +- 9e6. A sample beyond a bound
    (800 degC) stays out, and suggestions stay on the grid."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    rows = [(30.0, 500.0, 5.0), (60.0, 550.0, 10.0), (20.0, 700.0, 2.0), (70.0, 650.0, 8.0)]
    rows += [(40.0, 601.5, 5.0), (40.0, 800.0, 1.0)]  # off the grid, beyond the bound
    history = pd.DataFrame(rows, columns=["ramp_rate", "max_temperature", "dwell_time"])
    history["label"] = ["R0", "R1", "R2", "R3", "OFF", "HOT"]
    history["jc_3T"] = [jc(p) for p in history.to_dict("records")]
    assert spec.outside(history.loc[4, spec.parameter_names].to_dict())  # needs --outside-space
    with pytest.warns(UserWarning, match=r"^1 sample\(s\) outside .*: HOT \(max_temperature=800"):
        opt, _ = campaign_optimizer(spec, history, seed=0, **FAST)
    assert len(opt.X) == 5 and 601.5 in opt.X["max_temperature"].to_list()
    measured = float(history.loc[4, "jc_3T"])
    mean = float(opt.predict(history.loc[[4], opt.space.names])["jc_3T_mean"].iloc[0])
    assert mean == pytest.approx(measured, rel=0.05)
    batch = opt.ask(2)
    assert [spec.outside(p) for p in batch[opt.space.names].to_dict("records")] == [[], []]


def test_a_sample_with_one_of_two_objectives_measured_informs_that_objective_and_is_said():
    """A sample with jc measured and tc not yet was a pending point: the model's outputs shared
    their rows, so its jc informed nothing (the lab saw its jc in the tables and wondered why the
    model ignored it). Now jc's GP is told it (one GP per objective, ModelListGP): the sd of jc
    at its point falls (0.3x or less of the model without it), tc's model is the one without it,
    the note names it and what it lacks, a suggestion is made and its stated +- is finite; a
    failed sample is neither, one with nothing measured pending."""
    from fluxtrap.workflows.suggest import campaign_notes, predictions

    spec = CampaignSpec.from_dict(
        {
            "name": "two",
            "parameters": [{"name": "x", "low": 0, "high": 1}],
            "objectives": [{"name": "jc"}, {"name": "tc", "goal": "minimize"}],
        }
    )
    history = pd.DataFrame(
        {
            "label": ["A", "B", "C", "HALF", "DEAD", "NONE"],
            "status": ["made", "made", "made", "made", "failed", "made"],
            "x": [0.1, 0.4, 0.95, 0.7, 0.8, 0.9],
            "jc": [1.0, 2.0, 1.5, 3.0, 4.0, np.nan],
            "tc": [30.0, 31.0, 33.0, np.nan, np.nan, np.nan],
        }
    )
    said = (
        "1 sample(s) with only some objectives measured: HALF (tc not yet); each is told to the "
        "model of the objectives it has (one GP per objective, each on the samples that "
        "measured it)"
    )
    assert campaign_notes(spec, history) == [said]
    with pytest.warns(UserWarning) as caught:
        opt, pending = campaign_optimizer(spec, history, **FAST)
    assert said in [str(w.message) for w in caught]
    assert opt.X["x"].tolist() == [0.1, 0.4, 0.95, 0.7] and pending["x"].tolist() == [0.9]
    complete = history.iloc[:3]
    without, _ = campaign_optimizer(spec, complete, **FAST)
    at = pd.DataFrame({"x": [0.7]})
    got, before = opt.predict(at), without.predict(at)
    assert got["jc_std"].iloc[0] < 0.3 * before["jc_std"].iloc[0]
    assert got["jc_mean"].iloc[0] == pytest.approx(3.0, abs=0.3)
    assert got["tc_std"].iloc[0] == pytest.approx(before["tc_std"].iloc[0], rel=0.05)
    batch = opt.ask(1, pending=pending)
    assert 0.7 not in batch["x"].tolist() and 0.9 not in batch["x"].tolist()
    stated = predictions(opt, batch)[0]
    assert all(np.isfinite(stated[o]["std"]) and stated[o]["std"] > 0 for o in ("jc", "tc"))


def test_only_samples_not_plainly_inside_are_checked_one_by_one(monkeypatch):
    """Each model build checked every sample's parameters one by one (CampaignSpec.outside): a
    campaign of 1e5 samples took 8 s to be refused as too many for the model. Rows inside the
    bounds, choices and fixed values are found by column now (0.5 s); the rest are checked as
    before, and the same rows are left out, named as before."""
    from fluxtrap.campaign import outside_rows

    spec = CampaignSpec.from_dict(
        {
            "name": "mixed",
            "parameters": [
                {"name": "t", "unit": "degC", "low": 450, "high": 750},
                {"name": "gas", "choices": ["Ar", "vacuum"]},
                {"name": "p", "fixed": 50},
            ],
            "objectives": [{"name": "y"}],
        }
    )
    n = 10_000
    history = pd.DataFrame(
        {
            "label": [f"S{i}" for i in range(n)],
            "t": np.linspace(450, 750, n),
            "gas": ["Ar", "vacuum"] * (n // 2),
            "p": 50.0,
            "y": 1.0,
        }
    )
    history.loc[[3, 70, 9000], "t"] = [760.0, 449.0, np.nan]
    checked = []
    one_by_one = CampaignSpec.outside
    monkeypatch.setattr(
        CampaignSpec,
        "outside",
        lambda self, *a, **k: checked.append(a) or one_by_one(self, *a, **k),
    )
    found = outside_rows(spec, history)
    assert len(checked) == 3
    assert list(found) == [3, 70, 9000]
    assert found[3] == "S3 (t=760 degC is outside [450, 750] degC)"
    assert found[9000].startswith("S9000 (t=nan is not a finite number")


def test_suggest_says_why_it_draws_a_design_when_an_objective_has_one_value(tmp_path):
    """Three samples measure jc, one of them tc too: each is told, but tc's GP needs 2 points,
    so suggest draws a Sobol design, says why and stores no prediction (a prediction would fit
    the model and fail on tc's single value)."""
    store = Store(tmp_path / "lab.db")
    spec = {"name": "two", "parameters": [{"name": "x", "low": 0, "high": 1}]}
    objectives = [{"name": "jc"}, {"name": "tc", "goal": "minimize"}]
    store.create_campaign(CampaignSpec.from_dict(spec | {"objectives": objectives}))
    for i, (x, jc_, tc) in enumerate([(0.1, 1.0, 30.0), (0.4, 2.0, None), (0.8, 1.5, None)]):
        measured = {"jc": jc_} | ({"tc": tc} if tc is not None else {})
        store.add_sample("two", f"S{i}", {"x": x}, objectives=measured)
    with pytest.warns(UserWarning, match="only some objectives measured"):
        (rec,) = suggest(store, "two", n=1, seed=0, **FAST)
    assert (
        rec.model_summary["model"] == "Sobol design (an objective measured at fewer than 2 points)"
    )
    assert rec.acquisition_value is None and "prediction" not in rec.model_summary


def test_the_model_page_of_an_objective_no_told_sample_measures_says_so():
    """Two samples measure tc only (jc awaited): both are told now (tc's GP), and the model page
    of jc took the best jc among them, pandas' idxmax of all-NaN (a ValueError traceback); it says
    how many samples measure jc."""
    from fluxtrap.web.plots import model_figures

    spec = CampaignSpec.from_dict(
        {
            "name": "two",
            "parameters": [{"name": "x", "low": 0, "high": 1}],
            "objectives": [{"name": "jc"}, {"name": "tc", "goal": "minimize"}],
        }
    )
    history = pd.DataFrame(
        {"label": ["A", "B"], "status": ["made"] * 2, "x": [0.2, 0.6], "jc": [np.nan] * 2,
         "tc": [30.0, 31.0]}
    )  # fmt: skip
    with pytest.raises(ValidationError, match="at least 2 measured samples; 0 so far"):
        model_figures(spec, history, [], "jc", "x")


def test_the_dashboards_model_slice_passes_through_the_best_row_meeting_the_constraints():
    """The dashboard's model figure went "through the best sample" of highest Jc even where it
    broke the outcome constraint (Tc 35 K under tc >= 36 K): now through ``Optimizer.best``'s
    row, as ``model_slices`` does (a failed sample, not told, is not it either)."""
    from fluxtrap.web.plots import model_figures

    spec = CampaignSpec.from_dict(
        {
            "name": "tc",
            "parameters": [{"name": "x", "low": 0, "high": 1}, {"name": "y", "low": 0, "high": 1}],
            "objectives": [{"name": "jc"}, {"name": "tc", "quantity": "tc", "goal": "constraint"}],
            "constraints": [{"expression": "tc >= 36 K"}],
        }
    )
    history = pd.DataFrame(
        {"label": ["A", "B", "C", "D", "E"], "status": ["made"] * 4 + ["failed"],
         "origin": ["researcher"] * 5, "objective_errors": [{}] * 5,
         "x": [0.1, 0.4, 0.7, 0.9, 0.5], "y": [0.2, 0.8, 0.5, 0.3, 0.5],
         "jc": [1.0, 3.0, 2.0, 1.5, 9.0], "tc": [37.0, 35.0, 38.0, 36.5, 40.0]}
    )  # fmt: skip
    fig = model_figures(spec, history, [], "jc", "x", n_grid=4)["model-1d"]
    with MODEL_LOCK:
        opt, _ = fitted_optimizer(spec, history, [])
        best = opt.best()
    assert best["jc"] == 2.0  # C: B breaks tc >= 36 K, E failed
    assert fig["layout"]["title"]["text"] == f"jc through the best sample C (y={best['y']:g})"


def test_the_model_page_draws_a_0_of_a_log_objective_at_the_models_floor():
    """Jc 0 (nothing measurable) with log = true: the model page's 1D slice drew it at 0 on its
    log axis, where plotly leaves it out; the sample vanished from the model it steers. Now it
    sits at the model's floor (Optimizer.floor, in A/cm^2), its hover saying it is a 0."""
    from fluxtrap.optimize.optimizer import ZERO_LABEL
    from fluxtrap.web.plots import model_figures

    objectives = [{"name": "jc", "quantity": "jc", "field_T": 3.0, "log": True}]
    spec = CampaignSpec.from_dict(
        {"name": "z", "parameters": [{"name": "x", "low": 0, "high": 1}], "objectives": objectives}
    )
    history = pd.DataFrame(
        {"label": list("ABCD"), "status": ["made"] * 4, "origin": ["researcher"] * 4,
         "objective_errors": [{}] * 4, "x": [0.1, 0.4, 0.7, 0.9], "jc": [0.0, 1e7, 1e9, 3e8]}
    )  # fmt: skip
    (jc,) = spec.objectives
    fig = model_figures(spec, history, [], "jc", "x", n_grid=4)["model-1d"]
    with MODEL_LOCK:
        floor = fitted_optimizer(spec, history, [])[0].floor("jc")
    (samples,) = [t for t in fig["data"] if t["name"] == "researcher samples"]
    assert samples["y"] == [jc.shown(v) for v in (floor, 1e7, 1e9, 3e8)]
    assert ZERO_LABEL in samples["customdata"][0] and ZERO_LABEL not in samples["customdata"][1]


def test_a_log_parameter_is_drawn_on_log_axes_on_the_dashboard():
    """A parameter searched on a log scale (``log = true``) was drawn on linear axes: its lowest
    decades squeezed against the axis. The 1D slice and the 2D maps now draw it on log axes."""
    from fluxtrap.web.plots import model_figures

    spec = CampaignSpec.from_dict(
        {
            "name": "dose",
            "parameters": [
                {"name": "dose", "low": 0.01, "high": 100, "log": True},
                {"name": "T", "low": 450, "high": 750},
            ],
            "objectives": [{"name": "jc"}],
        }
    )
    history = pd.DataFrame(
        {"label": list("ABCD"), "status": ["made"] * 4, "origin": ["researcher"] * 4,
         "objective_errors": [{}] * 4, "dose": [0.02, 0.3, 4.0, 60.0],
         "T": [500.0, 600.0, 650.0, 700.0], "jc": [1.0, 3.0, 2.0, 1.5]}
    )  # fmt: skip
    one = model_figures(spec, history, [], "jc", "dose", n_grid=4)["model-1d"]["layout"]
    assert one["xaxis"]["type"] == one["xaxis2"]["type"] == "log"
    two = model_figures(spec, history, [], "jc", "dose", "T", n_grid=4)["model-2d"]["layout"]
    assert two["xaxis"]["type"] == "log" and two["yaxis"]["type"] == "linear"
    flipped = model_figures(spec, history, [], "jc", "T", "dose", n_grid=4)["model-2d"]["layout"]
    assert flipped["xaxis"]["type"] == "linear" and flipped["yaxis"]["type"] == "log"


def test_the_stores_best_so_far_weighs_the_rows_best_weighs(store):
    """The store's best so far (GET /best, the dashboard's progress) counted a failed sample and
    one recorded outside the bounds, which the optimizer is never told: its best was theirs, not
    ``Optimizer.best``'s. Now both weigh the same rows (``campaign.live_rows``)."""
    from fluxtrap.workflows.history import best_so_far

    p = {"ramp_rate": 40.0, "max_temperature": 600.0, "dwell_time": 5.0}
    store.add_sample(NAME, "A", p, objectives={"jc_3T": 2.0e8})
    store.add_sample(NAME, "B", p | {"dwell_time": 9.0}, objectives={"jc_3T": 2.5e8})
    store.add_sample(NAME, "cracked", p | {"dwell_time": 1.0}, objectives={"jc_3T": 9e8})
    mark_failed_with_values(store, "cracked")  # as stores before the store refused it
    hot = p | {"max_temperature": 800.0}  # beyond the 750 degC bound
    store.add_sample(NAME, "hot", hot, objectives={"jc_3T": 8e8}, outside_space=True)
    spec, history = store.campaign(NAME), store.history(NAME)
    got = best_so_far(spec, history)["jc_3T"]
    with pytest.warns(UserWarning, match="outside the campaign's space"):
        best = campaign_optimizer(spec, history)[0].best()
    assert got["all"][-1] == best["jc_3T"] == 2.5e8
    assert got["all"] == [2.0e8, 2.5e8, 2.5e8, 2.5e8]
    assert got["constraints"] == best.attrs["constraints"] == {"met": 2, "not met": 0, "unknown": 0}


def test_the_dashboards_progress_draws_a_0_of_a_log_objective_at_the_floor():
    """Jc 0 first (nothing measurable), then 1e7 and 1e9 A/m^2, log = true: plotly leaves a 0
    out of a log axis, so the sample and the best so far before it were not drawn. Now both
    sit at the model's floor (ZERO_FLOOR x 1e7 A/m^2, in A/cm^2), the 0 a named triangle."""
    from fluxtrap.optimize.optimizer import ZERO_FLOOR, ZERO_LABEL
    from fluxtrap.web.plots import progress_figure

    objectives = [{"name": "jc", "quantity": "jc", "field_T": 3.0, "log": True}]
    spec = CampaignSpec.from_dict(
        {"name": "z", "parameters": [{"name": "x", "low": 0, "high": 1}], "objectives": objectives}
    )
    history = pd.DataFrame(
        {"label": ["A", "B", "C"], "status": ["made"] * 3, "origin": ["researcher"] * 3,
         "objective_errors": [{}] * 3, "x": [0.1, 0.5, 0.9], "jc": [0.0, 1e7, 1e9]}
    )  # fmt: skip
    (jc,) = spec.objectives
    fig = progress_figure(spec, history, jc)
    floor = jc.shown(ZERO_FLOOR * 1e7)
    traces = {t["name"]: t for t in fig["data"]}
    assert traces[ZERO_LABEL]["x"] == [1] and traces[ZERO_LABEL]["y"] == [floor]
    assert ZERO_LABEL in traces[ZERO_LABEL]["hovertemplate"]
    assert traces["researcher samples"]["x"] == [2, 3]  # the 0 once, as the triangle
    assert traces["best so far (all)"]["y"] == [floor, jc.shown(1e7), jc.shown(1e9)]
    plain = progress_figure(spec, history, replace(jc, log=False))  # without log: as it was
    assert ZERO_LABEL not in [t["name"] for t in plain["data"]]
    assert [t["y"] for t in plain["data"] if t["name"] == "best so far (all)"] == [[0.0, 1e3, 1e5]]


def test_the_dashboards_floor_is_the_optimizers_over_the_samples_it_is_told():
    """A failed sample held the smallest Jc above 0 (1e6 A/m^2, the others 1e7 and 1e9): the
    progress figure drew the 0 at 0.1 x 1e6, over every sample, while the optimizer, never told
    the failed one, models it at 0.1 x 1e7. Both now take it over the samples told."""
    from fluxtrap.optimize.optimizer import ZERO_LABEL
    from fluxtrap.web.plots import progress_figure

    objectives = [{"name": "jc", "quantity": "jc", "field_T": 3.0, "log": True}]
    spec = CampaignSpec.from_dict(
        {"name": "z", "parameters": [{"name": "x", "low": 0, "high": 1}], "objectives": objectives}
    )
    history = pd.DataFrame(
        {"label": ["A", "B", "C", "D"], "status": ["made", "failed", "made", "made"],
         "origin": ["researcher"] * 4, "objective_errors": [{}] * 4,
         "x": [0.1, 0.3, 0.5, 0.9], "jc": [0.0, 1e6, 1e7, 1e9]}
    )  # fmt: skip
    (jc,) = spec.objectives
    opt = campaign_optimizer(spec, history)[0]
    traces = {t["name"]: t for t in progress_figure(spec, history, jc)["data"]}
    assert traces[ZERO_LABEL]["y"] == [jc.shown(opt.floor("jc"))]
    assert traces["best so far (all)"]["y"][0] == jc.shown(opt.floor("jc"))
