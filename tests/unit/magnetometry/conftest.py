from pathlib import Path

import pytest

# <repo>/../shared/data/mpms (never copied into the repo)
MPMS = Path(__file__).parents[3] / ".." / "shared" / "data" / "mpms"


@pytest.fixture
def mpms_file():
    """Path of a real instrument file; skips cleanly when the shared data are absent."""

    def get(name: str) -> Path:
        path = MPMS / name
        if not path.is_file():
            pytest.skip(f"shared data absent: {path}")
        return path

    return get
