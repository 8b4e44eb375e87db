"""Rendering the pages: one Jinja2 environment with autoescaping, the language of the request and its strings."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from ..illustrative import BENCHMARK_REGION, REGIONS, SECTORS
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

#: metadata vocabulary in Chinese: the sectors and regions of the built-in illustrative data (other values, entered
#: by users, are shown as entered)
META_ZH: dict[str, str] = {**{s[0]: s[1] for s in SECTORS}, **{r[0]: r[1] for r in REGIONS},
                           BENCHMARK_REGION[0]: BENCHMARK_REGION[1]}


@pass_context
def meta(ctx: Context, value: Any) -> str:
    """A sector or region in the page's language."""
    text = "" if value is None else str(value)
    return META_ZH.get(text, text) if ctx.get("lang") == "zh" else text


@pass_context
def round_title(ctx: Context, rnd: Any) -> str:
    """A round's title; a title clusterleap generated (``Evaluation round 2024`` for a round created without one,
    ``... (illustrative)`` for the demo's) in the page's language, a title a person entered as entered."""
    generated = f"Evaluation round {rnd.year}"
    if ctx.get("lang") == "zh" and rnd.title in (generated, f"{generated} (illustrative)"):
        return f"{rnd.year} 年度评价" + ("（示意数据）" if rnd.title != generated else "")
    return str(rnd.title)


_env.filters["meta"] = meta
_env.filters["round_title"] = round_title


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "en")
    return lang if lang in LANGS else "en"


def render(request: Request, template: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    full = {"request": request, "lang": lang, "s": STRINGS[lang], "path": request.url.path,
            "query": str(request.url.query), **ctx}
    return HTMLResponse(_env.get_template(template).render(full), status_code=status)
