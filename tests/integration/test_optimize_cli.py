"""The optimizer's commands end to end: suggest on a SQLite store, plot model, replay on real data."""

from __future__ import annotations

import json
import math
import os
import re

import numpy as np
import pytest

from fluxtrap.campaign import MAX_BATCH, MAX_BUDGET
from fluxtrap.cli.common import console
from fluxtrap.errors import ValidationError
from fluxtrap.optimize import optimizer
from fluxtrap.optimize.optimizer import MAX_OBSERVATIONS
from fluxtrap.optimize.replay import MAX_REPEATS
from fluxtrap.store import Store
from fluxtrap.store.store import MAX_SEED  # the CLI's bound is the store's (cli.common's copy)

from ..conftest import DATA, EXAMPLES, cli

NAME = "K-Ba122 SPS"
SAMPLES = {
    "B1": ("50", "600", "5", "2.9e8"),
    "B2": ("30", "650", "15", "3.5e8"),
    "B3": ("80", "500", "25", "1.5e8"),
}


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", path)[0] == 0
    for label, (r, t, d, jc) in SAMPLES.items():
        code, _, err = cli(
            capsys,
            "sample",
            "add",
            "--db",
            path,
            "-c",
            NAME,
            "--label",
            label,
            "-p",
            f"ramp_rate={r}",
            "-p",
            f"max_temperature={t}",
            "-p",
            f"dwell_time={d}",
            "-o",
            f"jc_3T={jc}",
        )
        assert code == 0, err
    return path


def test_suggest_prints_table_and_records_open_suggestions(db, capsys, monkeypatch):
    monkeypatch.setattr(console, "width", 160)  # one line per row: the cells are read back
    code, out, err = cli(capsys, "suggest", "-c", NAME, "-n", "2", "--seed", "7", "--db", db)
    assert code == 0, err
    records = Store(db).suggestions(NAME, status="open")
    assert len(records) == 2 and {r.seed for r in records} == {7}
    for r in records:
        assert f"{r.params['max_temperature']:g}" in out
    assert "LOO RMSE" in out and "qLogNoisyExpectedImprovement" in out
    # the model's Jc(3 T) there, in A/cm^2 (stored in A/m^2), rounded to 2 digits of its sigma
    names, units = out.splitlines()[2:4]  # the unit under the name
    at = names.index("predicted jc_3T")
    assert units[at:].startswith("[A/cm²]"), out
    for r in records:
        guess = r.model_summary["prediction"]["jc_3T"]
        sigma = float(f"{guess['std'] / 1e4:.2g}")
        shown = f"± {sigma:,.0f}" if sigma >= 10 else f"± {sigma:g}"
        assert shown in out, (shown, out)
    # a sample made from a suggestion uses it (the store's part), and it is no longer pending
    code, _, err = cli(
        capsys,
        "sample",
        "add",
        "--db",
        db,
        "-c",
        NAME,
        "--label",
        "B4",
        "--from-suggestion",
        str(records[0].id),
        *(a for k, v in records[0].params.items() for a in ("-p", f"{k}={v:g}")),
    )
    assert code == 0, err
    assert [r.id for r in Store(db).suggestions(NAME, status="open")] == [records[1].id]


def test_suggest_quiet_hides_the_progress_bar(db, capsys):
    """suggest showed nothing while it chose a batch (minutes for a large one); its bar, like
    replay's, is hidden by --quiet."""
    code, out, err = cli(capsys, "suggest", "-c", NAME, "-n", "2", "--quiet", "--db", db)
    assert code == 0 and "next 2 suggestion(s)" in out and "choosing" not in out + err, err


def test_suggest_unknown_campaign_is_one_line_error(db, capsys):
    code, _, err = cli(capsys, "suggest", "-c", "nope", "--db", db)
    # the last line: run alone, pytest shows torch's import-time DeprecationWarning first
    last = err.strip().splitlines()[-1]
    assert code == 2 and last.startswith("error:") and "nope" in last, err


def test_suggest_n_out_of_range_names_the_option(db, capsys):
    """-n 0 or 101: refused naming -n (it was "ask: n must be ...", the Python API's name)."""
    for n in ("0", "101"):
        code, _, err = cli(capsys, "suggest", "-c", NAME, "-n", n, "--db", db)
        assert code == 2 and "'-n'" in err and "ask:" not in err, err


def test_suggest_budget_checked_and_its_last_trial_by_posterior_mean(db, capsys):
    for bad in ("0", "-2", "100000"):
        code, _, err = cli(capsys, "suggest", "-c", NAME, "--budget", bad, "--db", db)
        # the last line: run alone, pytest shows torch's import-time DeprecationWarning first
        last = err.strip().splitlines()[-1]
        assert code == 2 and last.startswith("error: Invalid value for '--budget'"), err
    assert Store(db).suggestions(NAME) == []  # nothing recorded
    code, out, err = cli(capsys, "suggest", "-c", NAME, "--budget", "4", "--db", db)
    assert code == 0 and "PosteriorMean" in out, err  # 3 measured: the 4th is the last


