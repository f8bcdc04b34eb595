"""Shared fixtures: where the shared data sets live, and store URLs (SQLite always, PostgreSQL in CI)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.cli import run
from fluxtrap.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
EXAMPLES = REPO / "examples"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `fluxtrap ARGS` in this process: exit code, stdout, stderr."""
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the repo; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


def _postgres_url() -> str:
    """A fresh database on the server named by $FLUXTRAP_TEST_PG_URL (CI starts one)."""
    base = os.environ.get("FLUXTRAP_TEST_PG_URL")
    if not base:
        pytest.skip("PostgreSQL: set FLUXTRAP_TEST_PG_URL (CI's .ci/run starts a server)")
    from sqlalchemy import create_engine, text

    name = f"fluxtrap_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    """A URL of an empty store: a SQLite file, and a PostgreSQL database when one is available."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return _postgres_url()


@pytest.fixture
def store(store_url) -> Store:
    """A store holding the example campaign (SQLite, and PostgreSQL where available)."""
    s = Store(store_url)
    s.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    return s
