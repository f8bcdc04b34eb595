"""The constrained campaign file through the command line: sample add with choices, a fixed value
and objective values with units, constraint refusals, suggest --out, failed samples and
suggestions (issue 16, campaign items)."""

from __future__ import annotations

import sqlite3
from datetime import UTC

import pandas as pd
import pytest

from fluxtrap.store import Store

from ..conftest import EXAMPLES, cli, mark_failed_with_values

NAME = "K-Ba122 SPS, constrained"
ROWS = [  # ramp, T, dwell, atmosphere, Jc(3 T), Tc
    ("50", "600", "5", "Ar", "2.9e4 A/cm^2", "37.5 K"),
    ("30", "650", "10", "vacuum", "3.5e4 A/cm^2", "38 K"),
    ("80", "500", "25", "Ar", "1.5e8", "35"),  # bare numbers: A/m^2 and K
    ("20", "560", "30", "vacuum", "2.2e4 A/cm^2", "-236 degC"),
]


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "lab.db")
    code, out, err = cli(
        capsys, "campaign", "create", str(EXAMPLES / "campaign_constrained.toml"), "--db", path
    )
    assert code == 0, err
    assert "constraint: max_temperature + 4 * dwell_time <= 700" in out
    for i, (r, t, d, a, jc, tc) in enumerate(ROWS):
        code, _, err = cli(
            capsys, "sample", "add", "--db", path, "-c", NAME, "--label", f"R{i}",
            "-p", f"ramp_rate={r}", "-p", f"max_temperature={t}", "-p", f"dwell_time={d}",
            "-p", f"atmosphere={a}", "-o", f"jc_3T={jc}", "-o", f"tc={tc}",
        )  # fmt: skip
        assert code == 0, err
    return path


def test_sample_add_converts_units_and_fills_the_fixed_value(db):
    r0, _, r2, r3 = Store(db).samples(NAME)
    assert r0.objectives == pytest.approx({"jc_3T": 2.9e8, "tc": 37.5})
    assert r2.objectives == pytest.approx({"jc_3T": 1.5e8, "tc": 35.0})
    assert r3.objectives["tc"] == pytest.approx(37.15)
    assert (r0.params["atmosphere"], r0.params["pressure"]) == ("Ar", 50.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "max_temperature=650", "-p", "dwell_time=20"], "violates the campaign constraint"),
        (["-p", "atmosphere=air"], "atmosphere='air' is not one of"),
        (["-p", "pressure=40"], "holds pressure fixed at 50"),
        (["-o", "jc_3T=2 T"], "cannot convert"),
        (["-o", "tc=warm"], "tc='warm'"),
        (["-p", "dwell_time=1_0"], "dwell_time='1_0' is not a number"),
        (["-p", "pressure=5_0"], "holds pressure fixed at 50"),
        (["-o", "tc=35 degC"], "tc='35 degC' is 308.15 K, outside the range 4 to 150 K"),
        # no range on jc_3T: above the depairing current density of any superconductor
        (["-o", "jc_3T=1e30"], "jc_3T='1e30' is 1e+26 A/cm², above the 1e+10 A/cm²"),
        (["-o", "jc_3T=2e12 A/cm^2"], "above the 1e+10 A/cm² no superconductor reaches"),
    ],
)
def test_sample_add_refuses_what_the_campaign_does_not_allow(db, capsys, args, message):
    base = {"ramp_rate": "40", "max_temperature": "600", "dwell_time": "5", "atmosphere": "Ar"}
    given = {a.split("=")[0] for a in args[1::2]}
    params = [x for k, v in base.items() if k not in given for x in ("-p", f"{k}={v}")]
    code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "X", *params, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert "X" not in {s.label for s in Store(db).samples(NAME)}