@pytest.mark.parametrize(
    ("command", "option", "given", "span"),
    [
        # "budget: the number of experiments planned must be 1 to 10000, got -5"
        ("suggest", "--budget", "-5", f"from 1 to {MAX_BUDGET}"),
        ("suggest", "--budget", "0", f"from 1 to {MAX_BUDGET}"),
        ("suggest", "-n", "1e9", f"from 1 to {MAX_BATCH}"),  # no int: it said "at least 1"
        ("suggest", "--budget", f"{MAX_BUDGET + 1}", f"from 1 to {MAX_BUDGET}"),
        ("suggest", "-n", f"{MAX_BATCH + 1}", f"from 1 to {MAX_BATCH}"),  # "... 1<=x<=100."
        # "seed: give a whole number from 0 to 4294967295, got -1": suggest records up to 2**31-1
        ("plot model", "--seed", "-1", f"from 0 to {MAX_SEED}"),
        ("plot model", "--seed", f"{MAX_SEED + 1}", f"from 0 to {MAX_SEED}"),
    ],
)
def test_suggest_and_plot_model_refuse_counts_out_of_range_naming_the_option(
    tmp_path, capsys, command, option, given, span
):
    """`suggest --budget -5` said "budget: ..." and `plot model --seed -1` "seed: ...", the
    Python API's names, after the store was opened: the bounds are now the options' own."""
    db = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    figures = tmp_path / "figures"
    extra = ("--out", str(figures)) if command == "plot model" else ()
    code, out, err = cli(capsys, *command.split(), "-c", NAME, *extra, option, given, "--db", db)
    last = err.strip().splitlines()[-1]  # torch's DeprecationWarning may come first
    assert (code, out) == (2, "") and last == (
        f"error: Invalid value for '{option}': '{given}': give a whole number {span} "
        f"(see 'fluxtrap {command} --help')"
    ), err
    assert Store(db).suggestions(NAME) == [] and not figures.exists()


def test_plot_model_writes_figures(db, capsys, tmp_path):
    assert cli(capsys, "suggest", "-c", NAME, "-n", "1", "--db", db)[0] == 0
    out = tmp_path / "plots"
    code, stdout, err = cli(
        capsys, "plot", "model", "-c", NAME, "--out", str(out), "--no-html", "--db", db
    )
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert {"model_1d.png", "best_so_far.png", "parallel_coordinates.png"} <= names
    assert sum(n.startswith("model_2d_") for n in names) == 3


def test_plot_model_on_a_full_disk_keeps_the_earlier_set_and_says_so(
    db, capsys, tmp_path, monkeypatch
):
    """The figures were saved one by one into --out: a full disk at the third was an OSError
    traceback, exit 1, with two new figures beside the earlier run's others; now the set is
    written whole or not at all, and the error is one line naming the folder."""
    import errno

    from matplotlib.figure import Figure

    out = tmp_path / "plots"
    args = ("plot", "model", "-c", NAME, "--out", str(out), "--no-html", "--db", db)
    assert cli(capsys, *args)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    save, saved = Figure.savefig, []

    def full(self, *a, **kw):
        if len(saved) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        saved.append(save(self, *a, **kw))

    monkeypatch.setattr(Figure, "savefig", full)
    code, _, err = cli(capsys, *args)
    assert code == 2 and err == f"error: {out}: cannot write it (No space left on device)\n"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no hidden folder either


def test_replay_cli_on_snar(tmp_path, capsys):
    snar = DATA / "bo-benchmarks" / "olympus" / "snar.csv"
    code, out, err = cli(
        capsys,
        "replay",
        str(snar),
        "--inputs",
        "residence_time,ratio,concentration,temperature",
        "--objective",
        "impurity",
        "--minimize",
        "--budget",
        "6",
        "--initial",
        "2",
        "--repeats",
        "2",
        "--out",
        str(tmp_path),
        "--quiet",
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "replay.json").read_text())
    assert doc["budget"] == 6 and len(doc["strategies"]["bo"]["top_fraction"]) == 6
    assert "enhancement factor" in out
    code, _, err = cli(
        capsys,
        "replay",
        str(snar),
        "--inputs",
        "nope",
        "--objective",
        "impurity",
        "--out",
        str(tmp_path),
    )
    assert code == 2 and "no column(s) 'nope'" in err


def test_replay_reads_a_campaigns_export(tmp_path, capsys):
    """export names each number column's unit ('ramp_rate [degC/min]'): replay said "no
    column(s) 'ramp_rate', ..." of a campaign's own export. A unit given with --objective is
    checked against the header's."""
    db = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    rows = [(10 + 15 * i, 450 + 50 * i, 6 * i, 1e4 * (1 + i % 3)) for i in range(6)]
    Store(db).add_samples(
        NAME,
        [
            {
                "label": f"S{i}",
                "params": {"ramp_rate": r, "max_temperature": T, "dwell_time": t},
                "objectives": {"jc_3T": f"{jc} A/cm^2"},
            }
            for i, (r, T, t, jc) in enumerate(rows)
        ],
    )
    csv = tmp_path / "history.csv"
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(csv))[0] == 0
    assert "ramp_rate [degC/min]" in csv.read_text()
    args = ["replay", str(csv), "--inputs", "ramp_rate,max_temperature,dwell_time",
            "--budget", "4", "--repeats", "1", "--out", str(tmp_path / "r"), "--quiet"]  # fmt: skip
    code, out, err = cli(capsys, *args, "--objective", "jc_3T")
    assert code == 0, err
    doc = json.loads((tmp_path / "r" / "replay.json").read_text())
    assert len(doc["strategies"]["bo"]["best_so_far"]) == 4
    assert max(doc["strategies"]["bo"]["best_so_far"]) == 3e4  # in the header's A/cm²
    assert (
        "units: ramp_rate [degC/min], max_temperature [degC], dwell_time [min], jc_3T [A/cm²]"
        in out
    )
    code, _, err = cli(capsys, *args, "--objective", "jc_3T [A/m²]")
    assert code == 2 and "column 'jc_3T [A/cm²]' is in A/cm², not the A/m² asked for" in err, err


