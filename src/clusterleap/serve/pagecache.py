"""Rendered pages of stored runs, kept in memory: runs never change, so a ranking or cluster page is rendered once
per run, language, role and query, and served again from memory.

What a page shows depends on the caller only through the role (the authorisation rules of the ranking and cluster
pages, and the navigation, read nothing else) and through the user name and CSRF token in the page header. Pages
are therefore rendered with placeholders for those two (:func:`placeholder`) and filled in for each caller. The key
holds everything else a page reads that can change: for every round the caller sees, its state and the run shown (a
new run or a publication changes it), and for a cluster page the latest finished robustness analysis of the run.
The cache is bounded in bytes and drops the least recently used pages.

A kept page is also compressed once (see :mod:`._gzip`), and sent gzipped to clients that accept it, with a weak
``ETag`` (the page and the caller's values) so that a browser revalidating it gets ``304 Not Modified``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace

from fastapi import Request, Response
from markupsafe import escape
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ..store import Store
from ..store.accounts import Actor
from ..store.jobs import KIND
from ..store.models import Job, Round, Run
from ._gzip import SplitPage, accepts_gzip
from .auth import Caller, caller
from .render import lang_of

__all__ = ["PageCache", "cached_page", "placeholder", "robustness_signature", "rounds_signature"]

USER = "cl-user-2f9c41d7"
CSRF = "cl-csrf-2f9c41d7"
_PLACEHOLDERS = {"user": USER.encode(), "csrf": CSRF.encode()}
#: a browser may keep a page but must ask again before showing it (it then gets 304 while the page is the same)
_HEADERS = {"Vary": "Accept-Encoding, Cookie, Authorization", "Cache-Control": "private, no-cache"}


def placeholder(c: Caller) -> Caller:
    """The caller with placeholders for the user name and CSRF token (same role, clusters and rights)."""
    assert c.actor is not None
    return replace(c, actor=replace(c.actor, username=USER), csrf=CSRF)


_LATEST = select(func.max(Run.id)).where(Run.round_id == Round.id).scalar_subquery()
#: built once: they run on every request of a cached page
_ROUNDS = select(Round.id, Round.state, Round.published_run_id, _LATEST)
_ROBUSTNESS = (select(func.max(Job.id)).join(Run, Run.id == Job.run_id)
               .where(Run.round_id == bindparam("rid"), Job.kind == KIND, Job.state == "done"))


def rounds_signature(db: Session, actor: Actor) -> tuple[tuple[int, str, int | None], ...]:
    """For every round the actor sees: its id, state and the run its pages show (one query)."""
    out = []
    for rid, state, published, last in db.execute(_ROUNDS):
        if actor.is_staff:
            out.append((int(rid), str(state), published or last))
        elif actor.role == "contributor" or state == "published":
            out.append((int(rid), str(state), published if state == "published" else None))
    return tuple(sorted(out))


def robustness_signature(db: Session, round_id: int) -> int | None:
    """The latest finished robustness analysis of any run of the round (what a cluster page's interval reads)."""
    return db.scalar(_ROBUSTNESS, {"rid": round_id})


@dataclass(frozen=True)
class _Page:
    split: SplitPage
    digest: str


class PageCache:
    """Rendered pages by key, least recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = 64_000_000) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(request: Request, c: Caller, *parts: Hashable) -> tuple[Hashable, ...]:
        assert c.actor is not None
        return (request.url.path, str(request.url.query), lang_of(request), c.actor.role, *parts)

    def lookup(self, key: Hashable, request: Request, c: Caller) -> Response | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
        return _respond(page, request, c)

    def keep(self, key: Hashable, response: Response, request: Request, c: Caller) -> Response:
        """Keep a page rendered for :func:`placeholder` (when it succeeded) and return it filled for ``c``."""
        body = bytes(response.body)
        if response.status_code != 200:
            values = _values(c)
            for name, mark in _PLACEHOLDERS.items():
                body = body.replace(mark, values[name])
            return Response(body, status_code=response.status_code, media_type="text/html")
        page = _Page(SplitPage.split(body, _PLACEHOLDERS), hashlib.blake2b(body, digest_size=12).hexdigest())
        with self._lock:
            if key not in self._pages:
                self._pages[key] = page
                self._bytes += page.split.size
                while self._bytes > self.max_bytes and self._pages:
                    _, old = self._pages.popitem(last=False)
                    self._bytes -= old.split.size
        return _respond(page, request, c)


def _values(c: Caller) -> dict[str, bytes]:
    assert c.actor is not None
    return {"user": str(escape(c.actor.username)).encode(), "csrf": str(escape(c.csrf)).encode()}


def _respond(page: _Page, request: Request, c: Caller) -> Response:
    """The page for ``c``: 304 when the client has it already, else gzipped when it accepts gzip, else plain."""
    values = _values(c)
    etag = 'W/"' + hashlib.blake2b(page.digest.encode() + b"\0" + values["user"] + b"\0" + values["csrf"],
                                   digest_size=12).hexdigest() + '"'
    headers = {**_HEADERS, "ETag": etag}
    if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        return Response(page.split.gzip(values), media_type="text/html",
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(page.split.plain(values), media_type="text/html", headers=headers)


def cached_page(request: Request, render: Callable[[Caller, Session], Response],
                signature: Callable[[Session], Hashable], login: Callable[[Request], Response]) -> Response:
    """Serve a page of a stored run from the cache, or render it (with :func:`placeholder`) and keep it.

    One database transaction and one call (run it in a worker thread): the caller, the key's signature and, on a
    miss, the rendering."""
    store: Store = request.app.state.store
    cache: PageCache = request.app.state.pages
    with store.session() as session:
        c = caller(request, session)
        if c.actor is None:
            return login(request)
        key = cache.key(request, c, rounds_signature(session, c.actor), signature(session))
        hit = cache.lookup(key, request, c)
        if hit is not None:
            return hit
        return cache.keep(key, render(placeholder(c), session), request, c)