def test_suggest_out_csv_failed_and_abandoned(db, capsys, tmp_path):
    # failed samples are not data: one measured -> Sobol design (measured, marked failed in SQL)
    mark_failed_with_values(Store(db), "R1", "R2", "R3")
    out = tmp_path / "next.csv"
    code, stdout, err = cli(capsys, "suggest", "-c", NAME, "-n", "2", "--out", str(out), "--db",
                            db, "--by", "alice")  # fmt: skip
    assert code == 0, err
    assert (
        "Sobol" in stdout
        and "stopping advisor: no model-based round on varying values yet" in stdout
    )
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "suggestion_id",
        "ramp_rate [degC/min]",
        "max_temperature [degC]",
        "dwell_time [min]",
        "atmosphere",
        "pressure [MPa]",
    ]  # fmt: skip  (each unit in its header, as fluxtrap export writes them)
    table.columns = [c.split(" [")[0] for c in table.columns]
    assert (table.max_temperature + 4 * table.dwell_time <= 700).all()
    assert set(table.atmosphere) <= {"Ar", "vacuum"} and (table.pressure == 50).all()
    a, b = table.suggestion_id
    # make the first, it cracks; give up the second
    row = table.iloc[0]
    params = [
        x
        for k in ("ramp_rate", "max_temperature", "dwell_time", "atmosphere")
        for x in ("-p", f"{k}={row[k]}")
    ]
    assert cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "S1",
               "--from-suggestion", str(a), *params)[0] == 0  # fmt: skip
    code, out_, err = cli(capsys, "sample", "status", "-c", NAME, "S1", "failed",
                          "--note", "cracked", "--by", "eve", "--db", db)  # fmt: skip
    assert code == 0 and "S1 is now failed" in out_, err
    code, out_, _ = cli(capsys, "suggestion", "mark", str(b), "abandoned", "--db", db)
    assert code == 0 and f"suggestion {b} is now abandoned" in out_
    store = Store(db)
    assert (store.suggestion(int(a)).status, store.suggestion(int(a)).status_note) == (
        "failed", "cracked",
    )  # fmt: skip
    code, listing, _ = cli(capsys, "suggestion", "list", "-c", NAME, "--db", db)
    assert "failed" in listing and "cracked" in listing and "abandoned" in listing
    # who asked (alice) and who marked it (eve): one column "by" showed only the marker
    (row_a,) = [r for r in listing.splitlines() if r.startswith(f"│ {a} ")]
    assert [c.strip() for c in row_a.split("│")[-4:-1]] == ["alice", "cracked", "eve"], listing
    # every free parameter with its unit under its name, the fixed pressure left out
    names, units = (
        [c.strip() for c in line.split("┃")[1:-1]] for line in listing.splitlines()[2:4]
    )
    assert names[:5] == ["", "", "ramp_rate", "max_temperature", "dwell_time"]  # unitless: below
    assert units[:6] == ["id", "status", "[degC/min]", "[degC]", "[min]", "atmosphere"], listing
    assert "pressure" not in names + units
    code, shown, _ = cli(capsys, "campaign", "show", NAME, "--db", db)
    assert "failed" in shown  # the history shows it
    code, _, err = cli(capsys, "suggestion", "mark", str(a), "open", "--db", db)
    assert code == 2 and "can only be used or failed" in err


def _campaign_file(n_parameters: int, n_choices: int = 0, n_constraints: int = 0) -> str:
    lines = ['name = "wide"']
    for i in range(n_parameters):
        lines += ["[[parameters]]", f'name = "p{i}"', "low = 0", "high = 1"]
    if n_choices:
        lines += ["[[parameters]]", 'name = "c"', f"choices = {list(range(n_choices))}"]
    lines += ["[[objectives]]", 'name = "y"', 'quantity = "value"', 'goal = "maximize"']
    lines += ["[[constraints]]", 'expression = "p0 + p1 <= 2"'] * n_constraints
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("shape", "message"),
    [  # each was created (20,000 parameters in 15 s) and left to the optimizer to model
        ((101,), "101 [[parameters]], at most 100 in a campaign"),
        ((2, 101), "parameter c: 101 choices, at most 100"),
        ((2, 0, 201), "201 [[constraints]], at most 200 in a campaign"),
    ],
)
def test_a_campaign_too_wide_to_model_is_refused(tmp_path, capsys, shape, message):
    path = tmp_path / "wide.toml"
    path.write_text(_campaign_file(*shape))
    code, _, err = cli(capsys, "campaign", "create", str(path), "--db", str(tmp_path / "x.db"))
    assert code == 2 and message in err, err
    assert Store(str(tmp_path / "x.db")).campaigns() == []


