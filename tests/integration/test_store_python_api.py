"""The store used from Python as a notebook user would: what the CLI and the web refuse or warn
about is refused here too, naming what to give instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from fluxtrap.errors import FluxtrapError, ValidationError
from fluxtrap.magnetometry.jc import kim
from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat
from fluxtrap.store import CurveData, Store
from fluxtrap.units import estimate_text
from fluxtrap.workflows.measurements import record_measurement, rederive_measurements

NAME = "K-Ba122 SPS"
BULK2 = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


@pytest.mark.parametrize("jc", [2e4, "21000", "2e4 ± 300", 5e-324])
def test_a_bare_jc_below_any_bulk_s_is_refused_from_python_as_on_the_web(store, jc):
    """``set_objectives(..., {"jc_3T": 2e4})`` stored 2 A/cm^2 (a bare number is A/m^2) without
    a word, where the web answers 422 and import refuses the column; with its unit it is taken."""
    store.add_sample(NAME, "B1", BULK2)
    for write in (
        lambda: store.add_sample(NAME, "B2", BULK2, objectives={"jc_3T": jc}),
        lambda: store.set_objectives(NAME, "B1", {"jc_3T": jc}),
    ):
        with pytest.raises(ValidationError, match=r"jc_3T = .* read in A/m\^2 .* A/cm\^2"):
            write()
    assert [s.label for s in store.samples(NAME)] == ["B1"]
    assert store.sample(NAME, "B1").objectives == {}
    store.set_objectives(NAME, "B1", {"jc_3T": "2e4 A/cm^2"})
    assert store.sample(NAME, "B1").objectives == {"jc_3T": pytest.approx(2e8)}
    store.set_objectives(NAME, "B1", {"jc_3T": 2.5e8}, replace=True)  # a bulk's, in A/m^2
    assert store.sample(NAME, "B1").objectives == {"jc_3T": 2.5e8}
    store.add_sample(NAME, "B3", BULK2, objectives={"jc_3T": 0})  # none: not implausible
    store.add_sample(NAME, "B4", BULK2, objectives={"jc_3T": "2.1 A/m^2"})  # said so: taken
    assert store.sample(NAME, "B4").objectives == {"jc_3T": 2.1}


@pytest.mark.parametrize("url", ["", "  "])
def test_an_empty_store_url_is_refused_not_a_store_in_memory(url, tmp_path, monkeypatch):
    """``Store("")`` opened SQLite in memory: everything written was lost at exit."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FluxtrapError, match="store URL .* is empty: give .*sqlite:// for a store"):
        Store(url)
    assert list(tmp_path.iterdir()) == []  # "  " was an SQLite file named "  "


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgres://lab:secret@dbhost/fluxtrap", "write postgresql+psycopg://lab:***@dbhost/"),
        ("Postgres+psycopg2://lab@dbhost/x", "write postgresql+psycopg2://lab@dbhost/x"),
        # an '@' in the password as well: only the scheme was named, never the %40
        (
            "postgres://lab:p@secret@dbhost/fluxtrap",
            "write an '@' in a user name or password as %40",
        ),
    ],
)
def test_a_postgres_scheme_is_refused_with_sqlalchemy_s_name(url, hint):
    """``postgres://`` (Heroku's, Render's) was "Can't load plugin: sqlalchemy.dialects:postgres"
    with no word of the name SQLAlchemy wants; the password stays hidden. An unescaped '@' in
    its password is named in the same message."""
    with pytest.raises(FluxtrapError, match="names PostgreSQL 'postgresql'") as err:
        Store(url)
    assert hint in str(err.value) and "secret" not in str(err.value)


def test_records_show_one_line_a_notebook_user_reads(store):
    """A SampleRecord's repr ran to ~800 characters (notes, timestamps, every field); a
    suggestion's held every status field. Jc ± 1-sigma is rounded at the sigma (it gave
    "2.3456e+08 ± 3.2e+06", a digit finer than the sigma's second)."""
    jc = "23456 ± 320 A/cm^2"
    store.add_sample(NAME, "B9", BULK2, objectives={"jc_3T": jc}, notes="x" * 300)
    assert repr(store.sample(NAME, "B9")) == (
        "<SampleRecord 'B9' of 'K-Ba122 SPS' (made, researcher): ramp_rate=50, "
        "max_temperature=600, dwell_time=5; jc_3T = 234,600,000 ± 3,200,000 (SI: Jc A/m^2, Tc K)>"
    )
    store.add_sample(NAME, "B8", BULK2 | {"ramp_rate": 50.1})
    note = "cracked on removal from the die, in two pieces"
    rec = store.set_sample_status(NAME, "B8", "failed", note=note)
    assert repr(rec) == (
        "<SampleRecord 'B8' of 'K-Ba122 SPS' (failed: cracked on removal from the die, in t..., "
        "researcher): ramp_rate=50.1, max_temperature=600, dwell_time=5; not measured>"
    )
    sug = store.add_suggestions(NAME, [BULK2], [0.25], {}, seed=7)[0]
    assert repr(sug) == (
        f"<SuggestionRecord {sug.id} of 'K-Ba122 SPS' (open, seed 7): ramp_rate=50, "
        "max_temperature=600, dwell_time=5>"
    )