def test_replay_leaves_out_the_unmeasured_samples_of_an_export_naming_them(tmp_path, capsys):
    """A campaign's export holds its samples made and not yet measured, their objective empty:
    replay refused the whole file ("column 'jc_3T', line 5: empty"). They are left out, named in
    one warning; an export with no sample measured is refused."""
    db = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    samples = [
        {
            "label": f"S{i}",
            "params": {"ramp_rate": 10 + 15 * i, "max_temperature": 450 + 50 * i, "dwell_time": i},
            "objectives": {} if i in (3, 5) else {"jc_3T": f"{1e4 * (1 + i % 3)} A/cm^2"},
        }
        for i in range(6)
    ]
    Store(db).add_samples(NAME, samples[3:4])  # none measured yet
    csv = tmp_path / "history.csv"
    args = ["replay", str(csv), "--inputs", "ramp_rate,max_temperature,dwell_time",
            "--objective", "jc_3T", "--budget", "3", "--initial", "2", "--repeats", "1",
            "--out", str(tmp_path / "r"), "--quiet"]  # fmt: skip
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(csv))[0] == 0
    code, _, err = cli(capsys, *args)
    assert code == 2 and err == (
        f"error: {csv}, column 'jc_3T': no row holds a value (none measured), nothing to replay\n"
    )
    Store(db).add_samples(NAME, samples[:3] + samples[4:])
    csv.unlink()  # export writes no file over one
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(csv))[0] == 0
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    assert err == (
        f"warning: {csv}: 2 of 6 rows have no jc_3T (not measured) and are left out: S3, S5\n"
    )
    assert "pool N=4" in out


def test_replay_cli_models_ln_objective_with_log(tmp_path, capsys):
    """`fluxtrap replay --log`: a table's objective spanning decades modelled as ln(value), as a
    campaign's with log = true (there was no way to); a value below 0 refused naming its row, a
    0 (nothing measurable) modelled at a floor, said once."""
    table = tmp_path / "jc.csv"
    table.write_text(
        "T,jc\n" + "".join(f"{t},{10 ** (1 + t / 200):g}\n" for t in range(0, 900, 100))
    )
    args = ["replay", str(table), "--inputs", "T", "--objective", "jc", "--budget", "3"]
    code, out, err = cli(capsys, *args, "--repeats", "1", "--out", str(tmp_path / "r"), "--log")
    assert code == 0, err
    assert json.loads((tmp_path / "r" / "replay.json").read_text())["log"] is True
    table.write_text("T,jc\n0,5\n1,-1\n2,7\n")
    code, _, err = cli(capsys, *args, "--out", str(tmp_path / "z"), "--log")
    assert code == 2 and "objective jc is -1 at T=1: log models ln(value)" in err
    table.write_text("T,jc\n0,5\n1,0\n2,7\n3,0\n")
    code, _, err = cli(capsys, *args, "--repeats", "2", "--out", str(tmp_path / "z"), "--log")
    assert code == 0, err
    said = " ".join(err.split())
    assert (
        said.count("floor") == 1
        and "objective jc is 0 at 2 of 4 entries (the first at T=1)" in said
    )


@pytest.mark.parametrize(
    ("given", "shown"),
    # -5 gave top fractions -1 .. -5, 1e9 all 0, nan a ValueError traceback; then "replay: top
    # percent must be > 0 and <= 100, got nan", naming no option, after the table was read
    [("-5", "-5"), ("1e9", "1e+09"), ("nan", "nan"), ("0", "0"), ("inf", "inf")],
)
def test_replay_refuses_a_goal_set_that_is_no_fraction_of_the_pool(tmp_path, capsys, given, shown):
    snar = DATA / "bo-benchmarks" / "olympus" / "snar.csv"
    args = ("--inputs", "residence_time,ratio", "--objective", "impurity", "--budget", "4")
    said = (
        f"error: Invalid value for '--top-percent': '{shown}': give a number over 0 up to 100 "
        "(see 'fluxtrap replay --help')\n"
    )
    for table in (snar, tmp_path / "no-such.csv"):  # the option first, before the table is read
        out = tmp_path / "r"
        code, _, err = cli(
            capsys, "replay", str(table), *args, "--top-percent", given, "--out", str(out)
        )
        assert code == 2 and err == said, err
        assert not out.exists()