def _suggestion(db: str, **params) -> int:
    """One stored open suggestion (no model fit: how it was chosen is not under test)."""
    p = {"ramp_rate": 40.0, "max_temperature": 600.0, "dwell_time": 5.0, "atmosphere": "Ar"}
    return Store(db).add_suggestions(NAME, [p | params], [None], {}, seed=0)[0].id


def _made(**params) -> list[str]:
    p = {"ramp_rate": "40", "max_temperature": "600", "dwell_time": "5", "atmosphere": "Ar"}
    return [x for k, v in (p | params).items() for x in ("-p", f"{k}={v}")]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ([], "optimizer"),
        (["--origin", "researcher"], "researcher"),
        (["--origin", "optimizer"], "optimizer"),
    ],
)
def test_sample_add_from_a_suggestion_keeps_the_origin_given(db, capsys, given, stored):
    """--origin researcher with --from-suggestion was stored as optimizer: the option's default
    was researcher, so a choice of it could not be told from no choice."""
    n = _suggestion(db)
    code, out, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "S1",
                         "--from-suggestion", str(n), *_made(), *given)  # fmt: skip
    assert code == 0 and f"added sample S1 ({stored})" in out, err
    assert Store(db).sample(NAME, "S1").origin == stored
    assert Store(db).suggestion(n).status == "used"
    assert Store(db).sample(NAME, "R0").origin == "researcher"  # no suggestion, no --origin


def test_a_sample_made_other_than_suggested_is_recorded_with_a_warning(db, capsys):
    """A sample realising a suggestion was never compared with it: now it is stored as made and
    one warning line names each parameter that differs, by how much, in its unit."""
    n = _suggestion(db)
    code, out, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "S1",
                         "--from-suggestion", str(n),
                         *_made(max_temperature="605", atmosphere="vacuum"))  # fmt: skip
    assert code == 0 and "added sample S1 (optimizer)" in out, err
    (line,) = [x for x in err.splitlines() if x.startswith("warning:")]
    assert line == (
        f"warning: sample S1 departs from suggestion {n}: max_temperature 605 degC, suggested "
        "600 degC (+5 degC); atmosphere vacuum, suggested Ar"
    )
    s1 = Store(db).sample(NAME, "S1")
    assert (s1.params["max_temperature"], s1.params["atmosphere"], s1.suggestion_id) == (
        605.0, "vacuum", n,
    )  # fmt: skip
    n2 = _suggestion(db, dwell_time=6.0)  # made as suggested: no warning
    code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "S2",
                       "--from-suggestion", str(n2), *_made(dwell_time="6"))  # fmt: skip
    assert code == 0 and "warning" not in err, err


def test_a_sample_made_as_suggested_needs_no_parameter_typed_again(db, capsys):
    """`sample add --from-suggestion 1 --label A1` said "missing parameter(s) ramp_rate, ..."
    though the suggestion holds them all: each was to be typed again, digit for digit (7.94363
    h). Those not given are the suggested values; one given is taken as made."""
    n = _suggestion(db, ramp_rate=43.7, dwell_time=7.94)
    code, out, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "S1",
                         "--from-suggestion", str(n))  # fmt: skip
    assert code == 0 and "added sample S1 (optimizer)" in out and err == "", err
    s1 = Store(db).sample(NAME, "S1")
    assert s1.params == Store(db).suggestion(n).params | {"pressure": 50.0}, s1.params
    n2 = _suggestion(db, dwell_time=6.0)
    code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "S2",
                       "--from-suggestion", str(n2), "-p", "max_temperature=605")  # fmt: skip
    assert code == 0 and "max_temperature 605 degC, suggested 600 degC" in err, err
    assert Store(db).sample(NAME, "S2").params["dwell_time"] == 6.0


