"""Getting data back out of a store: `measure get` (the raw file as stored, byte for byte), and a
store this user cannot write (a colleague's on a read-only share) read by the reading commands
and refused, naming it, by the writing ones."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from alembic import command

from fluxtrap.campaign import CampaignSpec
from fluxtrap.cli import run
from fluxtrap.errors import FluxtrapError, StoreError
from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

from ..conftest import DATA, EXAMPLES

NAME = "K-Ba122 SPS"
EDGES = ("--a", "0.5 mm", "--b", "1.2 mm", "--c", "2.8 mm")
RAW = DATA / "mpms" / "mpms3_vsm_mh_film-A2481_3K.dat"  # a real MPMS3 VSM loop (tests/data)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out = capsys.readouterr()
    return code, " ".join(out.out.split()), " ".join(out.err.split())


@pytest.fixture
def db(tmp_path, capsys) -> Path:
    """A store with one sample, B1, and one measurement (id 1): the real loop file, as stored
    by `measure add` (--force: a film's loop, not a bar's)."""
    path = tmp_path / "shared" / "lab.db"
    path.parent.mkdir()
    d = str(path)
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", d)[0] == 0
    params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
    assert cli(capsys, "sample", "add", "--db", d, "-c", NAME, "-l", "B1", *params)[0] == 0
    add = ("measure", "add", str(RAW), "--db", d, "-c", NAME, "-s", "B1", *EDGES, "--force")
    code, _, err = cli(capsys, *add)
    assert code == 0, err
    return path


def test_measure_get_writes_the_stored_file_byte_for_byte(tmp_path, capsys, db):
    out = tmp_path / "back.dat"
    code, text, err = cli(capsys, "measure", "get", "1", "--out", str(out), "--db", str(db))
    assert code == 0, err
    assert out.read_bytes() == RAW.read_bytes()
    digest = hashlib.sha256(RAW.read_bytes()).hexdigest()
    assert f"stored as {RAW.name} ({RAW.stat().st_size} bytes, SHA-256 {digest}" in text
    # an existing --out is left as it was unless --overwrite
    out.write_bytes(b"mine")
    code, _, err = cli(capsys, "measure", "get", "1", "--out", str(out), "--db", str(db))
    assert code == 2 and f"{out}: exists; give --overwrite" in err and out.read_bytes() == b"mine"
    code, _, err = cli(
        capsys, "measure", "get", "1", "-o", str(out), "--overwrite", "--db", str(db)
    )
    assert code == 0 and out.read_bytes() == RAW.read_bytes(), err
    # a name no file can have (404 bytes) is said so: it was an OSError traceback
    code, _, err = cli(capsys, "measure", "get", "1", "-o", "é" * 200, "--db", str(db))
    assert code == 2 and "File name too long" in err, err
    # a missing id is named, nothing written
    code, _, err = cli(capsys, "measure", "get", "7", "-o", str(tmp_path / "x"), "--db", str(db))
    assert code == 2 and "no measurement with id 7" in err and not (tmp_path / "x").exists()


def test_measure_get_without_out_writes_the_stored_name_here_and_replaces_nothing(
    tmp_path, capsys, monkeypatch, db
):
    """Without --out (it was required: "Missing option '--out'") the file is written under the
    name it was stored as, in the current folder: the last part of that name only (an upload's
    may carry a client's folders), never over an existing file without --overwrite."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    code, text, err = cli(capsys, "measure", "get", "1", "--db", str(db))
    assert code == 0 and f"wrote {RAW.name}:" in text, err
    assert (here / RAW.name).read_bytes() == RAW.read_bytes()
    (here / RAW.name).write_bytes(b"mine")
    code, _, err = cli(capsys, "measure", "get", "1", "--db", str(db))
    assert code == 2 and f"{RAW.name}: exists (measurement 1 was stored under" in err, err
    assert (here / RAW.name).read_bytes() == b"mine"
    code, _, err = cli(capsys, "measure", "get", "1", "--overwrite", "--db", str(db))
    assert code == 0 and (here / RAW.name).read_bytes() == RAW.read_bytes(), err
    for stored, written in (("C:\\data\\..\\up.dat", "up.dat"), ("../../up2.dat", "up2.dat")):
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE measurements SET filename = ? WHERE id = 1", (stored,))
        conn.close()
        code, _, err = cli(capsys, "measure", "get", "1", "--db", str(db))
        assert code == 0 and (here / written).read_bytes() == RAW.read_bytes(), err
    for odd in ("x/..", "é" * 200 + ".dat"):  # 404 bytes: "File name too long", a traceback
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE measurements SET filename = ? WHERE id = 1", (odd,))
        conn.close()
        code, _, err = cli(capsys, "measure", "get", "1", "--db", str(db))
        assert code == 2 and "which is no file name here" in err and "give --out" in err, err
    assert sorted(p.name for p in here.iterdir()) == sorted([RAW.name, "up.dat", "up2.dat"])
    assert not (tmp_path / "up2.dat").exists()


def test_measure_get_refuses_a_file_whose_sha256_is_not_the_recorded_one(tmp_path, capsys, db):
    with sqlite3.connect(db) as conn:  # one byte of the stored file changed behind the store
        conn.execute("UPDATE measurements SET content = CAST('damaged' AS BLOB) WHERE id = 1")
    conn.close()
    out = tmp_path / "back.dat"
    code, _, err = cli(capsys, "measure", "get", "1", "--out", str(out), "--db", str(db))
    assert code == 2 and "not the" in err and "recorded with it" in err, err
    assert not out.exists()
    # nor is a curve derived again from it (it was parsed as the file: "not an MPMS file")
    code, _, err = cli(capsys, "measure", "derive", "-c", NAME, "--db", str(db))
    assert code == 2 and "measurement 1 (" in err and "the store is damaged" in err, err


def _frozen(paths: list[Path]) -> bool:
    """Make ``paths`` unwritable for this process: chmod for a user, ``chattr +i`` for root
    (root writes through any mode bits); False where neither is possible."""
    if os.geteuid() != 0:
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        return True
    done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, check=False)
    return done.returncode == 0