@pytest.mark.parametrize(
    ("filename", "edges", "says"),
    [
        (
            Path("loop/B2.dat"),
            (0.5e-3, 1.2e-3, 2.8e-3),
            r"filename must be the file's name as text",
        ),
        (
            "B2.dat",
            (0.5e-3, 1.2e-3),
            r"needs the sample's edges: a, b and c \(edges_m, in m or with a unit\)",
        ),
        (
            "B2.dat",
            0.5e-3,
            r"needs the sample's edges: a, b and c \(edges_m, in m or with a unit\), got 0.0005",
        ),
    ],
)
def test_record_measurement_names_a_wrong_filename_or_edges(store, filename, edges, says):
    """A Path for the file's name was "object of type 'PosixPath' has no len()", two edges
    "derive() missing 1 required positional argument: 'c_m'", one "argument after * must be an
    iterable": each now names the argument, and nothing is stored."""
    store.add_sample(NAME, "B2", BULK2)
    with pytest.raises(ValidationError, match=says):
        record_measurement(store, NAME, "B2", filename, b"[Header]\r\n", edges)
    assert store.measurements(NAME) == []


def test_record_measurement_reads_the_edges_with_their_unit(store, tmp_path):
    """``edges_m`` took numbers in m only ("0.5 mm" was refused with a hint to units.parse); text
    and pint quantities with a unit now give the objectives and stored edges of the edges in m,
    and text without a unit is a UnitError naming the edge, with nothing stored."""
    from fluxtrap.errors import UnitError
    from fluxtrap.units import Q_

    loop = synthetic_mh_loop(kim(3e8, 1.0), 0.5e-3, 1.2e-3, 2.8e-3, noise_emu=1e-6, n_points=41)
    write_qd_dat(loop, tmp_path / "B2.dat")
    content = (tmp_path / "B2.dat").read_bytes()
    store.add_sample(NAME, "B2", BULK2)
    store.add_sample(NAME, "B3", BULK2)
    with pytest.raises(UnitError, match="sample edge c_m: '2.8' has no unit"):
        record_measurement(store, NAME, "B3", "B3.dat", content, ("0.5 mm", "1.2 mm", "2.8"))
    assert store.measurements(NAME) == []
    in_m = record_measurement(store, NAME, "B2", "B2.dat", content, (0.5e-3, 1.2e-3, 2.8e-3))
    given = record_measurement(
        store, NAME, "B3", "B3.dat", content, ("0.5 mm", Q_(1.2, "mm"), Q_(2800, "um"))
    )
    assert given.objectives == pytest.approx(in_m.objectives, rel=1e-12)
    assert given.metadata["sample_edges_m"] == pytest.approx([0.5e-3, 1.2e-3, 2.8e-3], rel=1e-12)


def test_a_measurement_record_shows_one_line(store):
    """A MeasurementRecord's repr printed its whole metadata (the reader's columns, notes, the
    file's header: ~1.5 KB a record, a list of them a page each); now what identifies it."""
    store.add_sample(NAME, "B2", BULK2)
    meta = {"info": {f"HEADER_{i}": "x" * 40 for i in range(30)}}
    rec = store.add_measurement(
        NAME, "B2", "mh_loop", "B2_MH_5K.dat", b"[Header]\r\n", temperature_K=5.0, metadata=meta
    )
    assert repr(rec) == (
        f"<MeasurementRecord {rec.id}: mh_loop 'B2_MH_5K.dat' of 'K-Ba122 SPS' / 'B2', 5 K, "
        "10 bytes>"
    )


def test_a_rederived_measurement_shows_its_objectives_as_a_recorded_one(store, tmp_path):
    """``rederive_measurements`` returned the dataclass's repr: the whole record and SI floats
    to 17 digits beside a separate errors dict; now one line as RecordedMeasurement's, Jc in
    A/cm² ± its 1-sigma rounded at the sigma."""
    loop = synthetic_mh_loop(kim(3e8, 1.0), 0.5e-3, 1.2e-3, 2.8e-3, noise_emu=1e-6, n_points=41)
    write_qd_dat(loop, tmp_path / "B2.dat")
    store.add_sample(NAME, "B2", BULK2)
    done = record_measurement(
        store, NAME, "B2", "B2.dat", (tmp_path / "B2.dat").read_bytes(), (0.5e-3, 1.2e-3, 2.8e-3)
    )
    [again] = rederive_measurements(store, NAME, "B2")
    jc, err = again.objectives["jc_3T"] / 1e4, again.errors["jc_3T"] / 1e4  # A/cm²
    said = f": jc_3T = {estimate_text(jc, err)} A/cm²>"
    assert (
        repr(again)
        == f"<RederivedMeasurement {done.record.id}: mh_loop 'B2.dat' of {NAME} / B2{said}"
    )
    assert repr(done).endswith(said)


def test_a_curve_record_shows_one_line_and_is_a_dataframe(store):
    """A stored Jc curve's repr printed all its settings (9 KB: the loop's gaps, notes, ...), and
    its columns came as a dict of lists; now one line, and ``to_frame()`` with the SI units in
    the column names."""
    store.add_sample(NAME, "B2", BULK2)
    columns = {"B_T": [0.0, 1.0, 2.0], "Jc_A_m2": [3e8, 2e8, 1e8]}
    settings = {"notes": ["x" * 80] * 50}
    rec = store.add_measurement(
        NAME, "B2", "mh_loop", "B2.dat", b"[Header]\r\n",
        curves=[CurveData("jc", "extended_bean", settings, columns)],
    )  # fmt: skip
    [curve] = store.curves(rec.id)
    assert repr(curve) == (
        f"<CurveRecord {curve.id} of measurement {rec.id}: jc by extended_bean, 3 points "
        "(B_T, Jc_A_m2)>"
    )
    frame = curve.to_frame()
    assert list(frame.columns) == ["B_T", "Jc_A_m2"] and frame.Jc_A_m2.tolist() == [3e8, 2e8, 1e8]
