"""``fluxtrap simulate --db/--campaign`` records the run in the store; ``fluxtrap simulation
list / show`` read it back (SQLite, and PostgreSQL where one runs)."""

from __future__ import annotations

import json

import pytest

from fluxtrap.store import Store
from fluxtrap.units import estimate_text

from ..conftest import EXAMPLES, cli
from .test_store_simulations import NAME, QUICK_CASE


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "quick.toml"
    path.write_text(QUICK_CASE)
    return path


def test_simulate_records_and_show_writes_the_same_files(
    store, store_url, case_file, tmp_path, capsys
):
    out, back = tmp_path / "run", tmp_path / "back"
    code, text, err = cli(capsys, "simulate", str(case_file), "--out", str(out), "--db", store_url,
                          "--campaign", NAME, "--by", "ana", "--quiet")  # fmt: skip
    assert code == 0, err
    (rec,) = store.simulations(NAME)
    assert f"recorded as simulation {rec.id} (campaign {NAME})" in text
    assert (rec.status, rec.created_by, rec.name) == ("done", "ana", "Quick disk, FCM 1 T")
    assert store.simulation(rec.id).case_toml == QUICK_CASE
    assert (
        cli(
            capsys,
            "simulate",
            str(case_file),
            "-o",
            str(tmp_path / "run2"),
            "--db",
            store_url,
            "-q",
        )[0]
        == 0
    )
    assert [x.campaign for x in store.simulations()] == [NAME, None]

    code, text, _ = cli(capsys, "simulation", "list", "--db", store_url, "--campaign", NAME)
    surface = store.simulation(rec.id).summary["probes"]["surface"]
    shown = estimate_text(surface["final_T"], surface["final_error_T"])  # with its error bar
    assert code == 0 and "Quick" in text  # the table wraps at 80 columns: each part apart
    assert all(part in text for part in shown.split(" ± ")) and "±" in text
    assert cli(capsys, "simulation", "list", "--db", store_url)[1].count("Quick") == 2
    code, text, _ = cli(
        capsys, "simulation", "show", str(rec.id), "--db", store_url, "--out", str(back)
    )
    assert code == 0 and "surface" in text and "wrote case.toml, summary.json, probes.csv" in text
    for name in ("probes.csv", "summary.json"):  # what the run wrote, byte for byte
        assert (back / name).read_bytes() == (out / name).read_bytes(), name
    assert (back / "case.toml").read_text() == QUICK_CASE


def test_simulation_show_keeps_long_probe_names_whole(tmp_path, capsys, monkeypatch):
    """At 80 columns rich's table cut "hall_probe_3_centre_of_top_face" to "hall_…": now every
    cell is whole, the numbers those stored, the final field and its error rounded alike (they
    were two cells, 4 decimals beside 2 digits of error)."""
    from fluxtrap.cli.common import console
    from fluxtrap.cli.simulate import tesla

    monkeypatch.setattr(console, "width", 80)
    name = "hall_probe_3_centre_of_top_face_after_polishing"
    case = tmp_path / "long.toml"
    case.write_text(QUICK_CASE.replace('name = "surface"', f'name = "{name}"'))
    url = f"sqlite:///{tmp_path / 's.db'}"
    code, _, err = cli(capsys, "simulate", str(case), "-o", str(tmp_path / "o"), "--db", url, "-q")
    assert code == 0, err
    (rec,) = Store(url).simulations()
    code, text, _ = cli(capsys, "simulation", "show", str(rec.id), "--db", url)
    (row,) = [line for line in text.splitlines() if name in line]
    cells = [c.strip() for c in row.split("│")[1:-1]]
    p = rec.summary["probes"][name]
    shown = estimate_text(p["final_T"], p["final_error_T"])
    assert cells[:3] == [name, shown, tesla(p["max_abs_T"])], text


