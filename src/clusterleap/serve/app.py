"""The web application: the JSON API, the pages, the login, static assets and the security headers.

plotly.js is served from the installed plotly package (never copied into the repository); the pages' own script and
style sheet come from ``serve/static``. Every response carries a Content-Security-Policy that allows scripts and
styles from this origin only (no inline scripts; charts read their data from ``data-`` attributes).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import clusterleap as cl

from ..store import Store
from ..store.accounts import SESSION_HOURS, end_session, login, new_session
from ..store.errors import Conflict, Forbidden, Invalid, NotFound
from . import admin, api, pages, robustness
from .auth import LANG_COOKIE, SESSION_COOKIE, CallerDep, DbDep, set_cookie
from .i18n import LANGS
from .jobs import JobRunner
from .pagecache import PageCache
from .render import render

__all__ = ["CSP", "create_app", "plotly_js"]

#: Scripts from this origin only. Styles also allow inline ones: plotly.js sets style attributes and adds its rules
#: in a <style> element (its charts break without them); a style cannot run code.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
LOGIN_CSRF = "cl_login_csrf"


def plotly_js() -> Path:
    """plotly.js as the installed plotly package ships it."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


class SecurityHeaders:
    """Security headers on every response (a plain ASGI middleware: Starlette's BaseHTTPMiddleware would run each
    request in an extra task and stream its body through a queue). Pages may allow revalidation with their own
    ``Cache-Control``; everything else but static files is ``no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope["path"]).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _problem(status: int, detail: str, fields: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "fields": fields or {}}, status_code=status)


def _error(request: Request, status: int, detail: str, fields: dict[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api/"):
        return _problem(status, detail, fields)
    if status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return render(request, "error.html", {"status": status, "detail": detail}, status=status)


def create_app(store: Store) -> FastAPI:
    """The application over ``store`` (an opened, upgraded workspace store). Its background job runner (robustness
    analyses) starts and stops with the server (the ASGI lifespan)."""
    runner = JobRunner(store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner.start()
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(title="clusterleap", version=cl.__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  description="The evaluation rounds of a clusterleap workspace: rounds, submissions, runs, results.",
                  lifespan=lifespan)
    app.state.store = store
    app.state.jobs = runner
    app.state.pages = PageCache()
    app.state.reports = {}
    app.add_middleware(SecurityHeaders)

    statuses: list[tuple[type[Exception], int]] = [(NotFound, 404), (Forbidden, 403), (Conflict, 409)]
    for exc_type, status in statuses:
        def handler(request: Request, exc: Exception, status: int = status) -> Response:
            return _error(request, status, str(exc))
        app.add_exception_handler(exc_type, handler)

    def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Invalid)
        return _error(request, 422, str(exc), exc.fields)

    def engine_error(request: Request, exc: Exception) -> Response:
        return _error(request, 422, str(exc))

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(request, exc.status_code, str(exc.detail))

    def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = {".".join(str(p) for p in e["loc"][1:]) or "body": str(e["msg"]) for e in exc.errors()}
        return _error(request, 422, "the request does not match the schema", fields)

    def concurrent(request: Request, exc: Exception) -> Response:
        return _error(request, 409, "someone changed this at the same moment: reload and try again")

    app.add_exception_handler(IntegrityError, concurrent)
    app.add_exception_handler(Invalid, invalid)
    app.add_exception_handler(cl.ClusterleapError, engine_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation)

    app.mount("/static", StaticFiles(directory=str(resources.files("clusterleap.serve") / "static")),
              name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_page(request: Request, c: CallerDep, next: str = "/") -> Response:
        if c.actor is not None:
            return RedirectResponse(_local(next), status_code=303)
        return _login_form(request, next, "", 200)

    @app.post("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_submit(request: Request, session: DbDep, username: Annotated[str, Form()] = "",
                     password: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
                     next: Annotated[str, Form()] = "/") -> Response:
        expected = request.cookies.get(LOGIN_CSRF, "")
        if not expected or not secrets.compare_digest(expected, csrf):
            return _login_form(request, next, "login_csrf", 403)
        ip = request.client.host if request.client else ""
        try:
            user = login(session, username.strip(), password, ip)
        except Invalid:
            return _login_form(request, next, "login_throttled", 429)
        if user is None:
            return _login_form(request, next, "login_failed", 401)
        secret, _ = new_session(session, user)
        response = RedirectResponse(_local(next), status_code=303)
        set_cookie(request, response, SESSION_COOKIE, secret, SESSION_HOURS * 3600)
        response.delete_cookie(LOGIN_CSRF, path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, c: CallerDep, session: DbDep) -> Response:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            end_session(session, secret)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/lang/{code}", include_in_schema=False)
    def switch_language(request: Request, code: str, next: str = "/") -> Response:
        response = RedirectResponse(_local(next), status_code=303)
        if code in LANGS:
            set_cookie(request, response, LANG_COOKIE, code, 365 * 24 * 3600)
        return response

    app.include_router(api.router)
    app.include_router(pages.router)
    # administration: accounts, frameworks, recipes, rounds and the data template
    app.include_router(admin.api)
    app.include_router(admin.pages)
    # robustness analyses as background jobs: their API and page
    app.include_router(robustness.api_router)
    app.include_router(robustness.page_router)
    return app


def _local(target: str) -> str:
    """``target`` if it is a path on this site, else '/' (no open redirects)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_form(request: Request, next: str, error: str, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    ctx: dict[str, Any] = {"next": _local(next), "error": error, "csrf": token}
    response = render(request, "login.html", ctx, status=status)
    set_cookie(request, response, LOGIN_CSRF, token, 3600)
    return response
