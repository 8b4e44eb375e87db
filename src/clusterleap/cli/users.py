"""``clusterleap users``: accounts of a workspace (the first admin is made here; there is no default password)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .app import app, console, fail, guarded, sub_app

if TYPE_CHECKING:
    from ..store import Store

users_app = sub_app("Accounts of a web workspace: add, list, API tokens.")
app.add_typer(users_app, name="users")

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="The workspace folder (holds the SQLite "
                                            "database unless --db is given).")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL, e.g. postgresql+psycopg://user@host/db "
                                           "(default: SQLite in the workspace folder).")]


def _store(workspace: Path, db: str | None) -> Store:
    try:
        from ..store import default_url, open_store  # on use: SQLAlchemy, an optional extra
    except ImportError as exc:  # the web extra is not installed
        fail(f"the web workspace needs the 'web' extra (pip install 'clusterleap[web]'): {exc}")
        raise
    return open_store(db or default_url(workspace))


@users_app.command("add")
@guarded
def add(
    username: Annotated[str, typer.Argument(help="The user name (no spaces).")],
    role: Annotated[str, typer.Option("--role", help="admin, analyst, contributor or viewer.")],
    cluster: Annotated[list[str] | None, typer.Option("--cluster", metavar="CODE", help="A contributor's cluster code "
                                                      "(repeat for several).")] = None,
    password_env: Annotated[str | None, typer.Option("--password-env", help="Read the password from this "
                                                     "environment variable instead of prompting.")] = None,
    workspace: WorkspaceOpt = Path("clusterleap-workspace"),
    db: DbOpt = None,
) -> None:
    """Create an account.

    The password is prompted for (twice), or read from --password-env; at least 10 characters."""
    # on use: the workspace's database (SQLAlchemy)
    from ..store.accounts import add_user
    from ..store.workspace import audit

    if password_env is not None:
        password = os.environ.get(password_env, "")
        if not password:
            fail(f"environment variable {password_env} is not set or empty (expected the new user's password)")
    else:
        password = typer.prompt(f"password for {username}", hide_input=True, confirmation_prompt=True)
    store = _store(workspace, db)
    with store.session() as session:
        add_user(session, username, password, role, tuple(cluster or ()))
        audit(session, "command line", "user.add", "user", username, {"role": role, "clusters": cluster or []})
    console.print(f"added {role} {username}" + (f" for {', '.join(cluster)}" if cluster else ""))


@users_app.command("list")
@guarded
def list_users(workspace: WorkspaceOpt = Path("clusterleap-workspace"), db: DbOpt = None) -> None:
    """List the accounts with their roles and clusters."""
    # on use: the workspace's database (SQLAlchemy)
    from sqlalchemy import select

    from ..store.accounts import actor_for
    from ..store.models import User

    store = _store(workspace, db)
    with store.session() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            a = actor_for(session, user)
            state = "" if user.active else "\tinactive"
            console.print(f"{user.username}\t{user.role}\t{','.join(sorted(a.clusters))}{state}")


@users_app.command("token")
@guarded
def token(
    username: Annotated[str, typer.Argument(help="The account the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
    workspace: WorkspaceOpt = Path("clusterleap-workspace"),
    db: DbOpt = None,
) -> None:
    """Create an API token for scripts.

    The token is printed once; send it as 'Authorization: Bearer <token>'."""
    # on use: the workspace's database (SQLAlchemy)
    from ..store.accounts import create_token
    from ..store.workspace import audit

    store = _store(workspace, db)
    with store.session() as session:
        tok = create_token(session, username, name)
        audit(session, "command line", "token.create", "user", username, {"name": name})
    console.print(tok)