def test_without_db_or_campaign_only_files_are_written(case_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FLUXTRAP_DB", str(tmp_path / "env.db"))
    assert cli(capsys, "simulate", str(case_file), "--out", str(tmp_path / "o"), "-q")[0] == 0
    assert (tmp_path / "o" / "probes.csv").exists() and not (tmp_path / "env.db").exists()
    assert (
        cli(capsys, "simulate", str(case_file), "--out", str(tmp_path / "o"), "-q", "-c", NAME)[0]
        == 2
    )
    assert len(Store(tmp_path / "env.db").simulations()) == 0  # --campaign alone: $FLUXTRAP_DB


def test_a_run_without_plots_removes_the_earlier_runs_plots(case_file, tmp_path, capsys):
    """A --no-plots run into a folder of a run with plots kept its probes.png and maps.png
    beside the new probes.csv, where they read as the new run's. Each run names the files it
    wrote (it said "wrote o")."""
    out = tmp_path / "o"
    code, text, _ = cli(capsys, "simulate", str(case_file), "--out", str(out))
    said = " ".join(text.split())
    assert code == 0 and f"wrote probes.csv, summary.json, probes.png, maps.png to {out}" in said
    (out / "notes.txt").write_text("mine")
    code, text, _ = cli(capsys, "simulate", str(case_file), "--out", str(out), "--no-plots")
    assert code == 0 and f"wrote probes.csv, summary.json to {out}" in " ".join(text.split())
    assert sorted(p.name for p in out.iterdir()) == [
        "notes.txt", "probes.csv", "summary.json",
    ]  # fmt: skip


def test_a_second_run_into_a_folder_in_use_is_refused(case_file, tmp_path, capsys):
    """Two runs into one --out at once moved their files in one by one: a mix of both runs.
    The second is refused before it starts, naming the folder; a sweep likewise."""
    from filelock import FileLock

    out = tmp_path / "o"
    out.mkdir()
    with FileLock(out / ".fluxtrap.lock"):  # the first run, holding it
        code, _, err = cli(capsys, "simulate", str(case_file), "--out", str(out), "-q")
        assert code == 2 and f"{out}: another fluxtrap run is writing there" in err
        code, _, err = cli(capsys, "sweep", str(case_file), "--out", str(out), "-q",
                           "--vary", "n=20,30")  # fmt: skip
        assert code == 2 and f"{out}: another fluxtrap run is writing there" in err
    assert [p.name for p in out.iterdir()] == [".fluxtrap.lock"]
    assert cli(capsys, "simulate", str(case_file), "--out", str(out), "-q")[0] == 0  # once freed


def test_unknown_campaign_fails_before_the_run(store, store_url, case_file, tmp_path, capsys):
    code, _, err = cli(capsys, "simulate", str(case_file), "--out", str(tmp_path / "o"),
                       "--db", store_url, "--campaign", "ghost")  # fmt: skip
    assert code == 2 and "no campaign named 'ghost'" in err
    assert not (tmp_path / "o").exists() and store.simulations() == []


def test_a_failed_run_is_recorded_with_its_error(
    store, store_url, case_file, tmp_path, capsys, monkeypatch
):
    from fluxtrap.errors import SolverError
    from fluxtrap.simulate import Simulation

    def fail(self, progress=True):
        raise SolverError("Newton did not converge at t = 3 s")

    monkeypatch.setattr(Simulation, "run", fail)
    code, text, err = cli(capsys, "simulate", str(case_file), "--out", str(tmp_path / "o"),
                          "--db", store_url, "-c", NAME, "-q")  # fmt: skip
    assert code == 2 and "Newton did not converge" in err
    (rec,) = store.simulations(NAME)
    assert (rec.status, rec.error) == ("failed", "SolverError: Newton did not converge at t = 3 s")
    assert f"recorded as failed simulation {rec.id}" in text
    code, text, _ = cli(capsys, "simulation", "show", str(rec.id), "--db", store_url)
    assert code == 0 and "failed" in text and "Newton did not converge" in text
    back = tmp_path / "back"  # a folder another simulation was shown into: its traces stayed
    back.mkdir()  # beside this one's case, and read as the failed run's
    (back / "probes.csv").write_text("time_s,applied_T,temperature_K,surface_Bz_T\n0,1,20,0.3\n")
    shown = ["simulation", "show", str(rec.id), "--db", store_url, "--out", str(back)]
    code, _, err = cli(capsys, *shown)  # replaced without a word, like a user's case.toml
    assert code == 2 and f"--out {back}: holds probes.csv; give --overwrite" in err, err
    code, text, _ = cli(capsys, *shown, "--overwrite")
    assert code == 0 and "wrote case.toml to" in text
    assert [p.name for p in back.iterdir()] == ["case.toml"]
    code, _, err = cli(capsys, "simulation", "show", "99", "--db", store_url)
    assert code == 2 and "no simulation with id 99" in err


def test_a_ring_stack_example_prints_and_stores_its_bore(tmp_path, capsys):
    """examples/ring_stack.toml (rings, copper spacer rings, a [bore]) at a 2 mm mesh: the CLI
    prints the bore, writes bore.png, and the stored summary shows it again; the centre probe
    sits at the bore centre, so both read the same field (Biot-Savart, exact on the axis).
    SQLite only: the store part is the same JSON column as every summary's."""
    out, store_url = tmp_path / "rings", f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(store_url)
    code, text, err = cli(capsys, "simulate", str(EXAMPLES / "ring_stack.toml"), "--mesh-size",
                          "2 mm", "--out", str(out), "--db", store_url)  # fmt: skip
    assert code == 0, err
    assert "bore (DSV 6 mm at z = 10.2 mm): centre" in text and "axial terms" in text
    assert (out / "bore.png").read_bytes().startswith(b"\x89PNG")
    (rec,) = store.simulations()
    bore = rec.summary["bore"]
    assert bore["centre_T"] == pytest.approx(rec.summary["probes"]["center"]["final_T"], rel=1e-9)
    assert bore["drift_ppm_per_h"] < 0 and bore["homogeneity_ppm"] > 0
    code, text, _ = cli(capsys, "simulation", "show", str(rec.id), "--db", store_url)
    assert code == 0 and "bore (DSV 6 mm" in text


def test_the_case_file_is_read_once_so_the_text_kept_is_the_one_that_ran(
    case_file, tmp_path, capsys, monkeypatch
):
    """It was read twice (once kept, once parsed): a file edited in between ran one case and
    stored another."""
    from fluxtrap import inputs

    reads = []
    read_bytes = inputs.read_bytes
    monkeypatch.setattr(
        inputs, "read_bytes", lambda p, *a: reads.append(str(p)) or read_bytes(p, *a)
    )
    assert cli(capsys, "simulate", str(case_file), "--out", str(tmp_path / "o"), "-q")[0] == 0
    assert reads.count(str(case_file)) == 1, reads


def test_a_far_probe_prints_its_small_field_not_zero(tmp_path, capsys):
    # a probe 100 mm above a 5 mm disk reads ~1e-5 T of dipole field; it was printed
    # "final 0.0000 ± 2.1e-08 T" beside its estimate, now with 4 significant digits
    path = tmp_path / "far.toml"
    path.write_text(QUICK_CASE + '[[probes]]\nname = "far"\nr = "0 mm"\nz = "100 mm"\n')
    code, text, err = cli(capsys, "simulate", str(path), "--out", str(tmp_path / "o"), "--no-plots")
    assert code == 0, err
    far = json.loads((tmp_path / "o" / "summary.json").read_text())["probes"]["far"]
    assert 1e-7 < abs(far["final_T"]) < 1e-3
    line = " ".join(text.split())  # rich wraps at 80 columns
    shown = estimate_text(far["final_T"], far["final_error_T"])  # value and error rounded alike
    assert f"far: final {shown} T;" in line and "far: final 0.0000 ±" not in line


def test_simulate_and_show_print_the_temperature_block(tmp_path, capsys):
    """summary.json's temperature block (K) was printed by neither simulate nor simulation show
    (an isothermal run's 20 K was in the case's protocol alone); both now say it, and that a
    Jc without jc.temperature is taken as given at that temperature. A warmed run gives its
    span."""
    case = tmp_path / "quick.toml"
    case.write_text(QUICK_CASE)
    url = f"sqlite:///{tmp_path / 's.db'}"
    code, text, err = cli(capsys, "simulate", str(case), "-o", str(tmp_path / "o"), "--db", url,
                          "--no-plots")  # fmt: skip
    assert code == 0, err
    said = ("temperature of the conductors (isothermal): 20 K throughout; Jc of bulk as given at "
            "every temperature (no jc.temperature or jc.tables)")  # fmt: skip
    assert said in " ".join(text.split()), text
    (rec,) = Store(url).simulations()
    code, text, _ = cli(capsys, "simulation", "show", str(rec.id), "--db", url)
    assert code == 0 and said in " ".join(text.split()), text
    warmed = QUICK_CASE.replace('b0 = "0.5 T" }', 'b0 = "0.5 T" }\njc.temperature = '
                                '{ at = "20 K", tc = "38 K" }')  # fmt: skip
    warmed = warmed.replace('step = "hold"\nduration = "10 s"',
                            'step = "ramp_temperature"\nto = "25 K"\nrate = "1 K/s"')  # fmt: skip
    case.write_text(warmed)
    code, text, err = cli(capsys, "simulate", str(case), "-o", str(tmp_path / "w"), "--no-plots")
    assert code == 0, err
    said = "temperature of the conductors (isothermal): 20 K at the start, 25 K at the end (20 to 25 K)"
    assert said in " ".join(text.split()) and "as given" not in text, text


def test_a_misspelt_mesh_size_unit_says_the_near_miss_before_the_run(case_file, tmp_path, capsys):
    """--mesh-size reads its unit as the case file's keys do: "2 MM" (megamolar to pint) said
    only "is not a length"; nothing is written."""
    out = tmp_path / "o"
    code, _, err = cli(capsys, "simulate", str(case_file), "--mesh-size", "2 MM", "-o", str(out))
    assert code == 2 and "--mesh-size: '2 MM' is not a length" in err
    assert "(did you mean 'mm'?)" in err and not out.exists()


def test_mesh_size_replaces_the_case_files_size_before_the_case_is_checked(
    case_file, tmp_path, capsys
):
    """--mesh-size was applied after the case's check: a case file whose own [mesh] size was
    refused (0.005 mm: millions of elements) stayed refused whatever coarser size the flag gave,
    and the refusal named the file's size. The flag's size is the one checked, and named."""
    case_file.write_text(case_file.read_text().replace('size = "1.5 mm"', 'size = "0.005 mm"'))
    out = tmp_path / "o"
    code, _, err = cli(capsys, "simulate", str(case_file), "-o", str(out), "-q", "--no-plots")
    assert code == 2 and "mesh.size: 0.005 mm needs about" in err and not out.exists()
    code, _, err = cli(capsys, "simulate", str(case_file), "--mesh-size", "1.5 mm", "-o",
                       str(out), "-q", "--no-plots")  # fmt: skip
    assert code == 0, err
    assert (out / "probes.csv").is_file()
    code, _, err = cli(capsys, "simulate", str(case_file), "--mesh-size", "0.004 mm", "-o",
                       str(tmp_path / "p"), "--db", str(tmp_path / "s.db"))  # fmt: skip
    assert code == 2 and "--mesh-size: 0.004 mm needs about" in err, err
    assert "the limit is mesh.max_elements = 100000" in err and "mesh.size" not in err
    assert not (tmp_path / "p").exists() and not (tmp_path / "s.db").exists()


def test_a_case_the_run_refuses_creates_no_store(case_file, tmp_path, capsys):
    """A copper disk refined for the accuracy is refused by the run before it meshes, but the
    command had created the --db store first: an empty database left behind."""
    text = case_file.read_text().replace("n = 25\n", "").replace('e0 = "1e-4 V/m"\n', "")
    text = text.replace(
        'jc.kim = { jc0 = "2e4 A/cm^2", b0 = "0.5 T" }', 'resistivity = "2e-10 ohm*m"'
    )
    case_file.write_text(text.replace('size = "1.5 mm"', ""))
    db = tmp_path / "new.db"
    code, _, err = cli(capsys, "simulate", str(case_file), "-o", str(tmp_path / "o"), "-q",
                       "--db", str(db))  # fmt: skip
    assert code == 2 and f"{case_file}: stack: no superconductor" in err, err
    assert not db.exists() and not (tmp_path / "o").exists()


def test_a_mesh_size_override_is_stored_with_the_size_that_ran(case_file, tmp_path, capsys):
    """--mesh-size ran at its size but the store kept the case file's text, whose [mesh] size
    (1.5 mm) is another: `simulation show --out` gave back a case.toml that runs another mesh.
    The stored case is the one that ran, and `show` gives it back."""
    from fluxtrap.simulate import Case

    url = f"sqlite:///{tmp_path / 's.db'}"
    code, _, err = cli(capsys, "simulate", str(case_file), "--mesh-size", "3 mm", "-o",
                       str(tmp_path / "o"), "--db", url, "-q", "--no-plots")  # fmt: skip
    assert code == 0, err
    (rec,) = Store(url).simulations()
    assert rec.summary["solver"]["mesh_size_m"] == pytest.approx(3e-3)
    code, _, err = cli(capsys, "simulation", "show", str(rec.id), "--db", url,
                       "--out", str(tmp_path / "back"))  # fmt: skip
    assert code == 0, err
    again = Case.from_toml(tmp_path / "back" / "case.toml")
    assert again.mesh.size_m == pytest.approx(3e-3)
    assert again.to_si_dict()["stack"] == rec.summary["case"]["stack"]


@pytest.mark.parametrize("given", ["-1 mm", "0 um"])
def test_a_mesh_size_not_above_zero_is_named_as_typed(case_file, tmp_path, capsys, given):
    """It said "--mesh-size: must be > 0, got -0.001 m" (metres, after the case file's name):
    the input is quoted as typed; nothing is written."""
    out = tmp_path / "o"
    code, _, err = cli(capsys, "simulate", str(case_file), "--mesh-size", given, "-o", str(out))
    assert code == 2 and f"--mesh-size: must be > 0, got {given!r}" in err, err
    assert str(case_file) not in err and not out.exists()


@pytest.mark.parametrize("hidden", ["\u202e", "\x9b"])
def test_a_case_with_a_bidi_override_or_control_character_is_not_stored(
    case_file, tmp_path, capsys, hidden
):
    """`simulate --db` stored a case file's text with a U+202E (a right-to-left override, which
    reorders the lines the simulation's page shows) or a C1 control character in a comment,
    which the web's submission refuses (jobs.parse_case): refused alike, naming the file, line
    and column, before the run and before the store is made."""
    text = QUICK_CASE.replace("[mesh]\n", f"[mesh]  # kept {hidden}one\n")
    case_file.write_text(text)
    line = text[: text.index(hidden)].count("\n") + 1
    column = text.index(hidden) - text.rfind("\n", 0, text.index(hidden))
    db, out = tmp_path / "new.db", tmp_path / "o"
    code, _, err = cli(capsys, "simulate", str(case_file), "-o", str(out), "-q", "--db", str(db))
    assert code == 2 and err.startswith(
        f"error: {case_file}: line {line}, column {column}: U+{ord(hidden):04X}: bidi overrides"
    ), err
    assert not db.exists() and not out.exists()
    assert cli(capsys, "simulate", str(case_file), "-o", str(out), "-q")[0] == 0  # not stored
