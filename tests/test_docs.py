"""The documentation site (mkdocs.yml) builds offline with warnings as errors: the README, the
architecture, one tutorial per workflow and the API reference from the docstrings."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import REPO

TUTORIALS = ("campaign", "measurement", "simulation", "dashboard", "sweep")


def test_the_docs_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "make demo" in (site / "index.html").read_text()  # the README is the home page
    for name in TUTORIALS:
        assert (site / "tutorials" / name / "index.html").is_file()
    api = (site / "reference" / "store" / "index.html").read_text()
    assert "Create a user whose API" in api  # Store.add_user's docstring