@pytest.mark.parametrize(
    ("inputs", "objective", "said"),
    # each was a pandas traceback, exit 1: "No group keys passed!" for no input, "arg must be a
    # list, tuple, 1-d array, or Series" for a column given twice or the objective among them
    [
        ("", "impurity", "--inputs '': no column named; give the input columns comma-separated"),
        (" , ", "impurity", "--inputs ' , ': no column named"),
        ("ratio,ratio", "impurity", "--inputs 'ratio,ratio': 'ratio' given twice"),
        (
            "ratio,impurity",
            "impurity",
            "--objective 'impurity' is also one of --inputs 'ratio,impurity': the objective is the "
            "column the inputs predict; leave it out of --inputs",
        ),
    ],
)
def test_replay_refuses_inputs_that_name_no_column_one_twice_or_the_objective(
    tmp_path, capsys, inputs, objective, said
):
    snar = DATA / "bo-benchmarks" / "olympus" / "snar.csv"
    out = tmp_path / "r"
    args = ("--inputs", inputs, "--objective", objective, "--budget", "4", "--repeats", "1")
    code, stdout, err = cli(capsys, "replay", str(snar), *args, "--out", str(out), "-q")
    assert (code, stdout) == (2, ""), err
    assert err.startswith(f"error: {said}") and err.count("\n") == 1, err
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "given", "span"),
    # --budget -1 said "replay: batch 1 must be between 1 and the budget -1", naming no option,
    # and only after the table had been read; the most (common.at_most's) was left out
    [
        ("--budget", "-1", f"from 2 to {MAX_OBSERVATIONS}"),
        ("--budget", "1", f"from 2 to {MAX_OBSERVATIONS}"),
        ("--initial", "0", "of at least 1"),
        ("--repeats", "-2", f"from 1 to {MAX_REPEATS}"),
    ],
)
def test_replay_refuses_counts_below_their_least_naming_the_option(
    tmp_path, capsys, option, given, span
):
    out = tmp_path / "r"
    args = ("--inputs", "residence_time,ratio", "--objective", "impurity", option, given)
    code, _, err = cli(capsys, "replay", str(tmp_path / "no-such.csv"), *args, "--out", str(out))
    assert code == 2 and err == (
        f"error: Invalid value for '{option}': '{given}': give a whole number {span} "
        "(see 'fluxtrap replay --help')\n"
    ), err
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "least", "most"),
    [("--budget", 2, MAX_OBSERVATIONS), ("--repeats", 1, MAX_REPEATS)],
)
def test_replay_refuses_counts_above_their_most_naming_the_option(
    tmp_path, capsys, option, least, most
):
    """--repeats 1001 or --budget 2001 were refused by replay() only after the table had been
    read ("replay: repeats must be 1 to 1000"): now as the options, before (no such table here),
    with replay()'s own bounds."""
    out = tmp_path / "r"
    args = ("--inputs", "residence_time,ratio", "--objective", "impurity", option, str(most + 1))
    code, _, err = cli(capsys, "replay", str(tmp_path / "no-such.csv"), *args, "--out", str(out))
    assert code == 2 and err == (
        f"error: Invalid value for '{option}': '{most + 1}': give a whole number from {least} "
        f"to {most} (see 'fluxtrap replay --help')\n"
    ), err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "said"),
    # each was refused by replay() only after the table had been read (a big one: minutes)
    [
        (("--seed", "-1"), "'--seed': '-1': give a whole number from 0 to 4294967295"),
        (
            ("--seed", str(2**32)),
            "'--seed': '4294967296': give a whole number from 0 to 4294967295",
        ),
        (("--seed", str(2**32 - 1), "--repeats", "2"), "the last seed (seed + repeats - 1)"),
        (("--initial", "5", "--budget", "4"), "initial must be a whole number from 1 to 3, got 5"),
        (("--repeats", "1000", "--budget", "100"), "observations in all, at most 2e+06"),
    ],
)
def test_replay_refuses_what_needs_no_table_before_reading_it(tmp_path, capsys, args, said):
    out = tmp_path / "r"
    given = ("--inputs", "residence_time,ratio", "--objective", "impurity", *args)
    code, _, err = cli(capsys, "replay", str(tmp_path / "no-such.csv"), *given, "--out", str(out))
    assert code == 2 and said in err and "no-such.csv" not in err, err
    assert not out.exists()


def test_demo_and_replay_take_the_optimizers_most_seed(tmp_path, capsys, monkeypatch):
    """demo --seed and replay --seed each wrote 2**32 - 1 themselves, beside check_seed's own
    2**32: now all three read optimizer.MAX_RNG_SEED (a smaller one here is what they say)."""
    monkeypatch.setattr(optimizer, "MAX_RNG_SEED", 7)
    with pytest.raises(ValidationError, match="seed: give a whole number from 0 to 7, got 8"):
        optimizer.check_seed(8)
    for command in (
        ("demo", "--quiet"),
        ("replay", str(tmp_path / "no-such.csv"), "--inputs", "a", "--objective", "b"),
    ):
        out = tmp_path / command[0]
        code, _, err = cli(capsys, *command, "--seed", "8", "--out", str(out))
        assert code == 2 and "'--seed': '8': give a whole number from 0 to 7" in err, err
        assert not out.exists()


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_replay_of_a_non_file_is_one_line_not_a_hang(tmp_path, capsys, kind):
    path = tmp_path / "pool"
    path.mkdir() if kind == "directory" else os.mkfifo(path)  # a FIFO with no writer blocks
    args = ("--inputs", "a", "--objective", "y", "--out", str(tmp_path / "r"))
    code, _, err = cli(capsys, "replay", str(path), *args)
    assert code == 2 and err == f"error: {path}: not a regular file; a replay table must be one\n"


