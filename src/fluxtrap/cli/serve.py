"""``fluxtrap serve``: the REST API and dashboard on uvicorn."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer

from fluxtrap.cli.common import DbOption, console, store_from


def register(app: typer.Typer) -> None:
    app.command("serve", short_help="Serve the REST API and the dashboard on the store.")(serve)


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for the whole lab network).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    db: DbOption = None,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(help="TLS certificate (PEM) to serve HTTPS; needs --ssl-keyfile."),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option(help="The certificate's private key (PEM).")
    ] = None,
    max_body_mb: Annotated[
        float, typer.Option(help="Largest request body in MiB (uploads aside).")
    ] = 1.0,
    max_upload_mb: Annotated[float, typer.Option(help="Largest measurement upload in MiB.")] = 50.0,
    job_time_limit: Annotated[
        str,
        typer.Option(help='Wall time a simulation job may run before it is killed, e.g. "30 min".'),
    ] = "1 h",
    job_memory_mb: Annotated[
        int, typer.Option(help="Memory (address space, MiB) of a simulation job's process.")
    ] = 4096,
    job_quota: Annotated[
        int, typer.Option(help="Simulation jobs a user may have queued or running.")
    ] = 3,
    job_queue: Annotated[
        int, typer.Option(help="Simulation jobs queued or running, all users together.")
    ] = 50,
    job_workers: Annotated[
        int, typer.Option(help="Simulation jobs run at once (one core each).")
    ] = 1,
    max_connections: Annotated[
        int,
        typer.Option(
            help="Connections served at once; beyond them the server answers 503 (slow or "
            "idle clients cannot hold it all)."
        ),
    ] = 500,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Comma-separated addresses or networks of the reverse proxies whose "
            "X-Forwarded-Proto/-For are believed (so a login behind a TLS proxy gets a Secure "
            "cookie); anyone else could claim https or another client address with them."
        ),
    ] = "127.0.0.1,::1",
) -> None:
    """Serve the REST API (/docs) and the dashboard on the store (embedded SQLite by default).

    Off this machine, serve HTTPS (--ssl-certfile/--ssl-keyfile) or put it behind a TLS reverse
    proxy: tokens and session cookies must not cross the network in clear text. A connection
    that has not sent a whole request head within 10 s is closed, and a body that arrives at
    less than 8 KiB/s (after 30 s) is refused; --max-connections bounds how many are held.
    The proxy's X-Forwarded-Proto is believed from --forwarded-allow-ips (this machine by
    default), so the session cookie is Secure behind it. A store this server cannot write (a
    read-only file or folder, a PostgreSQL role that may only read) is served read-only: pages
    and API to browse, every write refused (403), no simulation jobs, logins kept in memory."""
    import uvicorn

    from fluxtrap.errors import ValidationError
    from fluxtrap.store.store import RECHECK_S
    from fluxtrap.units import parse
    from fluxtrap.web import create_app
    from fluxtrap.web.jobs import JobSettings
    from fluxtrap.web.limits import Limits
    from fluxtrap.web.server import TimelyH11Protocol

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ValidationError("--ssl-certfile and --ssl-keyfile go together")
    for f in (ssl_certfile, ssl_keyfile):
        if f is not None and not f.is_file():
            raise ValidationError(f"{f}: no such file")
    # below 16 KiB (the dashboard's own form limit) a store's requests and files cannot pass:
    # --max-body-mb 1e-9 made a 0-byte limit and every write a 413
    for flag, size_mb, most_mb in (
        ("--max-body-mb", max_body_mb, 1024),
        ("--max-upload-mb", max_upload_mb, 10240),
    ):
        if not 2**-6 <= size_mb <= most_mb:
            raise ValidationError(
                f"{flag}: give 0.015625 (16 KiB) to {most_mb} MiB, got {size_mb:g}"
            )
    if not 1 <= max_connections <= 100_000:
        raise ValidationError(f"--max-connections: give 1 to 100000, got {max_connections}")
    if not 256 <= job_memory_mb <= 2**30:  # ProcessLimits' bounds, named here by the flag
        raise ValidationError(
            f"--job-memory-mb: give 256 to {2**30} MiB (the simulator alone takes about 500), "
            f"got {job_memory_mb}"
        )
    proxies = _proxies(forwarded_allow_ips)
    limits = Limits(max_body=int(max_body_mb * 2**20), max_upload=int(max_upload_mb * 2**20))
    jobs = JobSettings(
        wall_s=parse(job_time_limit, "time", "--job-time-limit"),
        memory_mb=job_memory_mb,
        per_user=job_quota,
        total=job_queue,
        workers=job_workers,
    )
    sock = _listen(host, port)  # before the store: a port in use makes no new database
    with sock:
        store = store_from(db, create=True, reads_only=True)  # one it cannot write: shown
        scheme = "https" if ssl_certfile else "http"
        console.print(f"fluxtrap on {scheme}://{host}:{port}/ (API docs at /docs), store {store!r}")
        if not store.writable:
            console.print(
                f"Serving it read-only, to browse: {store.why_read_only}. Writes are refused "
                + (
                    "(403), no simulation jobs run, and logins last while this server runs"
                    if store.read_only
                    else "(403) and simulation jobs wait until the role is granted them (asked "
                    f"again every {RECHECK_S:g} s: no restart needed); logins made meanwhile "
                    "last while this server runs"
                )
            )
        if not store.users(limit=1):
            command = "fluxtrap user add NAME --role writer" + (f" --db {db}" if db else "")
            console.print(
                "This store has no users yet, so nobody can log in. Create one (its token is shown "
                "once; paste it on the login page"
                + ("" if store.writable else "; someone with write access to the store")
                + f"):\n  {command}"
            )
        config = uvicorn.Config(
            create_app(store, limits=limits, jobs=jobs),
            http=TimelyH11Protocol,
            host=host,
            port=port,
            log_level="info",
            ssl_certfile=None if ssl_certfile is None else str(ssl_certfile),
            ssl_keyfile=None if ssl_keyfile is None else str(ssl_keyfile),
            limit_concurrency=max_connections,
            forwarded_allow_ips=proxies,
        )
        uvicorn.Server(config).run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening, before the address is printed: a port
    in use (or an address not this machine's) had been printed as served, then uvicorn logged
    the bind failure and exited 3. Now one FluxtrapError naming the address."""
    from fluxtrap.errors import FluxtrapError

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is free
    try:
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's backlog
    except OSError as err:
        sock.close()
        hint = " (another server is on it: choose another --port)"
        raise FluxtrapError(
            f"cannot listen on {host}:{port}: {(err.strerror or str(err)).lower()}"
            + (hint if err.errno == errno.EADDRINUSE else "")
        ) from None
    return sock


def _proxies(text: str) -> str:
    """``--forwarded-allow-ips`` checked: each entry an IP address or network (``10.0.0.0/8``),
    given back as uvicorn reads it. ``*`` (every client) is refused: any client could then
    claim https or another address."""
    import ipaddress

    from fluxtrap.errors import ValidationError

    entries = [e.strip() for e in text.split(",") if e.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            why = (
                "trusting every client lets any of them claim https or another address"
                if entry == "*"
                else "not an IP address or network"
            )
            raise ValidationError(
                f"--forwarded-allow-ips: {entry[:60]!r}: {why}; name the reverse proxy's "
                "address, e.g. 10.0.0.5 or 10.0.0.0/24"
            ) from None
    return ",".join(entries)
