"""``clusterleap serve``: the web workspace (one process: the store is upgraded on start, then the server runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, console, fail, guarded


@app.command()
@guarded
def serve(
    db: Annotated[str | None, typer.Option("--db", help="Database URL, e.g. postgresql+psycopg://user@host/db "
                                           "(default: SQLite in the workspace folder).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workspace: Annotated[Path, typer.Option("--workspace", "-w", help="The workspace folder.")] = Path(
        "clusterleap-workspace"),
    demo: Annotated[bool, typer.Option("--demo", help="Seed an empty workspace with the built-in framework and "
                                       "six rounds of illustrative data, with demo accounts.")] = False,
    forwarded_allow_ips: Annotated[str, typer.Option(help="Reverse proxies whose X-Forwarded-Proto/For headers "
                                                     "are trusted (comma-separated addresses).")] = "127.0.0.1",
) -> None:
    """Serve a workspace in the browser.

    The evaluation rounds of a workspace, with the JSON API under /api."""
    try:
        # on use: the web stack (FastAPI, SQLAlchemy), an optional extra
        import uvicorn

        from ..serve.app import create_app
        from ..store import default_url, open_store
        from ..store.demo import seed_demo
        from ..store.models import Round
    except ImportError as exc:
        fail(f"clusterleap serve needs the 'web' extra (pip install 'clusterleap[web]'): {exc}")
    url = db or default_url(workspace)
    store = open_store(url)
    if store.backup is not None:
        console.print(f"upgraded the database schema; the previous database is kept as {store.backup}")
    if demo:
        with store.session() as session:
            empty = session.query(Round).count() == 0
        if empty:
            console.print("seeding the demo workspace (six rounds of illustrative data)...")
            passwords = seed_demo(store)
            console.print("demo accounts (passwords are random and shown only now):")
            for name, password in passwords.items():
                console.print(f"  {name:<12} {password}")
        else:
            console.print("the workspace has rounds already: --demo adds nothing")
    where = url.split("@")[-1] if "@" in url else url
    console.print(f"clusterleap serve: {where} on http://{host}:{port}/")
    uvicorn.run(create_app(store), host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips, log_level="warning")