def _thaw(paths: list[Path]) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True, check=False)
    for p in paths:
        p.chmod(0o755 if p.is_dir() else 0o644)


def test_a_read_only_store_is_read_and_not_written(tmp_path, capsys, db):
    """The store file and its folder cannot be written (a read-only share: no -shm can be made):
    every command failed, "unable to open database file"; now the reading ones work and a
    writing one says the store is read-only, naming it."""
    share = tmp_path / "share"
    share.mkdir()
    with sqlite3.connect(db) as src, sqlite3.connect(share / db.name) as dst:
        src.backup(dst)  # the whole store in one file, no -wal or -shm beside it (a closed one)
    src.close()
    dst.close()
    db = share / db.name
    assert db.read_bytes()[18] == 2 and sorted(p.name for p in share.iterdir()) == [db.name]  # WAL
    frozen = [db, share]
    try:
        if not _frozen(frozen):
            pytest.skip("neither chmod (root) nor chattr +i can make a file read-only here")
        d = str(db)
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        code, text, err = cli(capsys, "measure", "list", "-c", NAME, "--db", d)
        assert code == 0 and RAW.name in text, err
        code, text, err = cli(capsys, "campaign", "show", NAME, "--db", d)
        assert code == 0 and "B1" in text, err
        out = tmp_path / "back.dat"
        code, _, err = cli(capsys, "measure", "get", "1", "-o", str(out), "--db", d)
        assert code == 0 and out.read_bytes() == RAW.read_bytes(), err
        code, _, err = cli(
            capsys, "export", "-c", NAME, "--db", d, "--out", str(tmp_path / "h.csv")
        )
        assert code == 0, err
        params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
        code, _, err = cli(capsys, "sample", "add", "--db", d, "-c", NAME, "-l", "B2", *params)
        assert code == 2 and f"{db}: the store is read-only here" in err, err
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    finally:
        _thaw(frozen)
    assert [x.label for x in Store(db).samples(NAME)] == ["B1"]