def test_suggest_out_carries_the_models_prediction_in_the_units_shown(db, capsys, tmp_path):
    """--out wrote Jc in A/m^2 under a bare 'jc_3T_predicted' (3.9e8 where the table beside it
    said 39,000 A/cm²); each header now names its unit, the table's, as fluxtrap export does."""
    import pandas as pd

    out = tmp_path / "next.csv"
    code, _, err = cli(capsys, "suggest", "-c", NAME, "-n", "2", "--out", str(out), "--db", db)
    assert code == 0, err
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "suggestion_id", "ramp_rate [degC/min]", "max_temperature [degC]", "dwell_time [min]",
        "jc_3T_predicted [A/cm²]", "jc_3T_predicted_std [A/cm²]",
    ]  # fmt: skip
    for r in Store(db).suggestions(NAME, status="open"):
        row = table[table.suggestion_id == r.id].iloc[0]
        guess = r.model_summary["prediction"]["jc_3T"]  # A/m^2, as the store keeps objectives
        assert row["max_temperature [degC]"] == r.params["max_temperature"]
        assert row["jc_3T_predicted [A/cm²]"] == pytest.approx(guess["mean"] * 1e-4, rel=1e-9)
        assert row["jc_3T_predicted_std [A/cm²]"] == pytest.approx(guess["std"] * 1e-4, rel=1e-9)


def test_suggest_says_a_budget_it_cannot_use(tmp_path, capsys):
    """With an outcome constraint (or two objectives) the budget's last tenth is not chosen by
    best predicted value (Optimizer.exploits): `--budget 4` at the 4th trial was silently the
    acquisition, while --help and the tutorial promise best predicted value."""
    path, toml = str(tmp_path / "lab.db"), tmp_path / "c.toml"
    toml.write_text(
        'name = "tc-bound"\nbudget = 4\n'
        '[[parameters]]\nname = "max_temperature"\nunit = "degC"\nlow = 450\nhigh = 750\n'
        "step = 1\n"
        '[[objectives]]\nname = "jc_3T"\nquantity = "jc"\nfield = "3 T"\ntemperature = "5 K"\n'
        'goal = "maximize"\n'
        '[[objectives]]\nname = "tc"\nquantity = "tc"\ngoal = "constraint"\n'
        '[[constraints]]\nexpression = "tc >= 30 K"\n'
    )
    assert cli(capsys, "campaign", "create", str(toml), "--db", path)[0] == 0
    for label, t, jc, tc in (("A", "500", "1e8", "35"), ("B", "600", "3e8", "36"), ("C", "700", "2e8", "29")):  # fmt: skip
        args = ("-p", f"max_temperature={t}", "-o", f"jc_3T={jc}", "-o", f"tc={tc}")
        assert (
            cli(capsys, "sample", "add", "-c", "tc-bound", "-l", label, *args, "--db", path)[0] == 0
        )
    code, out, err = cli(capsys, "suggest", "-c", "tc-bound", "--db", path)
    assert code == 0, err
    assert "PosteriorMean" not in out
    assert "budget 4: not used here" in " ".join(out.split()), out


def test_plot_model_draws_jc_in_the_tables_unit(db, capsys, tmp_path, monkeypatch):
    """The figures drew Jc in A/m^2 (2.9e8) under "jc_3T [A/m^2]", while every table says
    A/cm² (29,000): now the axes say A/cm² and the points drawn are the tables' numbers."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PathCollection  # what scatter draws

    close, seen = plt.close, []

    def keep(fig=None):
        seen.append(fig)
        close(fig)

    monkeypatch.setattr(plt, "close", keep)
    code, _, err = cli(
        capsys, "plot", "model", "-c", NAME, "--out", str(tmp_path), "--no-html", "--db", db
    )
    assert code == 0, err
    axes = [ax for fig in seen for ax in fig.axes]
    texts = {
        t
        for ax in axes
        for t in (ax.get_ylabel(), ax.get_title(), *(x.get_text() for x in ax.get_xticklabels()))
    }
    assert "jc_3T [A/cm²] mean" in texts and "jc_3T [A/cm²] std" in texts  # the 2D maps
    assert not {t for t in texts if "A/m^2" in t} and "jc_3T" not in texts
    table = sorted(float(v[3]) * 1e-4 for v in SAMPLES.values())  # A/cm², as campaign show
    jc_axes = [ax for ax in axes if ax.get_ylabel() == "jc_3T [A/cm²]"]
    colorbar = next(ax for ax in jc_axes if ax.get_label() == "<colorbar>")  # parallel coord.
    slices_ax = next(ax for ax in jc_axes if ax.get_xlabel() == "" and ax is not colorbar)
    best_ax = next(ax for ax in jc_axes if ax.get_xlabel().startswith("trial"))
    assert len(jc_axes) == 3
    for ax in (slices_ax, best_ax):  # the measured points drawn, read back from the figure
        points = [c.get_offsets()[:, 1] for c in ax.collections if isinstance(c, PathCollection)]
        assert sorted(np.concatenate(points)) == pytest.approx(table)
    mean = slices_ax.lines[0].get_ydata()  # the posterior mean, in the points' range
    assert 0.5 * min(table) < np.median(mean) < 2 * max(table)
    assert colorbar.get_ylim() == pytest.approx((min(table), max(table)))  # parallel coordinates


def test_the_stopping_advice_names_the_objective_s_unit(db, capsys):
    """ "expected improvement 5.07e+06 = 0.22 x the noise std 2.28e+07" under a table of Jc in
    A/cm² (28,900): the numbers were A/m^2; now they are A/cm², as the table."""
    code, out, err = cli(capsys, "suggest", "-c", NAME, "--db", db)
    assert code == 0, err
    advice = " ".join(out[out.index("stopping advisor") :].split())
    got = re.search(r"expected improvement (\S+) A/cm² = \S+ x the noise std (\S+) A/cm²;", advice)
    (r,) = Store(db).suggestions(NAME)
    noise = r.model_summary["objectives"]["jc_3T"]["noise_std"]  # A/m^2, as stored
    assert got and (float(got[1]), float(got[2])) == pytest.approx(
        (math.exp(r.acquisition_value) * 1e-4, noise * 1e-4), rel=5e-3
    ), advice


def test_suggest_shows_the_acquisition_in_the_objective_s_shown_unit(db, capsys):
    """The table showed the stored log EI of Jc in A/m^2, ln 1e4 above `fluxtrap plot model`'s
    log EI in A/cm^2; now its header names the unit and the value is the plot's."""
    code, out, err = cli(capsys, "suggest", "-c", NAME, "--db", db)
    assert code == 0, err
    (r,) = Store(db).suggestions(NAME)
    names, head, _, row = out.splitlines()[2:6]  # cells whole: max_temperature was max_tempera…
    units = "┃ id ┃ [degC/min] ┃ [degC] ┃ [min] ┃ [A/cm²] ┃ [log EI, EI in A/cm²] ┃"
    assert head.split() == units.split(), out
    assert row.split("│")[-2].strip() == f"{r.acquisition_value + math.log(1e-4):.3g}", out
    assert "max_temperature" in names.split()


