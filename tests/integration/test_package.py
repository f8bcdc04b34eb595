"""The package as a user gets it: sdist -> wheel (as `make dist` builds them), installed into a
fresh virtual environment, runs `fluxtrap demo --quick` from an empty folder, away from the source
tree. The new environment borrows this one's installed dependencies (a path line in a .pth file,
which does not run this environment's editable-install hooks) so nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from ..conftest import REPO


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_wheel_from_the_sdist_runs_the_demo_in_a_fresh_venv(tmp_path):
    tree = tmp_path / "tree"  # a copy of what the build reads: it writes build/, *.egg-info
    shutil.copytree(
        REPO / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tree / name)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(tree))
    (sdist,) = dist.glob("fluxtrap-*.tar.gz")
    (wheel,) = dist.glob("fluxtrap-*.whl")
    with zipfile.ZipFile(wheel) as whl, tarfile.open(sdist) as tar:
        in_wheel, in_sdist = set(whl.namelist()), tar.getnames()
    assert {
        "fluxtrap/examples/campaign.toml",
        "fluxtrap/examples/paper_bulk_pair.toml",
        "fluxtrap/store/migrations/versions/0001_initial_schema.py",
        "fluxtrap/web/templates/base.html",
    } <= in_wheel
    assert any(n.endswith("src/fluxtrap/examples/campaign.toml") for n in in_sdist)

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FLUXTRAP_DB")}
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        str(wheel),
        env=clean,
    )  # fmt: skip  (a source tree on PYTHONPATH would look installed)
    own = _run(str(python), "-c", "import site; print(site.getsitepackages()[0])").stdout.strip()
    (Path(own) / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    run = tmp_path / "run"
    run.mkdir()
    env = clean
    where = _run(str(python), "-c", "import fluxtrap; print(fluxtrap.__file__)", cwd=run, env=env)
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel's copy, not the tree's
    demo = _run(str(venv / "bin" / "fluxtrap"), "demo", "--quick", cwd=run, env=env)
    assert "campaign K-Ba122 SPS in a fresh store" in demo.stdout
    assert (run / "fluxtrap-demo.db").is_file()
    assert "report: demo-report/index.html" in demo.stdout
    assert (run / "demo-report" / "index.html").stat().st_size > 50_000  # figures embedded
