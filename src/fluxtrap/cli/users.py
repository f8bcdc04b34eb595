"""``fluxtrap user add|list|revoke|rotate``: users of the web API and their tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from fluxtrap.cli.common import DbOption, console, interruptible, store_from

user_app = typer.Typer(help="Users of the web API and their tokens.", no_args_is_help=True)

ExpiresOption = Annotated[
    str | None,
    typer.Option(
        "--expires",
        help='How long the token is valid, e.g. "90 d" or "12 h" (default: until revoked).',
    ),
]


def _expiry(expires: str | None) -> datetime | None:
    from fluxtrap.store.store import token_expiry

    return token_expiry(expires, "--expires")


def _new_token() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def _until(t: datetime | None) -> str:
    return "never" if t is None else t.strftime("%Y-%m-%d %H:%M UTC")


@user_app.command("add", short_help="Create a web-API user and print its token (once).")
@interruptible("user add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[
        str, typer.Option(help="reader (can only read), writer, or admin (also lists users).")
    ] = "writer",
    expires: ExpiresOption = None,
    db: DbOption = None,
) -> None:
    """Create a web-API user and print its token (shown once; only its hash is stored)."""
    from fluxtrap.campaign import check_new_name
    from fluxtrap.store.store import check_role

    check_new_name(name, "user name")  # shown in tables and records: no control characters
    check_role(role)  # these first: a misspelt --role or --expires left a new, empty store
    expires_at = _expiry(expires)
    token = _new_token()
    rec = store_from(db, create=True).add_user(name, role, token, expires_at=expires_at)
    console.print(f"user {name} ({role}) token: {token} (expires {_until(rec.expires_at)})")


@user_app.command("list", short_help="List the users, their roles, tokens and sessions.")
@interruptible("user list")
def user_list(db: DbOption = None) -> None:
    """List the users: name, role, created, expires, whether the token is accepted now, and
    their dashboard sessions (logins not yet ended; expired ones go at the next login)."""
    from rich.table import Table

    store = store_from(db, reads_only=True)
    table = Table("name", "role", "created", "expires", "status", "sessions")
    for u in store.users():
        status = "revoked" if u.revoked_at else "active" if u.active() else "expired"
        sessions = str(store.session_count(u.name))
        table.add_row(u.name, u.role, _until(u.created_at), _until(u.expires_at), status, sessions)
    console.print(table)


@user_app.command("revoke", short_help="Stop accepting a user's token at once.")
@interruptible("user revoke")
def user_revoke(
    name: Annotated[str, typer.Argument(help="User name.")], db: DbOption = None
) -> None:
    """Stop accepting the user's token at once and cancel their queued and running dashboard
    jobs (their records stay; `rotate` re-enables)."""
    store = store_from(db)
    store.revoke_user(name)
    jobs = store.cancel_jobs_of(name, "fluxtrap user revoke")
    console.print(
        f"user {name}: token revoked"
        + (f"; {len(jobs)} queued or running job(s) cancelled" if jobs else "")
    )
    if not any(u.role == "admin" and u.active() for u in store.users()):
        console.print(  # the web refuses this (409); here the store's owner can mend it
            "[yellow]no active admin is left: no one can manage users on the dashboard until "
            "`fluxtrap user add NAME --role admin`[/yellow]"
        )


@user_app.command("rotate", short_help="Give a user a new token; the old one stops working.")
@interruptible("user rotate")
def user_rotate(
    name: Annotated[str, typer.Argument(help="User name.")],
    expires: ExpiresOption = None,
    db: DbOption = None,
) -> None:
    """Give the user a new token (printed once); the old one stops working at once."""
    token = _new_token()
    rec = store_from(db).rotate_token(name, token, expires_at=_expiry(expires))
    console.print(f"user {name} new token: {token} (expires {_until(rec.expires_at)})")


def register(app: typer.Typer) -> None:
    """Add the ``user`` sub-commands to the root ``fluxtrap`` app."""
    app.add_typer(user_app, name="user")
