"""The ``store`` fixture: a copy of the session's migrated template, filled by the test alone.

Each store was migrated from empty for every test (0.15 s on SQLite, 0.4 s on PostgreSQL; 79
tests on each); it is now a copy of one migrated database (``store_url`` in conftest.py). These check that
the copy is at head, holds only what this test's fixture made (the example campaign, created
now), and that writing to it reaches neither the template nor another test's store.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url, text

from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

SEEN: dict[str, str] = {}  # dialect -> the store URL of the test before


@pytest.fixture
def before() -> datetime:
    """The time before the ``store`` fixture ran (requested ahead of it)."""
    now = datetime.now(UTC)
    time.sleep(0.01)
    return now


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("campaigns", "samples", "suggestions", "users")
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("round_", [1, 2])
def test_a_store_is_a_fresh_copy_at_head_with_only_this_tests_campaign(
    before, store, store_url, request, round_
):
    assert store.url == Store(store_url).url
    with store.engine.connect() as conn:
        created = conn.execute(text("SELECT created_at FROM campaigns")).scalars().all()
        heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(created) == 1
    at = created[0] if isinstance(created[0], datetime) else datetime.fromisoformat(created[0])
    at = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite: naive UTC text
    assert before <= at <= datetime.now(UTC)  # made by this test's fixture, not copied
    assert _counts(store_url) == {"campaigns": 1, "samples": 0, "suggestions": 0, "users": 0}
    head = ScriptDirectory.from_config(alembic_config(store_url)).get_current_head()
    assert heads == [head]
    dialect = store.engine.dialect.name
    template = (
        f"sqlite:///{request.getfixturevalue('sqlite_template')}"
        if dialect == "sqlite"
        else make_url(store_url)
        .set(database=request.getfixturevalue("postgres_template"))
        .render_as_string(hide_password=False)
    )
    assert _counts(template) == {"campaigns": 0, "samples": 0, "suggestions": 0, "users": 0}
    assert SEEN.get(dialect) != store_url  # each test its own database
    SEEN[dialect] = store_url
