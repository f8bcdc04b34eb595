"""Calibrations in the experiment store (SQLite always, PostgreSQL where one runs): the round trip
with links to the measured files and the fitted case's simulation, refused writes that leave
nothing behind, and migration 0004_calibrations taken back."""

from __future__ import annotations

import hashlib

import pytest
import tomli
from alembic import command
from sqlalchemy import create_engine, inspect

from fluxtrap.errors import NotFoundError, ValidationError
from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.calibrate import apply, parse_fit
from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

from .test_store_simulations import NAME, QUICK_CASE

HALL = b"time_s,B_T\n1,0.51\n10,0.50\n100,0.49\n"
OTHER = b"time_s,B_T\n1,0.31\n10,0.30\n100,0.29\n"


def read_as(result: dict, case, measured) -> dict:
    """``result`` with the sha256 of the files as run_calibration records them at its start."""
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    return result | {
        "case": {"file": str(case), "sha256": digest(case)},
        "measurements": [{"file": str(p), "sha256": digest(p)} for p in measured],
    }


@pytest.fixture(scope="module")
def fitted():
    """The quick case, the same with Jc x 0.9 (the 'fitted' one), its run, and a result dict."""
    case = Case.from_dict(tomli.loads(QUICK_CASE))
    fit = parse_fit("bulk.jc_scale", case)
    better = apply(case, fit, [0.9])
    run = simulate(better)
    result = {
        "parameters": {"bulk.jc_scale": {"value": 0.9, "sigma": 0.01, "unit": ""}},
        "misfit": {"chi2": 40.0, "dof": 40, "chi2_red": 1.0, "fits": True},
        "simulations": 7,
    }
    return case, better, run, result