def test_suggest_says_when_a_batch_passes_the_budget(tmp_path, capsys):
    """Budget 4, three measured samples, one made and not measured: a batch of two takes the
    campaign to experiments 5 and 6 (counted as the optimizer counts them: measured, then made
    or suggested and not measured). Said once the batch passes it; nothing said within it."""
    path, toml = str(tmp_path / "lab.db"), tmp_path / "c.toml"
    toml.write_text(
        'name = "short"\nbudget = 6\n'
        '[[parameters]]\nname = "max_temperature"\nunit = "degC"\nlow = 450\nhigh = 750\n'
        '[[objectives]]\nname = "jc_3T"\nquantity = "jc"\nfield = "3 T"\ntemperature = "5 K"\n'
        'goal = "maximize"\n'
    )
    assert cli(capsys, "campaign", "create", str(toml), "--db", path)[0] == 0
    for label, t, jc in (("A", "500", "1e8"), ("B", "600", "3e8"), ("C", "700", "2e8"), ("D", "650", None)):  # fmt: skip
        args = ("-p", f"max_temperature={t}") + (("-o", f"jc_3T={jc}") if jc else ())
        assert cli(capsys, "sample", "add", "-c", "short", "-l", label, *args, "--db", path)[0] == 0
    code, out, err = cli(capsys, "suggest", "-c", "short", "-n", "2", "--db", path)
    assert code == 0, err
    assert "this batch takes the campaign" not in out  # experiments 5 and 6 of 6
    code, out, err = cli(capsys, "suggest", "-c", "short", "--budget", "4", "--db", path)
    assert code == 0, err
    said = " ".join(out.split())
    assert (
        "budget 4: this batch takes the campaign to experiment 7 (3 measured, 4 made or "
        "suggested and not measured yet); past the budget every suggestion is by best "
        "predicted value"
    ) in said, said


def test_suggest_says_how_many_rows_state_an_error(db, capsys, monkeypatch):
    monkeypatch.setattr(console, "width", 160)  # the summary lines unbroken
    code, out, err = cli(capsys, "suggest", "-c", NAME, "--seed", "3", "--db", db)
    assert code == 0, err
    assert "stated error" not in out  # none stated: the line as before
    params = ("-p", "ramp_rate=40", "-p", "max_temperature=620", "-p", "dwell_time=10")
    sample = ("sample", "add", "--db", db, "-c", NAME, "--label", "B5", *params)
    code, _, err = cli(capsys, *sample, "-o", "jc_3T=3.3e4 ± 4e3 A/cm^2")
    assert code == 0, err
    code, out, err = cli(capsys, "suggest", "-c", NAME, "--seed", "3", "--db", db)
    assert code == 0, err
    o = Store(db).suggestions(NAME, status="open")[-1].model_summary["objectives"]["jc_3T"]
    assert o["known_errors"] == 1
    said = (  # in A/cm², as the stopping advisor's line (stored in A/m²)
        f"1 row(s) with a stated error: noise std {o['noise_std'] / 1e4:.3g} A/cm² "
        f"(fitted {o['fitted_noise_std'] / 1e4:.3g} A/cm² on top of the stated)"
    )
    assert said in out, out


