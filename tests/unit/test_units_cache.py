"""pint's parsed definitions cached on disk: safe when processes start at once, or cannot write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).parents[2] / "src")
READ = "from fluxtrap.units import parse, ureg; print(parse('30 mm', 'length'), ureg.cache_folder)"


def start(cache_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC, "FLUXTRAP_CACHE_DIR": str(cache_dir)}
    return subprocess.Popen(
        [sys.executable, "-c", READ], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_processes_starting_at_once_share_one_complete_cache(tmp_path):
    procs = [start(tmp_path) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e.decode() for _, e in outs]
    assert all(o.split()[0] == b"0.03" for o, _ in outs)
    folders = list(tmp_path.iterdir())  # no half-filled staging folder is left behind
    assert len(folders) == 1 and folders[0].name.startswith("pint-")
    assert any(folders[0].glob("*.pickle"))
    # a later process reads that cache
    out, err = start(tmp_path).communicate(timeout=120)
    assert out.split() == [b"0.03", str(folders[0]).encode()], err.decode()


def test_a_cache_that_cannot_be_written_falls_back_to_parsing(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    p = start(blocked)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err.decode()
    assert out.split() == [b"0.03", b"None"]