def test_suggestion_mark_used_needs_a_sample_made_from_it(db, capsys):
    """`suggestion mark N used` was accepted with no sample made from it: the point was then
    neither pending nor measured, lost to the optimizer with nothing to show for it."""
    n = _suggestion(db)
    code, _, err = cli(capsys, "suggestion", "mark", str(n), "used", "--db", db)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"suggestion {n}: no sample was made from it, so it cannot be marked used" in err
    assert f"fluxtrap sample add --from-suggestion {n}" in err
    assert Store(db).suggestion(n).status == "open"  # nothing changed
    code, out, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "S1",
                         "--from-suggestion", str(n), *_made())  # fmt: skip
    assert code == 0 and Store(db).suggestion(n).status == "used", err
    assert cli(capsys, "sample", "status", "-c", NAME, "S1", "failed", "--db", db)[0] == 0
    code, out, err = cli(capsys, "suggestion", "mark", str(n), "used", "--db", db)
    assert code == 0 and f"suggestion {n} is now used" in out, err  # a failure undone
    assert Store(db).sample(NAME, "S1").status == "made"
    n2 = _suggestion(db, dwell_time=6.0)  # the other marks need no sample
    for status in ("discarded", "open", "abandoned", "open", "failed"):
        code, out, err = cli(capsys, "suggestion", "mark", str(n2), status, "--db", db)
        assert code == 0 and f"suggestion {n2} is now {status}" in out, err


def test_a_campaign_with_more_objectives_than_suggest_takes_is_told_so_at_creation(
    tmp_path, capsys
):
    """suggest refuses over MAX_HV_OBJECTIVES optimised objectives; the campaign is accepted (its
    samples can be recorded), and `campaign create` says so then, not at the first suggest."""
    text = (EXAMPLES / "campaign.toml").read_text() + "".join(
        f'\n[[objectives]]\nname = "jc_{b}T"\nquantity = "jc"\nfield = "{b} T"\n'
        'temperature = "5 K"\ngoal = "maximize"\n'
        for b in (0, 1, 5)
    )
    path = tmp_path / "four.toml"
    path.write_text(text)
    db = str(tmp_path / "lab.db")
    code, _, err = cli(capsys, "campaign", "create", str(path), "--db", db)
    assert code == 0
    assert err.startswith("note: 4 objectives to optimise (jc_3T, jc_0T, jc_1T, jc_5T): fluxtrap ")
    assert "suggest takes at most 3" in err
    two = (EXAMPLES / "campaign.toml").read_text().replace("K-Ba122 SPS", "two") + (
        '\n[[objectives]]\nname = "tc"\nquantity = "tc"\ngoal = "maximize"\n'
    )
    path.write_text(two)
    assert cli(capsys, "campaign", "create", str(path), "--db", db)[2] == ""


def test_a_campaign_whose_constraints_leave_no_grid_point_is_refused(tmp_path, capsys):
    """T from 450 to 750 degC by 10 with 455 <= T <= 459 was created, and its first suggest
    failed with "only 0 of the 0 settable feasible points"."""
    path = tmp_path / "g1.toml"
    text = (EXAMPLES / "campaign.toml").read_text()
    path.write_text(text + '\n[[constraints]]\nexpression = "max_temperature >= 455.5"\n'
                    '[[constraints]]\nexpression = "max_temperature <= 455.9"\n')  # fmt: skip
    db = str(tmp_path / "x.db")
    code, _, err = cli(capsys, "campaign", "create", str(path), "--db", db)
    assert code == 2, err
    assert "leave no point of the step grid feasible (max_temperature from 450 to 750" in err
    assert Store(db).campaigns() == []


def test_a_log_objective_is_named_at_creation_and_in_the_list(tmp_path, capsys):
    """`campaign create` and `campaign list` said nothing of an objective's log = true (only the
    web API's GET did); they now name it, and a campaign without one is listed as before."""
    path = tmp_path / "log.toml"
    text = (EXAMPLES / "campaign.toml").read_text()
    path.write_text(text.replace('name = "K-Ba122 SPS"', 'name = "L"') + "log = true\n")
    db = str(tmp_path / "x.db")
    code, out, err = cli(capsys, "campaign", "create", str(path), "--db", db)
    assert code == 0 and "  objective jc_3T: log = true (modelled as ln jc_3T)\n" in out, err
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    code, out, _ = cli(capsys, "campaign", "list", "--db", db)
    assert " jc_3T (log) " in out and " jc_3T " in out.replace("jc_3T (log)", "")


