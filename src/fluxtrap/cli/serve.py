"""``fluxtrap serve``: the REST API and dashboard on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from fluxtrap.cli.common import DbOption, console, store_from


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for the whole lab network).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the REST API (/docs) and the dashboard on the store (embedded SQLite by default)."""
    import uvicorn

    from fluxtrap.web import create_app

    store = store_from(db)
    console.print(f"fluxtrap on http://{host}:{port}/ (API docs at /docs), store {store!r}")
    uvicorn.run(create_app(store), host=host, port=port, log_level="info")