def test_a_writable_store_in_a_read_only_folder_says_the_folder_stops_writes(tmp_path, capsys, db):
    """The store's file is writable, its folder is not: SQLite cannot make the journal a write
    needs beside it. A writing command said "the store is read-only here", as if the file were;
    now it names the folder and why; the reading ones still work, and nothing is written."""
    share = tmp_path / "share"
    share.mkdir()
    with sqlite3.connect(db) as src, sqlite3.connect(share / db.name) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    db = share / db.name
    try:
        if not _frozen([share]):
            pytest.skip("neither chmod (root) nor chattr +i can make a folder read-only here")
        assert os.access(db, os.W_OK) and not os.access(share, os.W_OK)
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        code, text, err = cli(capsys, "campaign", "show", NAME, "--db", str(db))
        assert code == 0 and "B1" in text, err
        params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
        code, _, err = cli(
            capsys, "sample", "add", "--db", str(db), "-c", NAME, "-l", "B2", *params
        )
        assert code == 2 and "read-only here" not in err, err
        assert f"its folder {share.resolve()} cannot be written by this user" in err, err
        assert "SQLite writes a journal" in err and "nothing was done" in err, err
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before
        # the Python API (and create_app) said "unable to open database file"
        with pytest.raises(FluxtrapError, match=f"its folder {share.resolve()} cannot be written"):
            Store(db)
        assert Store(db, read_only=True).campaigns()[0].name == NAME
    finally:
        _thaw([share])
    assert [x.label for x in Store(db).samples(NAME)] == ["B1"]


def test_a_store_in_a_read_only_folder_is_refused_at_open_for_writing_naming_it(tmp_path, db):
    """Store(url, migrate=False) on a store whose folder cannot be written opened, and its first
    write failed "unable to open database file"; a new store's file there said only that. Both
    are now refused as they open, naming the folder; nothing is written and reading works."""
    share = tmp_path / "share"
    share.mkdir()
    copy = share / db.name
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # the whole store in one file, no -wal or -shm beside it
    src.close()
    dst.close()
    before = copy.read_bytes()
    try:
        if not _frozen([share]):
            pytest.skip("neither chmod (root) nor chattr +i can make a folder read-only here")
        for path, migrate in ((copy, False), (copy, True), (share / "new.db", True)):
            with pytest.raises(FluxtrapError, match=f"its folder {share.resolve()} cannot be wr"):
                Store(path, migrate=migrate)
        assert Store(copy, read_only=True).campaigns()[0].name == NAME
    finally:
        _thaw([share])
    assert sorted(p.name for p in share.iterdir()) == [db.name] and copy.read_bytes() == before


def test_a_read_only_store_with_changes_in_its_wal_is_not_read_without_them(tmp_path, db):
    """A WAL store copied to a read-only share with its -wal (changes not yet in the file) but
    no -shm: opened immutable it would read the file without those changes, silently."""
    share = tmp_path / "share"
    share.mkdir()
    copy = share / db.name
    copy.write_bytes(db.read_bytes())
    (share / f"{db.name}-wal").write_bytes(b"\0" * 4096)
    frozen = [copy, share / f"{db.name}-wal", share]
    try:
        if not _frozen(frozen):
            pytest.skip("neither chmod (root) nor chattr +i can make a file read-only here")
        with pytest.raises(FluxtrapError, match="holds changes not yet in the store's file"):
            Store(copy, read_only=True)
    finally:
        _thaw(frozen)