def test_a_campaign_with_every_parameter_fixed_is_noted_and_suggest_says_why_not(tmp_path, capsys):
    """The audit's c10 (T fixed = 600 with low/high, its only parameter) was created silently
    and suggest then failed with "search space needs at least one parameter"."""
    path = tmp_path / "c10.toml"
    path.write_text(
        'name = "c10"\n[[parameters]]\nname = "T"\nunit = "degC"\nlow = 450\nhigh = 750\n'
        'fixed = 600\n[[objectives]]\nname = "y"\nquantity = "value"\ngoal = "maximize"\n'
    )
    db = str(tmp_path / "x.db")
    code, _, err = cli(capsys, "campaign", "create", str(path), "--db", db)
    assert code == 0
    why = "every parameter is fixed (T = 600 degC): fluxtrap suggest has nothing to choose"
    assert err.startswith(f"note: {why}; samples can be recorded")
    code, _, err = cli(capsys, "suggest", "-c", "c10", "--db", db)
    assert code == 2 and f"campaign 'c10': {why}" in err, err


def test_a_sample_made_outside_the_space_is_recorded_when_said_and_left_out_of_the_model(
    db, capsys, tmp_path, monkeypatch
):
    """A sample made already at 800 degC (the bounds end at 750) could not be recorded: real data
    refused. ``--outside-space`` records it with a warning naming the bound and the constraint it
    breaks, and without it the refusal names the flag; export / import and backup / restore keep
    it. suggest leaves it out of the model, says so, and still suggests inside the space. One
    that breaks only the linear constraint (720 degC, 5 min) is data the model learns from.
    The predictions' sd scale takes its no-refit path (LFO_MAX_S = 0): its three refits of the
    categorical model were 3 of suggest's 4 fits, and nothing here reads the scale
    (test_suggest_coverage.py checks it)."""
    from fluxtrap.optimize import optimizer
    from fluxtrap.store.backup import backup, restore

    monkeypatch.setattr(optimizer, "LFO_MAX_S", 0.0)
    from fluxtrap.workflows.suggest import suggest

    args = ["sample", "add", "--db", db, "-c", NAME, "-l", "HOT", "-p", "ramp_rate=40",
            "-p", "max_temperature=800", "-p", "dwell_time=5", "-p", "atmosphere=Ar",
            "-o", "jc_3T=4e4 A/cm^2", "-o", "tc=38 K"]  # fmt: skip
    bound = "max_temperature=800 degC is outside [450, 750] degC"
    code, _, err = cli(capsys, *args)
    assert code == 2 and bound in err and "recorded with --outside-space" in err, err
    assert "HOT" not in {s.label for s in Store(db).samples(NAME)}
    code, _, err = cli(capsys, *args, "--outside-space")
    assert code == 0, err
    assert err.startswith(f"warning: sample HOT lies outside the campaign's space: {bound}; ")
    assert "violates the campaign constraint 'max_temperature + 4 * dwell_time <= 700'" in err
    assert Store(db).sample(NAME, "HOT").params["max_temperature"] == 800  # as made

    out, other = tmp_path / "h.csv", str(tmp_path / "other.db")
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(out))[0] == 0
    cli(capsys, "campaign", "create", str(EXAMPLES / "campaign_constrained.toml"), "--db", other)
    code, _, err = cli(capsys, "import", str(out), "--db", other, "-c", NAME)
    assert code == 2 and "(sample 'HOT')" in err and "--outside-space" in err, err
    code, _, err = cli(capsys, "import", str(out), "--db", other, "-c", NAME, "--outside-space")
    assert code == 0 and "warning: sample HOT lies outside" in err, err
    backup(Store(db), NAME, tmp_path / "k.zip")
    restore(Store(str(tmp_path / "restored.db")), tmp_path / "k.zip")
    assert Store(str(tmp_path / "restored.db")).sample(NAME, "HOT").params["max_temperature"] == 800

    old = [*args[:7], "OLD", "-p", "ramp_rate=40", "-p", "max_temperature=720",
           "-p", "dwell_time=5", *args[14:], "--outside-space"]  # fmt: skip
    code, _, err = cli(capsys, *old)
    assert code == 0 and "left side 740" in err and "the model learns from it" in err, err
    spec = Store(db).campaign(NAME)
    with pytest.warns(UserWarning, match=r"1 sample\(s\) outside .*: HOT \(max_temperature=800"):
        made = suggest(Store(db), NAME, n=2, seed=0)
    assert made[0].model_summary["n"] == 5  # R0..R3 and OLD, measured inside the box
    assert [spec.outside(s.params) for s in made] == [[], []]


