import pytest

from ...conftest import DATA


@pytest.fixture
def mpms_file():
    """Path of a real instrument file in tests/data/mpms."""
    return lambda name: DATA / "mpms" / name
