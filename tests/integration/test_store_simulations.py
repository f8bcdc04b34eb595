"""Simulations in the experiment store (SQLite always, PostgreSQL where one runs): the round trip,
failures recorded with their error, refused writes that leave nothing behind, and migration 0002."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from fluxtrap.errors import NotFoundError, ValidationError
from fluxtrap.simulate import Case, simulate
from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

from ..conftest import OLD_RAW, OLD_TOKEN, assert_rows_kept, old_store, table_rows

NAME = "K-Ba122 SPS"
# A coarse, quick case (under a second): one bulk disk field cooled at 1 T, then held briefly.
QUICK_CASE = """\
title = "Quick disk, FCM 1 T"

[materials.bulk]
n = 25
e0 = "1e-4 V/m"
jc.kim = { jc0 = "2e4 A/cm^2", b0 = "0.5 T" }

[[stack]]
material = "bulk"
radius = "5 mm"
thickness = "2 mm"

[[probes]]
name = "surface"
r = "0 mm"
z = "2.5 mm"

[[protocol]]
step = "set"
field = "1 T"
temperature = "20 K"

[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "0.1 T/s"

[[protocol]]
step = "hold"
duration = "10 s"

[mesh]
size = "1.5 mm"
"""


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The quick case, its result and the files ``Result.save`` wrote (probes.csv, summary.json)."""
    folder = tmp_path_factory.mktemp("quick")
    (folder / "quick.toml").write_text(QUICK_CASE)
    case = Case.from_toml(folder / "quick.toml")
    result = simulate(case)
    result.save(folder / "out", plots=False)
    return case, result, folder / "out"


def test_simulation_round_trip(store, quick):
    case, result, out = quick
    rec = store.add_simulation(
        case, QUICK_CASE, summary=result.summary(), probes_csv=result.probes_csv(),
        campaign=NAME, created_by="rita",
    )  # fmt: skip
    assert (rec.name, rec.campaign, rec.status, rec.error, rec.created_by) == (
        "Quick disk, FCM 1 T", NAME, "done", None, "rita",
    )  # fmt: skip
    back = store.simulation(rec.id)
    assert back.probes_csv == (out / "probes.csv").read_bytes()  # byte for byte
    assert back.summary == json.loads((out / "summary.json").read_text())
    assert back.case == back.summary["case"] and back.case_toml == QUICK_CASE
    assert back.case_hash == case.key()  # the case's identity (the sweep's key adds the solver's)
    pd.testing.assert_frame_equal(back.probes, pd.read_csv(out / "probes.csv"))
    assert back.probes["surface_Bz_T"].iloc[-1] == pytest.approx(
        result.summary()["probes"]["surface"]["final_T"], rel=1e-8
    )
    (listed,) = store.simulations()
    assert listed.id == rec.id and listed.probes_csv == b"" and listed.summary == back.summary
    assert [x.id for x in store.simulations(NAME)] == [rec.id]
    assert "probes_csv" not in repr(listed) and "Quick disk" in repr(listed)


def test_simulations_without_campaign_and_by_campaign(store, quick):
    case, result, _ = quick
    kw = dict(summary=result.summary(), probes_csv=result.probes_csv())
    a = store.add_simulation(case, QUICK_CASE, name="loose", **kw)
    b = store.add_simulation(case, QUICK_CASE, campaign=NAME, **kw)
    assert a.campaign is None and store.simulation(a.id).campaign is None
    assert [x.id for x in store.simulations()] == [a.id, b.id]
    assert [x.id for x in store.simulations(NAME)] == [b.id]
    with pytest.raises(NotFoundError, match="no campaign named 'nope'"):
        store.simulations("nope")


def test_a_list_of_simulations_leaves_their_maps_to_each_one(store, quick):
    """Each web job stores its J/B maps' numbers in its summary (up to MAX_MAPS, about 115 kB
    each): a list read every summary whole, 100 such simulations 1.6 GB of the server's memory
    and 20 s for one GET /api/simulations. The database leaves ``maps`` out of a list."""
    case, result, _ = quick
    maps = {"of": 1, "shown": [{"time_s": 1.0, "B_T": [[0.5] * 40] * 40}]}
    summary = result.summary() | {"maps": maps}
    rec = store.add_simulation(case, QUICK_CASE, summary=summary, probes_csv=result.probes_csv())
    bare = store.add_simulation(case, QUICK_CASE, summary=result.summary(), probes_csv=b"t\n0\n")
    assert store.simulation(rec.id).summary == summary
    assert [x.summary for x in store.simulations()] == [result.summary()] * 2
    assert store.simulation(bare.id).summary == result.summary()


def test_failed_simulation_is_recorded_with_its_error(store, quick):
    case, _, _ = quick
    rec = store.add_simulation(
        case, QUICK_CASE, error="SolverError: Newton did not converge at t = 3 s", created_by="bob"
    )
    back = store.simulation(rec.id)
    assert (back.status, back.error, back.summary, back.probes_csv) == (
        "failed", "SolverError: Newton did not converge at t = 3 s", {}, b"",
    )  # fmt: skip
    assert back.case == case.to_si_dict() and back.case_hash == case.key()
    with pytest.raises(NotFoundError, match=f"simulation {rec.id} has no probe traces"):
        _ = back.probes


def test_refused_writes_leave_nothing(store, quick):
    case, result, _ = quick
    kw = dict(summary=result.summary(), probes_csv=result.probes_csv())
    with pytest.raises(NotFoundError, match="no campaign named 'ghost'"):
        store.add_simulation(case, QUICK_CASE, campaign="ghost", **kw)
    with pytest.raises(ValidationError, match="needs its summary and probes.csv"):
        store.add_simulation(case, QUICK_CASE, summary=result.summary())
    with pytest.raises(ValidationError, match="needs its error message"):
        store.add_simulation(case, QUICK_CASE, error="  ")
    with pytest.raises(ValidationError, match="must be a Case, got dict"):
        store.add_simulation(case.to_dict(), QUICK_CASE, **kw)
    with pytest.raises(ValidationError, match="at most 200"):
        store.add_simulation(case, QUICK_CASE, name="x" * 201, **kw)
    # the case text the web and the CLI refuse (its page shows it): refused here too
    reordered = QUICK_CASE.replace("[mesh]", "# \u202eesac kciuq\n[mesh]")
    with pytest.raises(ValidationError, match=r"^case: line 32, column 3: U\+202E: bidi"):
        store.add_simulation(case, reordered, **kw)
    with pytest.raises(ValidationError, match=r"'see \\u202egpj.exe': no control .* U\+202E\)"):
        store.add_simulation(case, QUICK_CASE, name="see \u202egpj.exe", **kw)
    with pytest.raises(ValidationError, match="case_toml must be text, got bytes"):
        store.add_simulation(case, QUICK_CASE.encode(), **kw)
    assert store.simulations() == []
    with pytest.raises(NotFoundError, match="no simulation with id 1"):
        store.simulation(1)


def test_migration_0001_to_0002_keeps_the_data(store_url, quick):
    """A database created at 0001 and filled, then opened by this version: nothing is lost."""
    cfg = alembic_config(store_url)
    old_store(store_url, "0001")
    before = table_rows(store_url)
    assert "simulations" not in before

    new = Store(store_url)  # upgrades to head
    assert_rows_kept(before, table_rows(store_url))
    engine = create_engine(store_url)
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(cfg).get_current_head()
        assert conn.exec_driver_sql("select version_num from alembic_version").scalar() == head
    engine.dispose()
    assert new.history(NAME)["label"].tolist() == ["B2"]
    (meas,) = new.measurements(NAME)
    assert (meas.content, meas.recorded_by) == (OLD_RAW, "alice")
    assert new.curves(meas.id)[0].columns == {"B_T": [0.5, 3.0], "Jc_A_m2": [6e8, 2.9e8]}
    assert [(x.status, x.seed) for x in new.suggestions(NAME)] == [("used", 7), ("open", 7)]
    assert new.user_by_token(OLD_TOKEN).name == "alice"
    assert new.simulations() == []
    case, result, _ = quick
    rec = new.add_simulation(case, QUICK_CASE, summary=result.summary(),
                             probes_csv=result.probes_csv(), campaign=NAME)  # fmt: skip
    assert new.simulations(NAME)[0].id == rec.id
    new.engine.dispose()
    command.check(cfg)  # models and migrations agree at head
    command.downgrade(cfg, "0001")  # and 0002 (and 0003) can be taken back, the rest kept
    after = table_rows(store_url)
    assert "simulations" not in after and after == before


def test_migration_0011_keeps_simulations_without_a_heat_history(store_url):
    """Revision 0011 adds simulations.heat_csv (a heat run's heat.csv, which the store had not
    kept): rows of 0010 are kept, with no heat history."""

    old_store(store_url, "0010")
    before = table_rows(store_url)
    store = Store(store_url)  # upgrades to head
    assert_rows_kept(before, table_rows(store_url))
    sims = store.simulations()
    assert sims and all(store.simulation(x.id).heat_csv == b"" for x in sims)
    with pytest.raises(NotFoundError, match="no heat history"):
        _ = store.simulation(sims[0].id).heat
