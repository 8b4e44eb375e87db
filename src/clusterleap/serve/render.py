"""Rendering the pages: one Jinja2 environment with autoescaping, the language of the request and its strings."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .auth import LANG_COOKIE
from .i18n import LANGS, STRINGS

__all__ = ["fmt", "lang_of", "render"]

_env = Environment(loader=FileSystemLoader(str(resources.files("clusterleap.serve") / "templates")),
                   autoescape=select_autoescape(["html", "j2"], default=True), trim_blocks=True,
                   lstrip_blocks=True)


def fmt(value: Any, digits: int = 1) -> str:
    """A number for a table cell ('–' for missing)."""
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:
            return "–"
        return f"{value:.{digits}f}"
    return str(value)


_env.filters["num"] = fmt


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "en")
    return lang if lang in LANGS else "en"


def render(request: Request, template: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    full = {"request": request, "lang": lang, "s": STRINGS[lang], "path": request.url.path,
            "query": str(request.url.query), **ctx}
    return HTMLResponse(_env.get_template(template).render(full), status_code=status)
