"""Who is asking: an API token (``Authorization: Bearer ...``) or a browser session cookie.

Session cookies are HttpOnly and SameSite=Strict, and Secure when the request came over TLS (directly or, behind a
reverse proxy, as its ``X-Forwarded-Proto`` says; see docs/serve.md). Every state-changing request that a cookie
authenticates must carry the session's CSRF token in ``X-CSRF-Token`` (the pages' script sends it from a meta tag;
a form on another site can set neither header nor, with SameSite=Strict, the cookie). Token requests need no CSRF
token: a browser never attaches them by itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, Response
from sqlalchemy.orm import Session

from ..store import Store
from ..store.accounts import Actor, session_actor, token_actor

__all__ = [
    "LANG_COOKIE",
    "MAX_ID",
    "SESSION_COOKIE",
    "ActorDep",
    "Caller",
    "CallerDep",
    "DbDep",
    "Id",
    "caller",
    "db",
    "require_actor",
    "set_cookie",
]

SESSION_COOKIE = "cl_session"
LANG_COOKIE = "cl_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns (before the response is sent: see the
    ``scope="function"`` of :data:`DbDep`), rolled back when it raises."""
    store: Store = request.app.state.store
    with store.session() as session:
        yield session


@dataclass(frozen=True)
class Caller:
    actor: Actor | None
    csrf: str = ""
    via_token: bool = False


def caller(request: Request, session: Annotated[Session, Depends(db, scope="function")]) -> Caller:
    """The actor of the request (None when anonymous), checking CSRF for cookie-authenticated changes."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        actor = token_actor(session, auth[7:].strip())
        if actor is None:
            raise HTTPException(401, "invalid or revoked API token")
        return Caller(actor, via_token=True)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return Caller(None)
    found = session_actor(session, secret)
    if found is None:
        return Caller(None)
    actor, row = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent.encode(), row.csrf.encode()):
            raise HTTPException(403, "missing or wrong CSRF token (send the page's token in X-CSRF-Token)")
    return Caller(actor, row.csrf)


def require_actor(c: Annotated[Caller, Depends(caller)]) -> Actor:
    if c.actor is None:
        raise HTTPException(401, "log in first (a session cookie or an API token)")
    return c.actor


MAX_ID = 2**31 - 1
#: An object id in a path: bounded, so that no number reaches the database that it cannot hold
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
#: The request's transaction; it ends with the handler, so a client never gets a reply to a change not yet committed
DbDep = Annotated[Session, Depends(db, scope="function")]
CallerDep = Annotated[Caller, Depends(caller)]
ActorDep = Annotated[Actor, Depends(require_actor)]


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    """Set a cookie HttpOnly and SameSite=Strict; Secure when the request came over TLS."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
