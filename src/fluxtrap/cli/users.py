"""``fluxtrap user add``: users of the web API and their tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from fluxtrap.cli.common import DbOption, console, store_from

user_app = typer.Typer(help="Users of the web API and their tokens.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option(help="reader (can only read) or writer.")] = "writer",
    db: DbOption = None,
) -> None:
    """Create a web-API user and print its token (shown once; only its hash is stored)."""
    import secrets

    token = secrets.token_urlsafe(24)
    store_from(db).add_user(name, role, token)
    console.print(f"user {name} ({role}) token: [bold]{token}[/]")


def register(app: typer.Typer) -> None:
    """Add the ``user`` sub-commands to the root ``fluxtrap`` app."""
    app.add_typer(user_app, name="user")
