"""A command that writes several files (creep, jc, tc: --out and --plot) writes all of them or
none: `creep --out F --plot P` on a full disk wrote F, then failed at P."""

from __future__ import annotations

import errno
import json

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError
from fluxtrap.outputs import replacing_all

from ..conftest import cli


def _series(folder):
    t = np.geomspace(10, 2e5, 60)
    series = folder / "hall.csv"
    series.write_text(
        "time_s,B_T\n" + "\n".join(f"{a:.8g},{1.046 - 4.80e-3 * np.log(a):.10g}" for a in t) + "\n"
    )
    return series


def _disk_full(self, fname, **kwargs):  # Figure.savefig: half a figure, then ENOSPC
    with open(fname, "wb") as f:
        f.write(b"\x89PNG half")
    raise OSError(errno.ENOSPC, "No space left on device", str(fname))


def test_creep_plot_failing_writes_neither_file_and_says_so(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    series = _series(tmp_path)
    out, png = tmp_path / "creep.json", tmp_path / "creep.png"
    monkeypatch.setattr(Figure, "savefig", _disk_full)
    code, text, err = cli(capsys, "creep", str(series), "--out", str(out), "--plot", str(png))
    assert code == 2, err
    assert "creep.png: cannot write it (No space left on device)" in err
    assert f"none of {out}, {png} was written" in err
    assert ".partial" not in err and "wrote" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.csv"]  # no hidden folder left


def test_creep_plot_failing_leaves_both_old_files(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    series = _series(tmp_path)
    out, png = tmp_path / "creep.json", tmp_path / "creep.png"
    out.write_text("the last fit")
    png.write_bytes(b"the last figure")
    monkeypatch.setattr(Figure, "savefig", _disk_full)
    args = ("--out", str(out), "--plot", str(png), "--overwrite")
    code, _, err = cli(capsys, "creep", str(series), *args)
    assert code == 2 and "none of" in err
    assert out.read_text() == "the last fit" and png.read_bytes() == b"the last figure"
    monkeypatch.undo()  # a disk with room: both replaced
    code, text, err = cli(capsys, "creep", str(series), *args)
    assert code == 0, err
    assert json.loads(out.read_text())["b_T"] == pytest.approx(4.80e-3, rel=1e-6)
    assert png.read_bytes()[:4] == b"\x89PNG" and f"wrote {out}" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["creep.json", "creep.png", "hall.csv"]


def test_tc_json_failing_leaves_no_figure(tmp_path, capsys, monkeypatch):
    """tc drew its figure, then wrote its JSON: a full disk at the JSON left the figure."""
    from pathlib import Path

    t = np.linspace(5, 60, 221)
    m_emu = -1e-2 / (1 + np.exp((t - 38) / 0.5)) + 1e-5
    csv = tmp_path / "mt.csv"
    csv.write_text(
        "T (K),H (Oe),m (emu)\n"
        + "\n".join(f"{a:.6g},10,{b:.8g}" for a, b in zip(t, m_emu, strict=True))
    )
    write_text = Path.write_text

    def disk_full(self, text, *args, **kwargs):
        if self.name.startswith(".tc.json") or self.name == "tc.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return write_text(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", disk_full)
    out, png = tmp_path / "tc.json", tmp_path / "tc.png"
    code, _, err = cli(capsys, "tc", str(csv), "--out", str(out), "--plot", str(png))
    assert code == 2 and "tc.json: cannot write it (No space left on device)" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mt.csv"]


def test_files_in_two_folders_move_in_together_or_not_at_all(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = tmp_path / "a" / "x.json", tmp_path / "b" / "y.csv"
    full = r"y\.csv: cannot write it .*none of .*x\.json"
    with pytest.raises(FluxtrapError, match=full), replacing_all([one, None, two]) as staged:
        p1, skipped, p2 = staged
        assert skipped is None and p1.name == "x.json" and p2.name == "y.csv"
        p1.write_text("{}")
        raise OSError(errno.ENOSPC, "No space left on device", str(p2))
    assert [list(d.iterdir()) for d in (tmp_path / "a", tmp_path / "b")] == [[], []]
    with replacing_all([one, two]) as (p1, p2):
        p1.write_text("{}")
        p2.write_text("x")
    assert one.read_text() == "{}" and two.read_text() == "x"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b", "x.json", "y.csv"]


def test_an_error_of_the_command_itself_passes_unchanged(tmp_path):
    from fluxtrap.errors import AnalysisError

    with (
        pytest.raises(AnalysisError, match="^no fit$"),
        replacing_all([tmp_path / "x.json"]) as (p,),
    ):
        p.write_text("{")
        raise AnalysisError("no fit")
    assert list(tmp_path.iterdir()) == []


def test_a_long_wrote_line_is_one_line_for_a_script(tmp_path, capsys):
    """Piped or redirected, rich broke lines at 80 columns: "wrote <path>" of a long path came
    out as two lines, the path cut in two for a script reading it."""
    series = _series(tmp_path)
    folder = tmp_path / ("a_rather_long_folder_name_" * 3)
    folder.mkdir()
    out = folder / "creep_result_file.json"
    code, text, err = cli(capsys, "creep", str(series), "--out", str(out))
    assert code == 0, err
    assert f"wrote {out}\n" in text and len(f"wrote {out}") > 100