def test_a_sample_off_the_step_grid_is_said_to_inform_the_model(db, capsys):
    """The furnace ran at 601.5 degC on a 1 degC grid: recorded with --outside-space, the
    warning said suggest leaves it out of the model; measured inside the bounds, the model now
    learns from it (only suggestions must be settable)."""
    code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", NAME, "-l", "OFF",
                       "-p", "ramp_rate=40", "-p", "max_temperature=601.5", "-p", "dwell_time=5",
                       "-p", "atmosphere=Ar", "-o", "jc_3T=4e4 A/cm^2", "-o", "tc=38 K",
                       "--outside-space")  # fmt: skip
    assert code == 0 and "max_temperature=601.5 degC is off the step grid" in err, err
    assert "(recorded; the model learns from it; suggestions stay settable" in err, err


def test_a_campaign_created_twice_names_the_store_and_how_to_start_afresh(tmp_path, capsys):
    """The README's commands create "K-Ba122 SPS" in ./fluxtrap.db and the campaign tutorial's
    first command creates it again there: "error: campaign 'K-Ba122 SPS' already exists" did not
    say in which store, nor how to go on."""
    path = str(tmp_path / "lab.db")
    create = ("campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", path)
    assert cli(capsys, *create)[0] == 0
    code, _, err = cli(capsys, *create)
    said = " ".join(err.split())
    assert (
        code == 2 and f"campaign 'K-Ba122 SPS' already exists in Store('sqlite:///{path}')" in said
    )
    assert f"`fluxtrap campaign show 'K-Ba122 SPS' --db {path}` lists its samples" in said
    assert "give another store: --db new.db" in said
    assert [c.name for c in Store(path).campaigns()] == ["K-Ba122 SPS"]


def test_suggest_refuses_a_0_of_a_minimised_log_objective_naming_the_sample(tmp_path, capsys):
    """A loss minimised on a log scale, measured 0 in one sample: the model had taken the 0, at
    its floor, as the best value yet. sample add refuses it; one stored before that, suggest
    refuses naming the sample and the command that records a value instead; with that value it
    suggests."""
    path, db = tmp_path / "loss.toml", str(tmp_path / "loss.db")
    path.write_text(
        'name = "loss"\n[[parameters]]\nname = "T"\nunit = "degC"\nlow = 600\nhigh = 900\n'
        'step = 25\n[[objectives]]\nname = "loss"\nunit = "W"\ngoal = "minimize"\nlog = true\n'
    )
    assert cli(capsys, "campaign", "create", str(path), "--db", db)[0] == 0
    code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", "loss", "-l", "L0",
                       "-p", "T=650", "-o", "loss=0")  # fmt: skip
    assert code == 2 and "objective loss='0' is 0, and loss is minimised with log" in err, err
    for i, loss in enumerate(["1", "2", "5"]):
        code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", "loss", "-l", f"L{i}",
                           "-p", f"T={650 + 50 * i}", "-o", f"loss={loss}")  # fmt: skip
        assert code == 0, err
    with sqlite3.connect(db) as con:  # a 0 stored before sample add refused it
        con.execute("""UPDATE samples SET objectives = '{"loss": 0.0}' WHERE label = 'L0'""")
    code, _, err = cli(capsys, "suggest", "--db", db, "-c", "loss", "-q")
    said = "error: campaign 'loss': loss = 0 in sample(s) L0, and "
    assert code == 2 and err.startswith(said), err
    command = "fluxtrap sample measured -c 'loss' L0 -o loss=VALUE --replace"
    assert err.endswith(f"({command})\n") and Store(db).suggestions("loss") == []
    args = command.split()[1:]
    args[args.index("'loss'")], args[args.index("loss=VALUE")] = "loss", "loss=0.05"
    assert cli(capsys, *args, "--db", db)[0] == 0
    code, _, err = cli(capsys, "suggest", "--db", db, "-c", "loss", "-q")
    assert code == 0 and len(Store(db).suggestions("loss")) == 1, err