def test_a_sample_at_an_open_suggestion_made_without_its_id_is_named(db, capsys):
    """`sample add` without --from-suggestion at an open suggestion's point left it open in
    silence; now both sample add and the next suggest name it and say how to close it."""
    assert cli(capsys, "suggest", "-c", NAME, "--db", db)[0] == 0
    (sug,) = Store(db).suggestions(NAME, status="open")
    params = [a for k, v in sug.params.items() for a in ("-p", f"{k}={v:g}")]
    code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "B9", *params)
    assert code == 0, err
    hint = f"fluxtrap suggestion mark {sug.id} discarded --note 'made as sample B9'"
    assert f"sample B9 is at the point of open suggestion {sug.id}" in err and hint in err, err
    code, out, err = cli(capsys, "suggest", "-c", NAME, "--db", db)
    assert code == 0, err
    assert f"open suggestion {sug.id} is at the point of sample 'B9'" in " ".join(out.split())
    code, _, err = cli(
        capsys,
        "suggestion",
        "mark",
        str(sug.id),
        "discarded",
        "--note",
        "made as sample B9",
        "--db",
        db,
    )
    assert code == 0, err


def test_suggest_says_when_a_suggestion_is_in_effect_a_repeat(tmp_path, capsys):
    """Tc over 450-750 degC by 10, measured twice at every point but 600 and 610 with 0.3 K
    noise; a parabola 150 degC wide changes 0.013 K from 610 to 620: either free point reads
    as its measured neighbour within the noise. It was suggested with no word."""
    from fluxtrap.campaign import CampaignSpec

    path = str(tmp_path / "lab.db")
    store = Store(path)
    parameter = {"name": "T", "unit": "degC", "low": 450, "high": 750, "step": 10}
    spec = CampaignSpec.from_dict(
        {"name": "r", "parameters": [parameter], "objectives": [{"name": "tc", "quantity": "tc"}]}
    )
    store.create_campaign(spec)
    rng = np.random.default_rng(0)
    for t in [t for t in range(450, 760, 10) if t not in (600, 610)]:
        for k in range(2):
            tc = 38 - ((t - 600) / 150) ** 2 + 0.3 * rng.standard_normal()
            store.add_sample("r", f"s{t}_{k}", {"T": t}, objectives={"tc": tc})
    code, out, err = cli(capsys, "suggest", "-c", "r", "--db", path)
    assert code == 0, err
    (sug,) = store.suggestions("r")
    assert sug.params["T"] in (600, 610) and sug.model_summary["repeats"] == [0]
    assert f"note: suggestion(s) {sug.id} would read within the noise" in " ".join(out.split())


