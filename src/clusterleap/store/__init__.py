"""The workspace store: SQLAlchemy models, Alembic migrations shipped in the package (upgraded on open), accounts
and the workspace operations with their authorisation rules. SQLite by default (a file in the workspace folder),
PostgreSQL for a team (``postgresql+psycopg://...``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .accounts import Actor
from .errors import Conflict, Forbidden, Invalid, NotFound, StoreError
from .migrate import make_engine, upgrade

__all__ = ["Actor", "Conflict", "Forbidden", "Invalid", "NotFound", "Store", "StoreError", "default_url",
           "open_store"]

DB_FILE = "clusterleap.sqlite3"


def default_url(workspace: str | Path) -> str:
    """The embedded SQLite database of a workspace folder."""
    return f"sqlite:///{Path(workspace).resolve() / DB_FILE}"


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    backup: Path | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back on an exception."""
        with self.sessions.begin() as db:
            yield db


def open_store(url: str) -> Store:
    """Open (and create or upgrade to the current schema) the store at ``url``."""
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") and path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    backup = upgrade(engine)
    return Store(engine, sessionmaker(engine, expire_on_commit=False), backup)