def test_a_store_opened_read_only_refuses_writes_and_an_old_schema(db):
    """The read-only open itself (what a user without write access gets), testable as root."""
    store = Store(db, read_only=True)
    assert [m.filename for m in store.measurements(NAME, with_content=False)] == [RAW.name]
    with pytest.raises(StoreError, match="is read-only"):
        store.add_sample(NAME, "B2", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    store.engine.dispose()
    # a schema older than this fluxtrap's: not migrated (it cannot be), said who can upgrade it
    cfg = alembic_config(f"sqlite:///{db}")
    command.downgrade(cfg, "-1")
    with pytest.raises(StoreError, match="someone with write access must upgrade it"):
        Store(db, read_only=True)
    Store(db)  # with write access it is upgraded
    Store(db, read_only=True)


def test_a_new_store_in_a_read_only_folder_is_refused_naming_it(tmp_path, capsys):
    share = tmp_path / "share"
    share.mkdir()
    try:
        if not _frozen([share]):
            pytest.skip("neither chmod (root) nor chattr +i can make a folder read-only here")
        d = str(share / "new.db")
        code, _, err = cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", d)
        assert code == 2 and f"its folder {share} cannot be written" in err, err
    finally:
        _thaw([share])
    assert list(share.iterdir()) == []


@pytest.mark.postgres
def test_a_postgresql_role_that_may_only_read_is_refused_at_open_by_writing_commands(
    postgres_server, capsys
):
    """A role with SELECT alone was found out at its first write: `sample add` said "permission
    denied for table samples", `suggest` ended in a ProgrammingError traceback after fitting.
    Now every writing command is refused as the store opens, naming the role and what it lacks;
    reading commands work; nothing is written. A role granted what writes need is not refused."""
    from sqlalchemy import create_engine, make_url, text

    from ..conftest import new_database

    url = new_database(postgres_server)
    Store(url).create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    viewer, writer = (f"{who}_{uuid.uuid4().hex[:8]}" for who in ("viewer", "writer"))
    with owner.connect() as conn:
        for role in (viewer, writer):
            conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
            conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(
            text(f"GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {writer}")
        )
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {writer}"))
    as_viewer, as_writer = (
        make_url(url).set(username=role, password="pw").render_as_string(hide_password=False)
        for role in (viewer, writer)
    )
    code, text_out, err = cli(capsys, "campaign", "show", NAME, "--db", as_viewer)
    assert code == 0 and NAME in text_out, err
    params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
    for writes in (
        ("sample", "add", "--db", as_viewer, "-c", NAME, "-l", "B1", *params),
        ("suggest", "--db", as_viewer, "-c", NAME, "-n", "1"),
    ):
        code, _, err = cli(capsys, *writes)
        assert code == 2 and f"the database role '{viewer}' cannot write this store" in err, err
        assert "INSERT on campaigns" in err and "nothing was written" in err and "pw" not in err
    with pytest.raises(StoreError, match="cannot write this store"):
        Store(as_viewer).add_sample(
            NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
        )
    assert Store(url).samples(NAME) == [] and Store(url).suggestions(NAME) == []
    code, _, err = cli(capsys, "sample", "add", "--db", as_writer, "-c", NAME, "-l", "B1", *params)
    assert code == 0, err
    assert [x.label for x in Store(url).samples(NAME)] == ["B1"]
    owner.dispose()


@pytest.mark.postgres
def test_a_role_that_may_write_but_not_migrate_is_told_who_can(postgres_server):
    """A writer role (INSERT, UPDATE, DELETE; not the tables' owner) opening a store whose schema
    is behind this fluxtrap's, or an empty database it may not make tables in, was "cannot open
    the store ...: must be owner of table simulations" (or "permission denied for schema
    public"); now it says the revision, the role and who can upgrade it; nothing is written."""
    from sqlalchemy import create_engine, make_url, text

    from ..conftest import new_database

    url, empty = new_database(postgres_server), new_database(postgres_server)
    command.upgrade(alembic_config(url), "0010")
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    role = f"writer_{uuid.uuid4().hex[:8]}"
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))  # fmt: skip
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    as_role = make_url(url).set(username=role, password="pw")
    says = rf"revision 0010\) is older than .* the database role '{role}' may not change it"
    with pytest.raises(FluxtrapError, match=says) as err:
        Store(as_role.render_as_string(hide_password=False))
    assert "must be owner of table" in str(err.value) and "nothing was written" in str(err.value)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0010"
    with create_engine(empty, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(
            text("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        )  # PostgreSQL < 15 grants it
    says = f"no fluxtrap tables yet, and the database role '{role}' may not make them"
    with pytest.raises(FluxtrapError, match=says):
        Store(as_role.set(database=make_url(empty).database).render_as_string(hide_password=False))
    owner.dispose()