def test_plot_model_draws_the_models_data_without_failed_or_outside_samples(
    db, capsys, tmp_path, monkeypatch
):
    """A measured sample beyond the bounds (800 degC, --outside-space) and a measured one marked
    failed are not the model's data; `plot model` stopped at 'origin has 5 labels for 3
    observations'. Now it draws the 3 told samples; the dashboard's slice, which passes through
    the best measured sample, no longer passes through the one at 800 degC (outside: refused)."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PathCollection
    from sqlalchemy import text

    from fluxtrap.web.plots import model_figures

    store = Store(db)
    hot = {"ramp_rate": 40.0, "max_temperature": 800.0, "dwell_time": 5.0}
    store.add_sample(NAME, "HOT", hot, objectives={"jc_3T": 9e8}, outside_space=True)
    bad = {"ramp_rate": 41.0, "max_temperature": 610.0, "dwell_time": 5.0}
    store.add_sample(NAME, "BAD", bad, objectives={"jc_3T": 8e8})
    with store.engine.begin() as c:  # failed with a value: as stores written before the store
        c.execute(text("UPDATE samples SET status = 'failed' WHERE label = 'BAD'"))  # refused it
    close, seen = plt.close, []
    monkeypatch.setattr(plt, "close", lambda fig=None: (seen.append(fig), close(fig)))
    code, _, err = cli(
        capsys, "plot", "model", "-c", NAME, "--out", str(tmp_path), "--no-html", "--db", db
    )
    assert code == 0, err
    (ax,) = [a for a in seen[0].axes if a.get_ylabel().startswith("jc_3T")][:1]
    points = [c.get_offsets()[:, 1] for c in ax.collections if isinstance(c, PathCollection)]
    assert sorted(np.concatenate(points)) == pytest.approx([1.5e4, 2.9e4, 3.5e4])  # A/cm²
    figures = model_figures(
        store.campaign(NAME), store.history(NAME), store.suggestions(NAME), "jc_3T", "dwell_time"
    )
    assert "through the best sample B2" in json.dumps(figures)


def test_suggest_refuses_a_batch_estimated_past_the_limit_unless_allowed(db, capsys, monkeypatch):
    """A 100-point batch of 3 objectives ran 12-15 min unannounced; an ask estimated past
    MAX_ASK_S is now refused naming --allow-long, nothing stored, and with it runs saying its
    estimate (the limits patched to 0 s: a 2-point batch stands in for a huge one)."""
    import fluxtrap.optimize.optimizer as optimizer

    monkeypatch.setattr(optimizer, "MAX_ASK_S", 0.0)
    monkeypatch.setattr(optimizer, "ASK_NOTE_S", 0.0)
    args = ["suggest", "-c", NAME, "-n", "2", "--db", db]
    code, _, err = cli(capsys, *args)
    assert code == 2 and err.startswith("error: ask: 2 points, 1 objective(s), 3 observations")
    assert "past the 0 min limit: allow the long ask (suggest --allow-long" in err, err
    assert Store(db).suggestions(NAME) == []
    code, _, err = cli(capsys, *args, "--allow-long")
    assert code == 0 and "warning: ask: 2 points, 1 objective(s)" in err, err
    assert len(Store(db).suggestions(NAME, status="open")) == 2


def test_a_log_objective_s_0_is_recorded_and_suggest_names_its_floor(tmp_path, capsys):
    """Jc(3 T) = 0 (nothing measurable) of a log = true objective: `sample add -o jc_3T=0`
    stores it (it was refused: "its values must be above 0"), suggest models it at a floor and
    names the samples and the floor in A/cm², on the terminal and in the stored notes; -1
    stays refused."""
    path = str(tmp_path / "lab.db")
    toml = tmp_path / "c.toml"
    toml.write_text(
        'name = "z"\n[[parameters]]\nname = "max_temperature"\nunit = "degC"\nlow = 450\n'
        'high = 750\n[[objectives]]\nname = "jc_3T"\nquantity = "jc"\nfield = "3 T"\nlog = true\n'
    )
    assert cli(capsys, "campaign", "create", str(toml), "--db", path)[0] == 0
    for label, t, jc in (("A", "480", "0"), ("B", "560", "4e4 A/cm^2"), ("C", "640", "1e6 A/cm^2"), ("D", "720", "0")):  # fmt: skip
        args = ("-p", f"max_temperature={t}", "-o", f"jc_3T={jc}", "--db", path)
        code, _, err = cli(capsys, "sample", "add", "-c", "z", "-l", label, *args)
        assert code == 0, err
    assert Store(path).history("z")["jc_3T"].tolist() == [0.0, 4e8, 1e10, 0.0]
    args = ("-p", "max_temperature=600", "-o", "jc_3T=-1", "--db", path)
    code, _, err = cli(capsys, "sample", "add", "-c", "z", "-l", "E", *args)
    assert code == 2 and "jc_3T='-1': a critical current density is not negative" in err
    code, out, err = cli(capsys, "suggest", "-c", "z", "--db", path)
    assert code == 0, err
    note = "objective jc_3T: 2 value(s) of 0 (A, D) are modelled at a floor of 4e+03 A/cm²"
    assert note in " ".join((out + err).split())
    (r,) = Store(path).suggestions("z")
    assert any(n.startswith(note) for n in r.model_summary["notes"])


def test_suggest_of_a_log_objective_shows_the_median_and_its_interval(tmp_path, capsys):
    """jc with log = true: suggest shows the median exp(mu) and exp(mu -+ 1 sd) in A/cm², --out
    writes them in SI, the LOO error, noise and stopping advice are of ln jc; the same campaign
    without log is told its values span decades (the model said nothing)."""
    import pandas as pd

    path = str(tmp_path / "lab.db")
    for name, log in (("logged", "log = true\n"), ("raw", "")):
        toml = tmp_path / f"{name}.toml"
        toml.write_text(
            f'name = "{name}"\n'
            '[[parameters]]\nname = "max_temperature"\nunit = "degC"\nlow = 450\nhigh = 750\n'
            '[[objectives]]\nname = "jc_3T"\nquantity = "jc"\nfield = "3 T"\n' + log
        )
        assert cli(capsys, "campaign", "create", str(toml), "--db", path)[0] == 0
        for label, t, jc in (("A", "480", "2e6"), ("B", "560", "4e8"), ("C", "640", "1e10"), ("D", "720", "3e7")):  # fmt: skip
            args = ("-p", f"max_temperature={t}", "-o", f"jc_3T={jc}", "--db", path)
            assert cli(capsys, "sample", "add", "-c", name, "-l", label, *args)[0] == 0
    out_csv = tmp_path / "next.csv"
    code, out, err = cli(capsys, "suggest", "-c", "logged", "--out", str(out_csv), "--db", path)
    assert code == 0, err
    (r,) = Store(path).suggestions("logged")
    guess = r.model_summary["prediction"]["jc_3T"]  # the median in A/m^2, the sd of ln
    low, high = guess["mean"] / math.exp(guess["std"]), guess["mean"] * math.exp(guess["std"])
    text = " ".join(out.split())
    cell = f"{guess['mean'] * 1e-4:.3g} ({low * 1e-4:.3g} to {high * 1e-4:.3g})"
    assert cell in text, out
    assert "modelled as ln jc_3T: the median exp(mu) (exp(mu - sd) to exp(mu + sd)" in text
    assert re.search(r"LOO RMSE \S+ in ln jc_3T", text) and "of ln jc_3T" in text, out
    assert "EI in ln jc_3T" in text and "span" not in err
    table = pd.read_csv(out_csv)
    assert list(table.columns)[-3:] == [
        "jc_3T_predicted [A/cm²]",
        "jc_3T_predicted_low [A/cm²]",
        "jc_3T_predicted_high [A/cm²]",
    ]
    shown = [1e-4 * v for v in (guess["mean"], low, high)]
    assert table.iloc[0, -3:].tolist() == pytest.approx(shown, rel=1e-9)
    code, out, err = cli(capsys, "suggest", "-c", "raw", "--db", path)
    assert code == 0, err
    said = " ".join((out + err).split())
    assert "its values, all above 0, span 3.7 decades (200 to 1e+06 A/cm²)" in said, said
    assert "give jc_3T log = true in [[objectives]]" in said
