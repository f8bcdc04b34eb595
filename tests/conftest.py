"""Shared fixtures: the test data files, and store URLs (SQLite, and PostgreSQL: the server named
by $FLUXTRAP_TEST_PG_URL, or else a throwaway one from the pgserver wheel)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# BoTorch's fused qLogEHVI kernel (torch cpp_extension), built where this venv lives: in the
# shared ~/.cache/torch_extensions a build from another checkout's venv (other source paths)
# was rebuilt by ninja at the first qLogNEHVI of a run, 26-29 s inside whichever test came first
os.environ.setdefault("TORCH_EXTENSIONS_DIR", str(Path(sys.prefix) / "torch_extensions"))
# Its first build in a venv takes 30-50 s of one core; under -n 2 one worker built it inside its
# first multi-objective test and the other's first one waited on ninja's lock (CI at 4bf371f1:
# 34 and 23 s, 3 s each once built). So the xdist controller starts the build when the run
# starts, beside the workers' collection, and lets it finish (or stops it and frees the lock).

from fluxtrap.campaign import CampaignSpec
from fluxtrap.cli import run
from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

# CI replays a fixed set of generated examples (a red run can be rerun); locally they vary.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"  # real public files, each with its source and licence in README.md
EXAMPLES = REPO / "examples"
CHROMIUM = Path("/usr/bin/chromium")
# a child's peak RSS in bytes, its own (ru_maxrss starts at the forking parent's, pytest's)
PEAK = (
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    return int(status.split('VmHWM:')[1].split()[0]) * 1024\n"
)
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)",
)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `fluxtrap ARGS` in this process: exit code, stdout, stderr."""
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def mark_failed_with_values(store: Store, *labels: str) -> None:
    """Mark measured samples failed in SQL, as stores written before the store refused it
    (``Store.set_sample_status``: a sample with objective values is not failed)."""
    from sqlalchemy import bindparam, text

    query = text("UPDATE samples SET status = 'failed' WHERE label IN :labels")
    with store.engine.begin() as c:
        c.execute(query.bindparams(bindparam("labels", expanding=True)), {"labels": list(labels)})


FUSED_KERNEL = Path(os.environ["TORCH_EXTENSIONS_DIR"]) / "logei_fused_ext"
BUILD_KERNEL = (
    "from botorch.acquisition.multi_objective.logei import _try_load_fused_kernel; "
    "_try_load_fused_kernel()"
)
_KERNEL_BUILD = pytest.StashKey[subprocess.Popen]()


def pytest_configure(config) -> None:
    """In the xdist controller of a run with workers, build the fused qLogEHVI kernel in the
    background unless it is built."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if (FUSED_KERNEL / "logei_fused_ext.so").exists():
        return
    config.stash[_KERNEL_BUILD] = subprocess.Popen(
        [sys.executable, "-c", BUILD_KERNEL],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # stopped below as a group
    )


def pytest_unconfigure(config) -> None:
    """Stop an unfinished kernel build (a short run) and remove its folder: the lock it held
    would make the next build wait forever, and a cut object file pass for built."""
    build = config.stash.get(_KERNEL_BUILD, None)
    if build is None or build.poll() is not None:
        return
    os.killpg(build.pid, signal.SIGTERM)  # ninja passes it on to the compiler it started
    build.wait()
    shutil.rmtree(FUSED_KERNEL, ignore_errors=True)


@pytest.fixture
def shared_data() -> Path:
    """The folder of the test data files (``tests/data``, laid out as ``shared/data``)."""
    return DATA


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of a PostgreSQL server: $FLUXTRAP_TEST_PG_URL if set (CI's .ci/run starts one), else a
    throwaway server from the pgserver wheel in a temporary folder, stopped and deleted at exit."""
    url = os.environ.get("FLUXTRAP_TEST_PG_URL")
    if url:
        return url
    import pgserver

    # Not under pytest's basetemp: that is kept at mode 0700, and as root pgserver runs the server
    # as its own user, which must reach the folder.
    pgdata = Path(tempfile.mkdtemp(prefix="fluxtrap-test-pg-"))
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    return server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)


