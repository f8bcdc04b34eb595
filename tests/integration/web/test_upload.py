"""Measurement upload: the server derives Jc(B) and the objective, atomically, or writes nothing."""

from __future__ import annotations

import itertools
from html import unescape

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fluxtrap.units import estimate_text, to_A_cm2
from fluxtrap.web import create_app
from fluxtrap.web.auth import COOKIE
from fluxtrap.web.limits import Limits

from ...conftest import DATA
from .conftest import B0_T, EDGES, JC0_A_M2, NAME, Lab, auth, kim_jc, login
from .test_api import C, P, snapshot


@pytest.fixture
def sample(lab):
    lab.store.add_sample(NAME, "B1", P, recorded_by="alice")
    return lab


def upload(lab, content: bytes, user="bob", label="B1", filename="B1_MH_5K.dat", **form):
    return lab.client.post(
        f"{C}/samples/{label}/measurements",
        headers=auth(user),
        data=EDGES | form,
        files={"file": (filename, content)},
    )


def test_upload_derives_jc_and_the_objective(sample, loop_file):
    lab = sample
    r = upload(lab, loop_file)
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["measurement"]["recorded_by"] == "bob"
    assert up["measurement"]["temperature_K"] == pytest.approx(5.0)
    assert up["measurement"]["size"] == len(loop_file)
    assert {c["kind"] for c in up["curves"]} == {"jc", "loop_width"}
    # the synthetic loop was made from a known Kim Jc(B): extended Bean must give it back (5%)
    assert up["objectives"]["jc_3T"] == pytest.approx(kim_jc(3.0), rel=0.05)
    assert lab.store.sample(NAME, "B1").objectives == up["objectives"]
    # with its 1-sigma (the moment noise through the Bean formula), stored and served
    (err,) = up["objective_errors"].values()
    assert 0 < err < 0.05 * up["objectives"]["jc_3T"]
    got = lab.client.get(f"{C}/samples/B1", headers=auth("rita")).json()
    assert got["objective_errors"] == up["objective_errors"] == {"jc_3T": pytest.approx(err)}
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))  # the dashboard's table too
    row = lab.client.get(f"/campaigns/{NAME}").text.split("<td>B1")[1].split("</tr>")[0]
    assert estimate_text(to_A_cm2(up["objectives"]["jc_3T"]), to_A_cm2(err)) in row
    lab.client.cookies.clear()
    mid = up["measurement"]["id"]
    listed = lab.client.get(f"{C}/samples/B1/measurements", headers=auth("rita")).json()
    assert [m["id"] for m in listed] == [mid]
    curves = lab.client.get(f"/api/measurements/{mid}/curves", headers=auth("rita")).json()
    assert [c["kind"] for c in curves] == [c["kind"] for c in up["curves"]]
    jc = lab.client.get(f"{C}/jc?sample=B1", headers=auth("rita")).json()
    cols = jc["B1"]["columns"]
    b = cols["B_T"][len(cols["B_T"]) // 2]
    j = cols["Jc_A_m2"][len(cols["B_T"]) // 2]
    assert j == pytest.approx(kim_jc(b), rel=0.05)
    assert lab.client.get(f"{C}/jc", headers=auth("rita")).json().keys() == {"B1"}


def test_an_upload_keeps_a_stored_objective_value_unless_replace(sample, loop_file):
    """A second file replaced the sample's jc_3T without a word, where PUT .../objectives is a
    422 unless replace: the upload is refused the same way, naming both values, and nothing is
    stored; with the form field replace=true it is stored."""
    lab = sample
    first = upload(lab, loop_file, filename="first.dat")
    assert first.status_code == 201, first.text
    before = snapshot(lab)
    r = upload(lab, loop_file, filename="again.dat")
    assert r.status_code == 422, r.text
    (value,), (err,) = (
        first.json()["objectives"].values(),
        first.json()["objective_errors"].values(),
    )
    shown = estimate_text(to_A_cm2(value), to_A_cm2(err))
    assert r.json()["detail"].startswith(
        f"sample 'B1' already has jc_3T = {shown} A/cm², 'again.dat' gives {shown} A/cm²: "
        "nothing written; ask to replace it"
    ), r.json()
    assert snapshot(lab) == before
    r = upload(lab, loop_file, filename="again.dat", replace="true")
    assert r.status_code == 201, r.text
    assert r.json()["objectives"] == first.json()["objectives"]
    listed = [x.filename for x in lab.store.measurements(NAME, "B1", with_content=False)]
    assert listed == ["first.dat", "again.dat"]


@pytest.mark.parametrize(
    "content, form, says",
    [
        (b"this is not a magnetometer file\n", {}, "B1_MH_5K.dat"),
        (b"", {}, "empty"),
        (None, {"a": "1"}, "form field a"),
        (None, {"a": "1 T"}, "form field a"),
        (None, {"a": "3 mm"}, "a must be the shorter edge"),
        (None, {"temperature": "300 K"}, "300"),
    ],
)
def test_malformed_upload_is_422_and_leaves_nothing_half_written(
    sample, loop_file, content, form, says
):
    lab = sample
    before = snapshot(lab)
    r = upload(lab, loop_file if content is None else content, **form)
    assert r.status_code == 422, r.text
    assert says in r.json()["detail"]
    assert snapshot(lab) == before
    assert lab.store.measurements(NAME, "B1") == []


@pytest.mark.parametrize(
    ("files", "data", "says"),
    [
        ("two", EDGES, "form field 'file' was sent 2 times: one file per upload"),
        ("one", EDGES | {"a": ["1 mm", "1.5 mm"]}, "form field 'a' was sent 2 times: give it once"),
    ],
)
def test_a_form_field_sent_twice_is_422_and_nothing_is_stored(sample, loop_file, files, data, says):
    """Two files in one field (or two values of an edge) were taken as the last one, silently."""
    lab = sample
    before = snapshot(lab)
    sent = [("file", ("B1_MH_5K.dat", loop_file))]
    if files == "two":
        sent.append(("file", ("B1_other.dat", loop_file)))
    r = lab.client.post(f"{C}/samples/B1/measurements", headers=auth("bob"), data=data, files=sent)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == says
    assert snapshot(lab) == before and lab.store.measurements(NAME, "B1") == []


def test_an_unknown_form_field_is_422_and_nothing_is_stored(sample, loop_file):
    """A misspelt ``temperature`` was ignored: the file's first loop was analysed and stored as
    if it were the one asked for."""
    before = snapshot(sample)
    r = upload(sample, loop_file, temprature="20 K")
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(
        "unknown form field(s) 'temprature' (did you mean 'temperature'?) for POST "
        "/api/campaigns/{campaign}/samples/{label}/measurements; it takes a, b, c, diameter, "
        "file, force, kind, replace, shape, temperature, thickness"
    )
    assert snapshot(sample) == before


def test_a_csv_loop_without_moment_errors_is_answered_and_its_curves_read_back(sample):
    """A plain CSV loop has no moment error column, so its loop width's dm_err_Am2 is stored as
    null (unknown): the upload was stored and then answered with a 500 (the answer's columns
    took numbers only), and so was every later GET of the measurement's curves."""
    h_oe = np.concatenate(
        [np.linspace(0, 7e4, 100), np.linspace(7e4, -7e4, 200), np.linspace(-7e4, 7e4, 200)]
    )
    down = np.sign(np.gradient(h_oe)) < 0  # the descending branch lies above: it shields
    m_emu = -np.tanh(h_oe / 1e4) * 1e-2 + np.where(down, 1e-3, -1e-3) * np.exp(-abs(h_oe) / 3e4)
    rows = "".join(f"{h:.3f},{m:.6e},5\n" for h, m in zip(h_oe, m_emu, strict=True))
    content = f"Magnetic Field (Oe),Moment (emu),Temperature (K)\n{rows}".encode()
    r = upload(sample, content, filename="B1_MH_5K.csv")
    assert r.status_code == 201, r.text[:500]
    width = next(c for c in r.json()["curves"] if c["kind"] == "loop_width")
    assert set(width["columns"]["dm_err_Am2"]) == {None}
    mid = r.json()["measurement"]["id"]
    r = sample.client.get(f"/api/measurements/{mid}/curves", headers=auth("rita"))
    assert r.status_code == 200 and len(r.json()) == 2, r.text[:500]


def test_an_upload_says_why_an_objective_was_not_set(sample):
    """A loop at 20 K for an objective at 5 K sets no objective: the CLI says '... not set:
    measured at 20 K, objective at 5 K', the web answer said nothing (objectives {}, no warning)."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    table = synthetic_mh_loop(kim(3e9, 0.6), 1e-3, 2e-3, 0.5e-3, temperature_K=20.0)
    buf = io.StringIO()
    write_qd_dat(table, buf)
    r = upload(sample, buf.getvalue().encode())
    assert r.status_code == 201, r.text[:500]
    assert r.json()["objectives"] == {}
    assert r.json()["not_set"] == {"jc_3T": "measured at 20 K, objective at 5 K"}


def test_truncated_file_writes_nothing(sample, loop_file):
    lab = sample
    before = snapshot(lab)
    r = upload(lab, loop_file[: len(loop_file) // 3])
    assert r.status_code == 422, r.text
    assert snapshot(lab) == before


def test_upload_to_unknown_sample_or_campaign_is_404(sample, loop_file):
    assert upload(sample, loop_file, label="B9").status_code == 404
    r = sample.client.post(
        "/api/campaigns/nope/samples/B1/measurements",
        headers=auth("bob"),
        data=EDGES,
        files={"file": ("x.dat", loop_file)},
    )
    assert r.status_code == 404


def test_too_large_upload_is_413(sample, loop_file):
    with TestClient(create_app(sample.store, limits=Limits(max_upload=1000))) as client:
        r = upload(Lab(sample.store, client), loop_file)
    assert r.status_code == 413 and "larger than 1000 bytes" in r.json()["detail"]
    assert sample.store.measurements(NAME, "B1") == []


def test_upload_needs_the_file_and_edges(sample):
    r = sample.client.post(f"{C}/samples/B1/measurements", headers=auth("bob"), data=EDGES)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]


def test_a_file_part_without_a_file_name_is_said_so_without_echoing_it(sample, loop_file):
    """A form sent with no file chosen has a file part with an empty file name: Starlette reads it
    as text, and FastAPI's 'Expected UploadFile' echoed the start of the content."""
    r = upload(sample, loop_file, filename="")
    (error,) = r.json()["detail"]
    assert r.status_code == 422 and error["loc"] == ["body", "file"], r.text
    assert error["msg"].startswith("no file: the part has no file name") and "input" not in error
    assert sample.store.measurements(NAME, "B1") == []


def test_a_file_name_with_a_bidi_override_is_refused_before_the_analysis_quotes_it(sample):
    """An upload named "a<U+202E>gpj.dat" that the analysis could not read was answered
    "a<U+202E>gpj.dat: not a format fluxtrap reads": the name, quoted raw, reordered the message
    shown. Its name is checked first, quoted escaped, and nothing is stored."""
    r = upload(sample, b"not a loop\n", filename="a\u202egpj.dat")
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("measurement file name 'a\\u202egpj.dat'") and "U+202E" in detail
    assert "\u202e" not in detail and sample.store.measurements(NAME, "B1") == []


@pytest.mark.parametrize("field", ["kind", "a", "temperature", "force"])
def test_a_text_field_sent_as_a_file_is_said_so_without_echoing_the_upload(
    sample, loop_file, field
):
    """FastAPI's 422 quoted the UploadFile back as the input: its private attributes (_max_size,
    _rolled, _TemporaryFileArgs) and part headers, and not that the field came as a file."""
    data = {k: v for k, v in EDGES.items() if k != field}
    files = {"file": ("B1_MH_5K.dat", loop_file), field: ("f.txt", b"1 mm")}
    r = sample.client.post(
        f"{C}/samples/B1/measurements", headers=auth("bob"), data=data, files=files
    )
    (error,) = r.json()["detail"]
    assert r.status_code == 422 and error["loc"] == ["body", field], r.text
    assert error["msg"] == "a file part ('f.txt'): send it as a text field", r.text
    assert "input" not in error and "_max_size" not in r.text
    assert sample.store.measurements(NAME, "B1") == []


def test_unreadable_quantity_is_422_not_500(sample, loop_file):
    """Texts that make pint's parser raise outside its own error family (found by fuzzing)."""
    for bad in (")", ":"):
        r = upload(sample, loop_file, a=bad)
        assert r.status_code == 422 and "form field a" in r.json()["detail"]
    assert sample.store.measurements(NAME, "B1") == []


def test_loop_that_does_not_shield_is_422_unless_forced_and_then_recorded(sample):
    """The CoCp2 molecular magnet (real MPMS3 file): its virgin branch rises with the field. As
    ``measure add``: refused with nothing written; with ``force`` stored, the curve saying so."""
    lab = sample
    content = (DATA / "mpms" / "mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat").read_bytes()
    before = snapshot(lab)
    r = upload(lab, content, filename="CoCp2.dat")
    assert r.status_code == 422, r.text
    assert "not a superconductor's loop" in r.json()["detail"]
    # the form's own words for forcing it (it had named --force alone)
    assert "'store even if the loop does not shield' box" in r.json()["detail"]
    assert snapshot(lab) == before
    r = upload(lab, content, filename="CoCp2.dat", force="true")
    assert r.status_code == 201, r.text
    (jc,) = [c for c in r.json()["curves"] if c["kind"] == "jc"]
    assert jc["settings"]["forced"] is True
    (note,) = jc["settings"]["warnings"]
    assert "moment rises with field on the virgin branch" in note
    (stored,) = lab.store.measurements(NAME, "B1")
    assert {c.kind: c for c in lab.store.curves(stored.id)}["jc"].settings["forced"] is True


def test_an_uploads_reader_notes_are_said_with_its_result(sample, loop_file):
    """The loop exported as Origin does (units row, comments row) by a writer that left NUL
    padding: the reader's notes (ReadNoteWarning) had been lost on the server, the upload's
    answer silent; now its warnings, which the upload form shows, name both, and so does the
    stored record's metadata."""
    from fluxtrap.magnetometry.readers import read

    lab = sample
    table = read(loop_file, filename="loop.dat")
    rows = zip(table.field_T * 1e4, table.moment_Am2 * 1e3, table.temperature_K, strict=True)
    text = "Magnetic Field,Moment,Temperature\r\nOe,emu,K\r\nsample B1,,\r\n"
    text += "".join(f"{h:.10g},{m:.10g},{t:.10g}\r\n" for h, m, t in rows)
    r = upload(lab, text.encode() + b"\0" * 512, filename="B1_origin.csv")
    assert r.status_code == 201, r.text
    said = [w for w in r.json()["warnings"] if w.startswith("B1_origin.csv: ")]
    assert len(said) == 2, r.json()["warnings"]
    assert "left out 512 NUL characters" in said[0]
    assert "line 3 read as a row of comments under the units" in said[1]
    (stored,) = lab.store.measurements(NAME, "B1")
    assert stored.metadata["read_notes"] == said and stored.metadata["read_notes_count"] == 2


def test_an_mt_curve_upload_needs_no_edges_and_fills_the_tc_objective(sample, tmp_path):
    """kind accepted only mh_loop, and a, b, c were required: a Tc could not be uploaded. Edges
    sent with an M(T) curve were ignored without a word; they are a 422 naming them."""
    from ..test_magnetometry_cli import transition_mt_file

    lab = sample
    tc_campaign(lab)
    content = transition_mt_file(tmp_path).read_bytes()
    r = lab.client.post(
        "/api/campaigns/tc/samples/T1/measurements",
        headers=auth("bob"),
        data={"kind": "mt_curve", "a": "", "b": "", "c": ""},  # what the dashboard's form sends
        files={"file": ("zfc_fc.dat", content)},
    )
    assert r.status_code == 201, r.text
    assert r.json()["objectives"]["tc"] == pytest.approx(33.80, abs=0.1)  # 36 K - ln 9 x 1 K
    assert [c["kind"] for c in r.json()["curves"]] == ["tc_fit", "tc_fit"]
    # a loop without its edges, a temperature on an M(T) curve: 422, nothing written
    for form, message in (
        ({"kind": "mh_loop"}, "an M(H) loop needs the sample's edges: a, b and c"),
        ({"kind": "mt_curve", "temperature": "5 K"}, "apply to M(H) loops"),
        ({"kind": "mt_curve", "a": "1 mm"}, "form field(s) a: the sample's edges apply to M(H)"),
        ({"kind": "mt_curve"} | EDGES, "form field(s) a, b, c: the sample's edges apply to"),
    ):
        r = lab.client.post(
            "/api/campaigns/tc/samples/T1/measurements",
            headers=auth("bob"),
            data=form,
            files={"file": ("zfc_fc.dat", content)},
        )
        assert r.status_code == 422 and message in r.json()["detail"], r.text
    assert len(lab.store.measurements("tc", "T1", with_content=False)) == 1


def two_phase_mt_file(path):
    """A SYNTHETIC M(T) sweep (10 Oe, 5-60 K): the main step at Tm = 38 K and a minority phase's
    (a fifth of it) at 45 K, which the one-step fit leaves out (a TcStructureWarning)."""
    from fluxtrap.magnetometry.synthetic import write_qd_dat
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    t = np.linspace(5, 60, 221)
    m = -1e-5 / (1 + np.exp((t - 38) / 0.5)) - 0.2e-5 / (1 + np.exp((t - 45) / 0.5))
    m += 2e-8 * t + 1e-7 + np.random.default_rng(0).normal(0, 1e-8, t.size)
    meta = TableMetadata(path.name, "MPMS3", "VSM")
    write_qd_dat(
        MeasurementTable.from_arrays(np.full(t.size, 1e-3), m, meta, temperature_K=t), path
    )
    return path


def tc_campaign(lab) -> None:
    from fluxtrap.campaign import CampaignSpec

    spec = {
        "name": "tc",
        "parameters": [{"name": "T", "unit": "degC", "low": 500, "high": 800}],
        "objectives": [{"name": "tc", "quantity": "tc"}],
    }
    lab.store.create_campaign(CampaignSpec.from_dict(spec))
    lab.store.add_sample("tc", "T1", {"T": 600}, recorded_by="alice")


def upload_mt(lab, name: str, content: bytes, **form):
    """Bob's upload of an M(T) file ``name`` to sample T1 of ``tc_campaign``."""
    return lab.client.post(
        "/api/campaigns/tc/samples/T1/measurements",
        headers=auth("bob"),
        data={"kind": "mt_curve"} | form,
        files={"file": (name, content)},
    )


def test_a_second_transition_in_an_mt_curve_is_said_on_upload_and_on_the_page(lab, tmp_path):
    """The Tc fit's TcStructureWarning (a minority phase's step the one-step fit misses; Tc read
    off the data, the step included) was stored in the curve's settings only: the upload's answer and the campaign page
    said nothing of it. Both now say it, naming the file (a file name is the uploader's text:
    escaped on the page), and a clean file says nothing."""
    from ..test_magnetometry_cli import transition_mt_file

    tc_campaign(lab)
    name = "<img src=x onerror=alert(1)>.dat"
    content = two_phase_mt_file(tmp_path / "two.dat").read_bytes()
    r = upload_mt(lab, name, content)
    assert r.status_code == 201, r.text
    (said, read), tc = r.json()["warnings"], r.json()["objectives"]["tc"]
    assert said.startswith(f"{name}: sweep: ") and "a second transition (another phase)?" in said
    assert said.endswith("Tc is read off the data, these points included")  # not "left out"
    assert "read off the data" in read  # the one step's fit misses it at the crossing
    (fit,) = r.json()["curves"]
    assert fit["settings"]["warnings"] == [said, read]  # as stored
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    html = lab.client.get("/campaigns/tc").text
    shown = html.split('id="tc-notes"')[1].split("</ul>")[0]
    assert "<img" not in shown and f"<strong>T1</strong>: {said}" in unescape(shown)
    row = html.split("<td>T1")[1].split("</tr>")[0]
    shown = estimate_text(tc, r.json()["objective_errors"]["tc"])
    assert shown in row and "Jc(B)" not in row  # its Tc; no link to a Jc(B) it lacks

    clean = transition_mt_file(tmp_path).read_bytes()  # a newer, clean file: nothing to say
    r = upload_mt(lab, "clean.dat", clean, replace="true")  # its tc replaces the first's
    assert r.status_code == 201 and r.json()["warnings"] == [], r.text
    assert 'id="tc-notes"' not in lab.client.get("/campaigns/tc").text


def test_the_measurement_list_says_what_each_analysis_warned_about(lab, tmp_path):
    """GET .../measurements carried no warnings: what an upload's answer said (a second
    transition) was lost to anyone listing the sample's files later. Each measurement now
    carries its warnings, as the upload answered them, over HTTP."""
    from ..test_magnetometry_cli import transition_mt_file

    tc_campaign(lab)
    said = []
    for name, content in (
        ("two.dat", two_phase_mt_file(tmp_path / "two.dat").read_bytes()),
        ("clean.dat", transition_mt_file(tmp_path).read_bytes()),
    ):
        r = upload_mt(lab, name, content, replace="true")
        assert r.status_code == 201, r.text
        assert r.json()["measurement"]["warnings"] == r.json()["warnings"]
        said.append(r.json()["warnings"])
    assert len(said[0]) == 2 and said[1] == []
    r = lab.client.get("/api/campaigns/tc/samples/T1/measurements", headers=auth("rita"))
    assert r.status_code == 200, r.text
    assert [(x["filename"], x["warnings"]) for x in r.json()] == [
        ("two.dat", said[0]),
        ("clean.dat", []),
    ]
    r = lab.client.get("/openapi.json")
    listed = r.json()["components"]["schemas"]["Measurement"]
    assert "warnings" in listed["required"]


def test_the_campaign_page_reads_no_curve_columns_and_a_bounded_number_of_queries(lab):
    """The campaign page read each sample's newest M(T) curves whole (every sweep's columns:
    one query and megabytes per sample) to list their warnings. It reads the curves' settings
    in one query now: the number of SQL statements reading curves does not grow with the
    samples, and none reads curves.columns."""
    from sqlalchemy import event

    from fluxtrap.store import CurveData

    tc_campaign(lab)
    columns = {"T_K": [5.0, 6.0], "m_Am2": [0.0, 0.0], "fit_Am2": [0.0, 0.0]}

    files = itertools.count()

    def measure(label: str) -> None:
        settings = {"tc_K": 38.0, "warnings": [f"{label}.dat: sweep: a second step"]}
        curve = CurveData("tc_fit", "smooth_step_fit", settings, columns)
        raw = f"{label} {next(files)}".encode()  # each file its own bytes
        lab.store.add_measurement("tc", label, "mt_curve", f"{label}.dat", raw, curves=[curve])

    statements: list[str] = []
    event.listen(lab.store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    counts = []
    for n in (1, 12):
        for i in range(len(lab.store.samples("tc")), n):
            lab.store.add_sample("tc", f"T{i + 1}", {"T": 600})
        for i in range(n):
            measure(f"T{i + 1}")  # each sample's newest M(T) file
        statements.clear()
        html = lab.client.get("/campaigns/tc").text
        shown = unescape(html.split('id="tc-notes"')[1].split("</ul>")[0])
        assert all(f"<strong>T{i + 1}</strong>: T{i + 1}.dat: sweep" in shown for i in range(n))
        assert not [q for q in statements if "curves.columns" in q], statements
        counts.append(len([q for q in statements if "FROM curves" in q]))  # not the job queue's
    assert counts[0] == counts[1] == 1, counts


def test_the_jc_page_reads_each_samples_newest_jc_curve_only(lab):
    """The Jc(B) page read every curve of every measurement whole (older loops, every M(T)
    sweep: one query and its columns per file) to keep each sample's newest Jc(B). It reads the
    curves' ids and kinds, then those curves only: two statements on curves for 1 and for 6
    samples, and the one reading columns reads the newest Jc(B) curves."""
    from sqlalchemy import event

    from fluxtrap.magnetometry.pipeline import JC_CURVE, TC_CURVE
    from fluxtrap.store import CurveData

    jc = {"B_T": [0.0, 1.0, 2.0], "Jc_A_m2": [3e9, 2e9, 1e9]}
    sweep = {"T_K": [5.0, 6.0], "m_Am2": [0.0, 0.0], "fit_Am2": [0.0, 0.0]}
    newest: set[int] = set()

    def measure(label: str) -> None:
        store = lab.store
        for i in range(2):  # an older loop, then the newest
            meas = store.add_measurement(
                NAME, label, "mh_loop", f"{label}_{i}.dat", b"x%d" % i,
                curves=[CurveData(JC_CURVE, "extended_bean", {}, jc)],
            )  # fmt: skip
        newest.add(store.curves(meas.id)[0].id)
        store.add_measurement(
            NAME, label, "mt_curve", f"{label}_mt.dat", b"x",
            curves=[CurveData(TC_CURVE, "smooth_step_fit", {}, sweep)] * 2,
        )  # fmt: skip

    statements: list[tuple[str, object]] = []
    event.listen(
        lab.store.engine, "before_cursor_execute", lambda *a: statements.append((a[2], a[3]))
    )
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    counts = []
    for n in (1, 6):
        for i in range(len(lab.store.samples(NAME)), n):
            lab.store.add_sample(NAME, f"S{i + 1}", P)
            measure(f"S{i + 1}")
        statements.clear()
        r = lab.client.get(f"{C.removeprefix('/api')}/jc")
        assert r.status_code == 200 and all(f"S{i + 1}" in r.text for i in range(n))
        read = [params for q, params in statements if "curves.columns" in q]
        assert len(read) == 1 and set(read[0]) == newest, (read, newest)
        counts.append(len([q for q, _ in statements if "FROM curves" in q]))
    assert counts[0] == counts[1] == 2, counts  # ids and kinds, then the chosen curves


def test_a_cylinders_upload_reads_its_jc_and_keeps_its_shape(sample):
    """A disc (2 mm diameter, 0.5 mm thick) uploaded with shape cylinder, diameter and
    thickness: the objective within 5 % of the generator's Kim truth (as a 2 x 2 x 0.5 mm bar
    it read 21 % low), the shape stored; a bar's edges with a cylinder, a thickness missing (named)
    or without its unit, a 422."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    lab = sample
    table = synthetic_mh_loop(
        kim(JC0_A_M2, B0_T), 2e-3, 2e-3, 0.5e-3, shape="cylinder", n_points=81, noise_emu=1e-4
    )
    buf = io.StringIO()
    write_qd_dat(table, buf)
    disc = {"shape": "cylinder", "diameter": "2 mm", "thickness": "0.5 mm"}
    for form, message in (
        ({**disc, "a": "2 mm"}, "form field(s) a: a cylinder is given by diameter, thickness"),
        # it had said "a, b and c" for a cylinder
        (
            {"shape": "cylinder", "diameter": "2 mm"},
            "an M(H) loop needs the sample's edges: diameter and thickness (thickness missing) "
            "of the cylinder, each a length with its unit",
        ),
        ({**disc, "thickness": "0.5"}, "form field thickness"),
    ):
        r = lab.client.post(
            f"{C}/samples/B1/measurements",
            headers=auth("bob"),
            data=form,
            files={"file": ("disc.dat", buf.getvalue().encode())},
        )
        assert r.status_code == 422 and message in r.json()["detail"], r.text
    r = lab.client.post(
        f"{C}/samples/B1/measurements",
        headers=auth("bob"),
        data=disc,
        files={"file": ("disc.dat", buf.getvalue().encode())},
    )
    assert r.status_code == 201, r.text
    assert r.json()["objectives"]["jc_3T"] == pytest.approx(kim_jc(3.0), rel=0.05)
    (stored,) = lab.store.measurements(NAME, "B1")
    assert stored.metadata["sample_shape"] == "cylinder"


def test_the_shape_is_read_in_any_case_as_the_cli_reads_it(sample):
    """The form field shape "Cylinder" was a 422 (a Literal["bar", "cylinder"]) where the CLI's
    --shape Cylinder read the disc: now read alike (magnetometry.loops.shape_name), stored as
    "cylinder"; a misspelt one is a 422 listing the allowed values, as the CLI's refusal does."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    lab = sample
    table = synthetic_mh_loop(
        kim(JC0_A_M2, B0_T), 2e-3, 2e-3, 0.5e-3, shape="cylinder", n_points=81, noise_emu=1e-4
    )
    buf = io.StringIO()
    write_qd_dat(table, buf)
    disc = {"diameter": "2 mm", "thickness": "0.5 mm"}

    def post(shape):
        return lab.client.post(
            f"{C}/samples/B1/measurements",
            headers=auth("bob"),
            data={**disc, "shape": shape},
            files={"file": ("disc.dat", buf.getvalue().encode())},
        )

    r = post("Cylindre")
    assert r.status_code == 422, r.text
    assert "form field shape 'Cylindre': one of bar, cylinder (did you mean" in r.json()["detail"]
    r = post("Cylinder")
    assert r.status_code == 201, r.text
    assert r.json()["objectives"]["jc_3T"] == pytest.approx(kim_jc(3.0), rel=0.05)
    (stored,) = lab.store.measurements(NAME, "B1")
    assert stored.metadata["sample_shape"] == "cylinder"


def test_the_kind_is_read_in_any_case_as_the_cli_reads_it(sample, loop_file, tmp_path):
    """The form field kind "MH_LOOP" or "MT-Curve" was a 422 (a Literal["mh_loop", "mt_curve"])
    where the CLI's --kind read them: now read alike (magnetometry.pipeline.kind_name); a
    misspelt one is a 422 with the CLI's words and hint, before the analysis, nothing stored."""
    from ..test_magnetometry_cli import transition_mt_file

    lab = sample
    for kind in ("mh loop", "MH"):
        r = upload(lab, loop_file, kind=kind)
        assert r.status_code == 422, r.text
        assert r.json()["detail"].endswith(
            f"form field kind {kind!r}: one of mh_loop, mt_curve (did you mean 'mh_loop'?)"
        ), r.text
    assert lab.store.measurements(NAME, "B1", with_content=False) == []
    r = upload(lab, loop_file, kind="MH_LOOP")
    assert r.status_code == 201, r.text
    assert r.json()["objectives"]["jc_3T"] == pytest.approx(kim_jc(3.0), rel=0.05)
    tc_campaign(lab)
    r = upload_mt(lab, "zfc_fc.dat", transition_mt_file(tmp_path).read_bytes(), kind=" MT-Curve")
    assert r.status_code == 201, r.text
    assert [c["kind"] for c in r.json()["curves"]] == ["tc_fit", "tc_fit"]
    assert lab.store.measurements("tc", "T1", with_content=False)[0].kind == "mt_curve"


def test_a_synthetic_file_is_flagged_in_the_api_the_overview_the_jc_page_and_sample_list(
    lab, loop_file, capsys
):
    """The reader marks an MPMS3 file whose TITLE says SYNTHETIC (fluxtrap's writer, the demo's
    virtual lab): the mark was kept in the stored metadata only, so a generated loop's sample
    looked measured on every page and listing. Now the API says ``synthetic``, the overview and
    the Jc(B) page flag the sample, and `fluxtrap sample list` says it; a real file is not."""
    from ...conftest import cli

    real = (DATA / "mpms" / "mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat").read_bytes()
    for label in ("B1", "R1"):
        lab.store.add_sample(NAME, label, P)
    fake = upload(lab, loop_file, label="B1")
    true = upload(lab, real, label="R1", filename="CoCp2.dat", force="true")
    assert (fake.status_code, true.status_code) == (201, 201), (fake.text, true.text)
    assert (fake.json()["measurement"]["synthetic"], true.json()["measurement"]["synthetic"]) == (
        True, False,
    )  # fmt: skip
    listed = lab.client.get(f"{C}/samples/B1/measurements", headers=auth("rita")).json()
    assert [m["synthetic"] for m in listed] == [True]
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/campaigns/{NAME}").text
    flag = '<span class="synthetic" title="SYNTHETIC data: its file'
    b1, r1 = (page.split(f"<tr><td>{x}")[1].split("</tr>")[0] for x in ("B1", "R1"))
    assert flag in b1 and "SYNTHETIC" not in r1
    jc = lab.client.get(f"/campaigns/{NAME}/jc").text
    b1, r1 = (jc.split(f'value="{x}"')[1].split("</label>")[0] for x in ("B1", "R1"))
    assert flag in b1 and "SYNTHETIC" not in r1
    code, out, err = cli(capsys, "sample", "list", "-c", NAME, "--db", lab.store.url)
    assert code == 0, err
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert "yes, SYNTHETIC" in rows["B1"] and "SYNTHETIC" not in rows["R1"], out