def test_calibration_round_trip_with_its_links(store, fitted):
    case, better, run, result = fitted
    store.add_sample(NAME, "B2", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    meas = store.add_measurement(NAME, "B2", "hall_series", "hall.csv", HALL)
    series = [("hall.csv", HALL, "surface"), ("b.csv", OTHER, "surface")]
    rec = store.add_calibration(
        case, QUICK_CASE, better, better.to_toml(), result, series,
        simulation=(run.summary(), run.probes_csv()), campaign=NAME, created_by="rita",
    )  # fmt: skip
    assert (rec.fit, rec.fits, rec.campaign, rec.created_by) == (
        "bulk.jc_scale",
        True,
        NAME,
        "rita",
    )
    assert rec.parameters == {"bulk.jc_scale": (0.9, 0.01)}
    assert [s["measurement_id"] for s in rec.series] == [meas.id, None]  # linked by the bytes
    assert rec.series[1]["sha256"] == hashlib.sha256(OTHER).hexdigest()
    assert store.calibration_series(rec.id, 1) == OTHER
    sim = store.simulation(rec.simulation_id)
    assert sim.probes_csv == run.probes_csv() and sim.case_hash == better.key()
    stored_fit = Case.from_dict(tomli.loads(rec.fitted_case_toml)).material("bulk").jc.jc0_A_m2
    assert stored_fit == pytest.approx(0.9 * case.material("bulk").jc.jc0_A_m2)
    back = store.calibration(rec.id)
    assert back.result == result and back.case_toml == QUICK_CASE and back.case_hash == case.key()
    assert (
        [x.id for x in store.calibrations(NAME)] == [rec.id] == [x.id for x in store.calibrations()]
    )
    with pytest.raises(NotFoundError, match="no calibration with id 999"):
        store.calibration(999)


def test_refused_calibrations_write_nothing(store, fitted):
    case, better, run, result = fitted
    sim = (run.summary(), run.probes_csv())
    with pytest.raises(ValidationError, match="needs the measured series"):
        store.add_calibration(
            case, QUICK_CASE, better, better.to_toml(), result, [], simulation=sim
        )
    with pytest.raises(ValidationError, match="empty or not bytes"):
        store.add_calibration(
            case, QUICK_CASE, better, better.to_toml(), result, [("x.csv", b"", "surface")]
        )
    with pytest.raises(ValidationError, match="parameters and misfit"):
        store.add_calibration(
            case, QUICK_CASE, better, better.to_toml(), {"parameters": {}}, [("x.csv", HALL, "s")]
        )
    with pytest.raises(NotFoundError, match="no campaign named 'nope'"):
        store.add_calibration(case, QUICK_CASE, better, better.to_toml(), result, [("x.csv", HALL, "surface")],
                              simulation=sim, campaign="nope")  # fmt: skip
    hall = [("x.csv", HALL, "surface")]
    with pytest.raises(ValidationError, match=r"calibration name is 201 characters long \(at most"):
        store.add_calibration(case, QUICK_CASE, better, better.to_toml(), result, hall,
                              simulation=sim, name="c" * 201)  # fmt: skip
    with pytest.raises(ValidationError, match="no control or invisible characters"):
        store.add_calibration(case, QUICK_CASE, better, better.to_toml(), result, hall,
                              name="see \u202egpj.exe")  # fmt: skip
    # as a simulation's name: a NUL (PostgreSQL refused it), an ESC, a bidi override
    for filename, probe, field, found in (
        ("x.csv", "surf\x1b[2Jace", "probe", "U+001B"),
        ("see \u202evsc.exe", "surface", "file name", "U+202E"),
        ("x.csv", "top\u200b", "probe", "U+200B"),
        ("x\x00.csv", "surface", "file name", "U+0000"),
    ):
        with pytest.raises(ValidationError) as err:
            store.add_calibration(case, QUICK_CASE, better, better.to_toml(), result,
                                  [(filename, HALL, probe)], simulation=sim)  # fmt: skip
        assert f"series {filename!r}: {field} " in str(err.value)
        assert f"no control or invisible characters (found {found})" in str(err.value)
    # a result whose series are not of its files: restore would refuse its backup
    other = result | {"series": [{"name": "other.csv", "n_points": 20}]}
    with pytest.raises(ValidationError, match="its result's series do not match its measured "
                       "files: file 1 'x.csv' \\(probe 'surface'\\): no series"):  # fmt: skip
        store.add_calibration(case, QUICK_CASE, better, better.to_toml(), other, hall)
    tricked = QUICK_CASE.replace("\n", "\n# \u202e\n", 1)
    for texts in ((tricked, better.to_toml()), (QUICK_CASE, "# \u202e\n" + better.to_toml())):
        with pytest.raises(ValidationError, match=r"case: line \d, column 3: U\+202E"):
            store.add_calibration(case, texts[0], better, texts[1], result, hall, simulation=sim)
    assert store.calibrations() == [] and store.simulations() == []


def test_a_long_name_keeps_the_fitted_suffix_of_its_simulation(store, fitted):
    """The fitted simulation was named f"{name} (fitted)"[:200]: a name of 192 to 200 characters
    (a case title may have 200) lost part of the suffix. Now the name is cut, marked, and the
    suffix kept whole; a short one is as it was, and the calibration keeps the name whole."""
    case, better, run, result = fitted
    sim = (run.summary(), run.probes_csv())
    hall = [("hall.csv", HALL, "surface")]
    for name in ("short", "c" * 191, "d" * 195, "e" * 200):
        rec = store.add_calibration(case, QUICK_CASE, better, better.to_toml(), result, hall,
                                    simulation=sim, name=name)  # fmt: skip
        cut = name if len(name) <= 191 else name[:190] + "…"
        assert (rec.name, store.simulation(rec.simulation_id).name) == (name, f"{cut} (fitted)")


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.CaseWarning")  # past Tc: not the point
def test_a_calibrated_heat_run_keeps_its_heat_csv(store, tmp_path):
    """The fitted case's run came from the calibration's cache without heat.csv (a plain stored
    simulation keeps it): an adiabatic disk ramped down at 100 T/h, through run_case, the cache
    and store_calibration, keeps the run's heat.csv byte for byte; a run without heat none."""
    from types import SimpleNamespace

    from fluxtrap.workflows.calibrate import store_calibration
    from fluxtrap.workflows.sweep.cache import Cache
    from fluxtrap.workflows.sweep.runner import run_case
    from fluxtrap.workflows.sweep.variants import case_key

    from .test_safe_ramp_cli import CASE

    text = (CASE % ("adiabatic", "")).replace('"10 T/h"', '"100 T/h"') + '[mesh]\nsize = "2 mm"\n'
    (tmp_path / "case.toml").write_text(text)
    (tmp_path / "hall.csv").write_bytes(HALL)
    heated = Case.from_toml(tmp_path / "case.toml")
    quick = Case.from_dict(tomli.loads(QUICK_CASE))
    result = {"parameters": {"sc.jc_scale": {"value": 1.0, "sigma": 0.1}}, "misfit": {"fits": True}}
    stored = []
    for case in (heated, quick):
        record = run_case(case)
        Cache(tmp_path / "cache").put(case_key(case), dict(record), {})
        fitted = SimpleNamespace(cases=[case], fitted_cases=[case])
        summary = read_as(result, tmp_path / "case.toml", [tmp_path / "hall.csv"])
        run = SimpleNamespace(calibration=fitted, summary=summary)
        rec = store_calibration(
            store, run, tmp_path / "case.toml", [tmp_path / "hall.csv"], ["top"], tmp_path / "cache"
        )
        stored.append((record, store.simulation(rec.simulation_id)))
    (heat_run, heat_sim), (quick_run, quick_sim) = stored
    assert heat_sim.heat_csv == heat_run["heat_csv"].encode() and len(heat_sim.heat) > 5
    assert heat_sim.heat.max_T_K.max() > 5.1  # the disk warmed: a real heat history
    assert "heat_csv" not in quick_run and quick_sim.heat_csv == b""
    (tmp_path / "cache" / f"{case_key(heated)}-heat.csv").unlink()  # its entry is not whole now
    assert Cache(tmp_path / "cache").get(case_key(heated)) is None


def test_a_fitted_case_whose_run_failed_or_is_damaged_is_stored_without_it_and_said(
    store, tmp_path
):
    """store_calibration linked no simulation without a word (the CLI printed "simulation None
    of the fitted case"): a failed run and a damaged cache entry are each named in an
    UnstoredRunWarning, and the calibration is stored all the same."""
    from types import SimpleNamespace

    from fluxtrap.workflows.calibrate import UnstoredRunWarning, store_calibration
    from fluxtrap.workflows.sweep.cache import Cache
    from fluxtrap.workflows.sweep.variants import case_key

    (tmp_path / "case.toml").write_text(QUICK_CASE)
    (tmp_path / "hall.csv").write_bytes(HALL)
    case = Case.from_toml(tmp_path / "case.toml")
    key = case_key(case)
    result = {
        "parameters": {"bulk.jc_scale": {"value": 1.0, "sigma": 0.1}},
        "misfit": {"fits": True},
    }
    summary = read_as(result, tmp_path / "case.toml", [tmp_path / "hall.csv"])
    run = SimpleNamespace(
        calibration=SimpleNamespace(cases=[case], fitted_cases=[case]), summary=summary
    )
    cache = Cache(tmp_path / "cache")
    cache.put(key, {"status": "failed", "error": "SolverError: stopped", "wall_s": 1.0}, {})
    args = (store, run, tmp_path / "case.toml", [tmp_path / "hall.csv"], ["top"], cache.folder)
    with pytest.warns(UnstoredRunWarning, match=r"its run failed \(SolverError: stopped"):
        failed = store_calibration(*args)
    (cache.folder / f"{key}.json").write_text('{"status": "done"}')
    with pytest.warns(UnstoredRunWarning, match=f"its entry .*{key}.json in the cache is damaged"):
        damaged = store_calibration(*args)
    assert [x.simulation_id for x in (failed, damaged)] == [None, None]
    assert len(store.calibrations()) == 2 and store.simulations() == []


def test_a_file_changed_during_the_calibration_is_not_recorded_as_what_ran(store, tmp_path):
    """store_calibration read the case and the measured files again after the fit (hours, for a
    real one): an edit in between was stored as what had been fitted. Their sha256 from the
    fit's start must match, or nothing is stored and the file is named."""
    from types import SimpleNamespace

    from fluxtrap.workflows.calibrate import store_calibration

    case_file, hall = tmp_path / "case.toml", tmp_path / "hall.csv"
    case_file.write_text(QUICK_CASE)
    hall.write_bytes(HALL)
    case = Case.from_toml(case_file)
    result = {"parameters": {"bulk.jc_scale": {"value": 1.0, "sigma": 0.1}}, "misfit": {}}
    run = SimpleNamespace(
        calibration=SimpleNamespace(cases=[case], fitted_cases=[case]),
        summary=read_as(result, case_file, [hall]),
    )
    for path, edit in ((hall, OTHER), (case_file, QUICK_CASE.encode() + b"# edited\n")):
        before = path.read_bytes()
        path.write_bytes(edit)
        with pytest.raises(ValidationError, match=f"{path}: changed since the calibration read"):
            store_calibration(store, run, case_file, [hall], ["top"], tmp_path / "cache")
        path.write_bytes(before)
        assert store.calibrations() == [] and store.simulations() == []
    with pytest.warns(UserWarning, match="without the fitted case's simulation"):
        rec = store_calibration(store, run, case_file, [hall], ["top"], tmp_path / "cache")
    assert store.calibration(rec.id).case_toml == QUICK_CASE


def test_migration_0004_calibrations_can_be_taken_back(store_url):
    Store(store_url).engine.dispose()
    cfg = alembic_config(store_url)
    command.check(cfg)  # models and migrations agree at head
    command.downgrade(cfg, "0003")
    engine = create_engine(store_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert "calibrations" not in tables and "calibration_series" not in tables
    assert {"simulations", "measurements", "campaigns"} <= tables
    command.upgrade(cfg, "head")