def test_campaign_show_gives_the_definition_a_sample_must_meet(db, capsys):
    """`campaign show` listed the samples only: the bounds, steps, choices and fixed values a
    new sample must meet (and the objectives and constraints) were nowhere in the CLI, so a
    user learnt them from the refusals. They follow the samples now, as the file set them:
    ramp_rate 10..100 by 0.1 is (100 - 10) / 0.1 + 1 = 901 settable values."""
    code, shown, err = cli(capsys, "campaign", "show", NAME, "--db", db)
    assert code == 0, err
    rows = {
        cells[0]: cells[1:]
        for line in shown.splitlines()
        if len(cells := [c.strip() for c in line.split("│")[1:-1]]) == 3
    }
    assert rows["ramp_rate"] == ["degC/min", "10 to 100 by 0.1, 901 values"]
    assert rows["max_temperature"] == ["degC", "450 to 750 by 1, 301 values"]
    assert rows["atmosphere"] == ["-", "Ar, vacuum"]
    assert rows["pressure"] == ["MPa", "fixed at 50"]
    assert "objective jc_3T: Jc at 3 T, 5 K [A/cm²], maximize" in shown
    assert "constraint: max_temperature + 4 * dwell_time <= 700" in shown
    assert "R3" in shown.split("parameter")[0]  # the samples first


def test_a_high_off_the_step_grid_is_noted_at_creation_with_the_highest_settable_value(
    tmp_path, capsys
):
    """T from 800 to 903 K by 5: 903 is no grid point (800 + k * 5), so no sample or suggestion
    reaches it, and nothing said so. Creating it notes the highest settable value, 900 K; a
    grid whose float sum lands a hair off its high (0.1 + 6 * 0.1) is on it."""
    file = tmp_path / "grid.toml"
    file.write_text(
        'name = "grid"\n'
        '[[parameters]]\nname = "T"\nunit = "K"\nlow = 800\nhigh = 903\nstep = 5\n'
        '[[parameters]]\nname = "x"\nlow = 0.1\nhigh = 0.7\nstep = 0.1\n'
        '[[objectives]]\nname = "tc"\nquantity = "tc"\ngoal = "maximize"\n'
    )
    code, _, err = cli(capsys, "campaign", "create", str(file), "--db", str(tmp_path / "s.db"))
    assert code == 0, err
    assert (
        "note: T: high 903 K is off the step grid 800 + k * 5; the highest settable value is "
        "900 K" in err
    )
    assert "x:" not in err


def test_sample_status_with_the_status_seen_does_not_overwrite_another_s_change(db, capsys):
    """Two lab members saw R9 made (`sample list`); eve marks it failed, then dave, who saw it made
    too, marks it failed with his own note: without --if-status his note replaced hers without a
    word. With it, nothing changes and the error says its status now, her note, and that she
    set it when (store revision 0013: a researcher's sample named nobody)."""
    Store(db).add_sample(NAME, "R9", {"ramp_rate": 40, "max_temperature": 600, "dwell_time": 5,
                                      "atmosphere": "Ar"})  # fmt: skip
    base = ("sample", "status", "-c", NAME, "R9", "failed", "--db", db)
    code, out, err = cli(capsys, *base, "--note", "cracked", "--by", "eve", "--if-status", "made")
    assert code == 0 and "R9 is now failed" in out, err
    code, out, err = cli(capsys, *base, "--note", "chipped", "--by", "dave", "--if-status", "made")
    assert code == 2 and out == "", out
    at = Store(db).sample(NAME, "R9").status_changed_at.astimezone(UTC)
    assert err.strip() == (
        f"error: sample 'R9' is failed (note 'cracked'; set by eve at {at:%Y-%m-%d %H:%M} UTC; "
        f"changed since it was shown made): nothing changed; `fluxtrap sample list -c '{NAME}' "
        f"--db {db}` lists it"
    )
    assert (Store(db).sample(NAME, "R9").status_note) == "cracked"
    code, _, err = cli(capsys, *base, "--if-status", "broken")
    assert code == 2 and "'broken' is not a sample status: made or failed" in err
    code, out, err = cli(capsys, "sample", "status", "-c", NAME, "R9", "made", "--db", db,
                         "--if-status", "failed")  # fmt: skip
    assert code == 0 and "R9 is now made" in out, err