def new_database(server_url: str, template: str | None = None) -> str:
    """URL of a new database on the server at ``server_url``: empty, or a copy of ``template``
    (a database's name; ``CREATE DATABASE ... TEMPLATE``, which needs no connection open to it)."""
    from sqlalchemy import create_engine, make_url, text

    name = f"fluxtrap_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' * bool(template)))
        )
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty SQLite store migrated to head, once a session (copied for each ``store``)."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    Store(f"sqlite:///{path}").engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:
    """The name of an empty PostgreSQL database migrated to head, once a session, with no
    connection left open to it (copied for each ``store``)."""
    from sqlalchemy import make_url

    url = new_database(postgres_server)
    Store(url).engine.dispose()
    return make_url(url).database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    """A URL of an empty store: a SQLite file, and a new PostgreSQL database. For a test of the
    ``store`` fixture, the same database already migrated: a copy of the session's migrated
    template (SQLite's file by the backup API; ``CREATE DATABASE ... TEMPLATE``), as migrating
    each from empty took 0.2 s on SQLite and 0.5-1 s on PostgreSQL, against 0.05 and 0.35 s."""
    migrated = "store" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        if migrated:
            import sqlite3

            src = sqlite3.connect(request.getfixturevalue("sqlite_template"))
            dst = sqlite3.connect(path)
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
        return f"sqlite:///{path}"
    template = request.getfixturevalue("postgres_template") if migrated else None
    return new_database(request.getfixturevalue("postgres_server"), template)


@pytest.fixture
def store(store_url) -> Store:
    """A store holding the example campaign (SQLite, and PostgreSQL where available): its
    schema copied from the session's template (``store_url``), the campaign made by this test."""
    s = Store(store_url)
    s.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    return s


# -- migrations: a store at an older revision, filled without today's ORM models ---------------
OLD_TOKEN = "alice-token-0123456789"
OLD_RAW = b"[Header]\r\nINFO,synthetic\r\n[Data]\r\n1,2\r\n\x00\xff"


def _tables(conn) -> dict:
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(conn)
    return {k: v for k, v in meta.tables.items() if k != "alembic_version"}


def old_store(url: str, revision: str) -> None:
    """Migrate an empty store at ``url`` to ``revision`` and fill it through the reflected tables
    (the ORM models describe head, whose columns an old database lacks): the example campaign, a
    sample made from a used suggestion, an open suggestion, a measurement with its curve, a user
    and, from 0002 on, a failed simulation."""
    from alembic import command
    from sqlalchemy import create_engine

    command.upgrade(alembic_config(url), revision)
    t0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    params = {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0}
    engine = create_engine(url)
    with engine.begin() as conn:
        t = _tables(conn)

        def add(table: str, **values: Any) -> int:
            return conn.execute(t[table].insert().values(**values)).inserted_primary_key[0]

        spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict()
        c = add("campaigns", name=spec["name"], spec=spec, created_at=t0)
        sug = dict(campaign_id=c, acquisition_value=0.5, model_summary={"model": "gp"}, seed=7,
                   created_by="bob", created_at=t0)  # fmt: skip
        used = add("suggestions", params=params, status="used", **sug)
        add("suggestions", params={**params, "dwell_time": 10.0}, status="open", **sug)
        x = add("samples", campaign_id=c, label="B2", params=params, objectives={"jc_3T": 2.9e8},
                origin="optimizer", suggestion_id=used, recorded_by="alice", notes="SPS",
                created_at=t0, updated_at=t0)  # fmt: skip
        meas = add("measurements", sample_id=x, kind="mh_loop", temperature_K=5.0,
                   filename="B2.dat", content=OLD_RAW, sha256=hashlib.sha256(OLD_RAW).hexdigest(),
                   metadata={"temperature_K": 5.0}, recorded_by="alice", created_at=t0)  # fmt: skip
        add("curves", measurement_id=meas, kind="jc_b", method="extended_bean", settings={},
            columns={"B_T": [0.5, 3.0], "Jc_A_m2": [6e8, 2.9e8]}, created_at=t0)  # fmt: skip
        add("users", name="alice", role="writer",
            token_hash=hashlib.sha256(OLD_TOKEN.encode()).hexdigest(), created_at=t0)  # fmt: skip
        if "simulations" in t:
            add("simulations", campaign_id=c, name="old run", case={"title": "old run"},
                case_toml="title = 'old run'", case_hash="0" * 64, summary={}, probes_csv=b"",
                status="failed", error="SolverError: stopped", created_by="bob",
                created_at=t0)  # fmt: skip
    engine.dispose()


def table_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (but alembic_version) of the store at ``url``, by id."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {
            name: [dict(r._mapping) for r in conn.execute(table.select().order_by(table.c.id))]
            for name, table in _tables(conn).items()
        }
    engine.dispose()
    return rows


def assert_rows_kept(before: dict, after: dict) -> None:
    """Every table and row of ``before`` is in ``after`` with the same values (new columns aside)."""
    assert set(before) <= set(after)
    for name, rows in before.items():
        kept = [{k: r[k] for k in old} for r, old in zip(after[name], rows, strict=True)]
        assert kept == rows, name
