"""Rendered pages of stored runs, kept in memory: runs never change, so a ranking or cluster page is rendered once
per run, language, role and query, and served again from memory.

What a page shows depends on the caller only through the role (the authorisation rules of the ranking and cluster
pages, and the navigation, read nothing else) and through the user name and CSRF token in the page header. Pages
are therefore rendered with placeholders for those two (:func:`placeholder`) and filled in for each caller
(:meth:`PageCache.fill`). The key holds everything else a page reads that can change: for every round the caller
sees, its state and the run shown (a new run or a publication changes it), and for a cluster page the latest
finished robustness analysis of the run. The cache is bounded in bytes and drops the least recently used pages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import replace

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.accounts import Actor
from ..store.jobs import KIND
from ..store.models import Job, Round, Run
from .auth import Caller
from .render import lang_of

__all__ = ["PageCache", "placeholder", "robustness_signature", "rounds_signature"]

USER = "cl-user-2f9c41d7"
CSRF = "cl-csrf-2f9c41d7"


def placeholder(c: Caller) -> Caller:
    """The caller with placeholders for the user name and CSRF token (same role, clusters and rights)."""
    assert c.actor is not None
    return replace(c, actor=replace(c.actor, username=USER), csrf=CSRF)


def rounds_signature(db: Session, actor: Actor) -> tuple[tuple[int, str, int | None], ...]:
    """For every round the actor sees: its id, state and the run its pages show (two small queries)."""
    latest = {int(r): int(m) for r, m in db.execute(select(Run.round_id, func.max(Run.id)).group_by(Run.round_id))}
    out = []
    for rid, state, published in db.execute(select(Round.id, Round.state, Round.published_run_id)):
        if actor.is_staff:
            out.append((int(rid), str(state), published or latest.get(int(rid))))
        elif actor.role == "contributor" or state == "published":
            out.append((int(rid), str(state), published if state == "published" else None))
    return tuple(sorted(out))


def robustness_signature(db: Session, round_id: int) -> int | None:
    """The latest finished robustness analysis of any run of the round (what a cluster page's interval reads)."""
    return db.scalar(select(func.max(Job.id)).join(Run, Run.id == Job.run_id)
                     .where(Run.round_id == round_id, Job.kind == KIND, Job.state == "done"))


class PageCache:
    """Rendered pages by key, least recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = 64_000_000) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(request: Request, c: Caller, *parts: Hashable) -> tuple[Hashable, ...]:
        assert c.actor is not None
        return (request.url.path, str(request.url.query), lang_of(request), c.actor.role, *parts)

    def lookup(self, key: Hashable, c: Caller) -> HTMLResponse | None:
        with self._lock:
            body = self._pages.get(key)
            if body is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
        return self.fill(body, c)

    def keep(self, key: Hashable, response: Response, c: Caller) -> HTMLResponse:
        """Keep a page rendered for :func:`placeholder` (when it succeeded) and return it filled for ``c``."""
        body = bytes(response.body)
        if response.status_code == 200:
            with self._lock:
                if key not in self._pages:
                    self._pages[key] = body
                    self._bytes += len(body)
                    while self._bytes > self.max_bytes and self._pages:
                        _, old = self._pages.popitem(last=False)
                        self._bytes -= len(old)
        return self.fill(body, c, response.status_code)

    @staticmethod
    def fill(body: bytes, c: Caller, status: int = 200) -> HTMLResponse:
        assert c.actor is not None
        html = body.replace(USER.encode(), str(escape(c.actor.username)).encode()) \
            .replace(CSRF.encode(), str(escape(c.csrf)).encode())
        return HTMLResponse(html, status_code=status)
