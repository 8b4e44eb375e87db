"""The server-rendered pages. They read through the same workspace operations as the JSON API (so the same
authorisation holds) and act through the API from the pages' script."""

from __future__ import annotations

import json
import statistics
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..store import workspace as ws
from ..store.accounts import Actor
from ..store.errors import Invalid, NotFound
from ..store.models import Cluster, FrameworkVersion, RecipeVersion, Round, Run
from .auth import Caller, CallerDep, DbDep, Id
from .pagecache import cached_page, robustness_signature
from .render import lang_of, render
from .robustness import cluster_interval

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _ctx(c: Caller, **more: Any) -> dict[str, Any]:
    return {"actor": c.actor, "csrf": c.csrf, **more}


def _round_ctx(session: Session, actor: Actor, rnd: Round) -> dict[str, Any]:
    fw = session.get_one(FrameworkVersion, rnd.framework_id)
    rc = session.get_one(RecipeVersion, rnd.recipe_id)
    return {"round": rnd, "framework": fw, "recipe": rc}


@router.get("/")
def home(request: Request, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    return RedirectResponse("/rounds", status_code=303)


@router.get("/rounds")
def rounds(request: Request, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    rows = []
    for r in ws.list_rounds(session, c.actor):
        fw = session.get_one(FrameworkVersion, r.framework_id)
        subs = ws.current_submissions(session, r.id, None if c.actor.is_staff else sorted(c.actor.clusters)) \
            if c.actor.role != "viewer" else {}
        counts: dict[str, int] = {}
        for s in subs.values():
            counts[s.state] = counts.get(s.state, 0) + 1
        rows.append({"round": r, "framework": fw, "counts": counts, "n": len(subs)})
    return render(request, "rounds.html", _ctx(c, rows=rows))


def _filter_options(rows: list[dict[str, Any]], key: str) -> list[str]:
    return sorted({str(r[key]) for r in rows if r.get(key) and not r["benchmark"]})


@router.get("/rounds/{round_id}")
async def ranking_page(request: Request, round_id: Id, sector: str = "", region: str = "", grade: str = "",
                       sort: str = "rank") -> Response:
    def page(c: Caller, session: Session) -> Response:
        return _ranking_page(request, round_id, c, session, sector, region, grade, sort)
    # pages of stored runs, rendered once (see pagecache); one worker thread for the whole request
    return await run_in_threadpool(cached_page, request, page, lambda session: None, _login)


def _ranking_page(request: Request, round_id: int, c: Caller, session: Session, sector: str, region: str,
                  grade: str, sort: str) -> Response:
    assert c.actor is not None
    rnd = ws.get_round(session, c.actor, round_id)
    ctx = _round_ctx(session, c.actor, rnd)
    try:
        run, rows = ws.ranking(session, c.actor, round_id)
    except NotFound:
        return render(request, "ranking.html", _ctx(c, **ctx, run=None, rows=[], bench=[]))
    fw = ws.framework_of(ctx["framework"])
    dims = list(fw.children[fw.root.code])
    lang = lang_of(request)
    options = {"sector": _filter_options(rows, "sector"), "region": _filter_options(rows, "region"),
               "grade": sorted({r["grade_zh" if lang == "zh" else "grade"] for r in rows if not r["benchmark"]})}
    domestic = [r for r in rows if not r["benchmark"]
                and (not sector or r["sector"] == sector) and (not region or r["region"] == region)
                and (not grade or r["grade_zh" if lang == "zh" else "grade"] == grade)]
    if sort in dims:
        domestic.sort(key=lambda r: -(r["dimensions"].get(sort) or -1e300))
    bench = [r for r in rows if r["benchmark"]]
    illustrative = bool(session.scalar(select(Cluster.illustrative).where(Cluster.code == rows[0]["unit"])))
    return render(request, "ranking.html", _ctx(
        c, **ctx, run=run, rows=domestic, bench=bench, dims=[(d, fw[d].label(lang)) for d in dims],
        options=options, chosen={"sector": sector, "region": region, "grade": grade, "sort": sort},
        n_all=len(rows), illustrative=illustrative))


@router.get("/rounds/{round_id}/clusters/{unit}")
async def cluster_page(request: Request, round_id: Id, unit: str) -> Response:
    def page(c: Caller, session: Session) -> Response:
        return _cluster_page(request, round_id, unit, c, session)

    def signature(session: Session) -> int | None:
        return robustness_signature(session, round_id)
    return await run_in_threadpool(cached_page, request, page, signature, _login)


def _cluster_page(request: Request, round_id: int, unit: str, c: Caller, session: Session) -> Response:
    assert c.actor is not None
    rnd = ws.get_round(session, c.actor, round_id)
    ctx = _round_ctx(session, c.actor, rnd)
    run, prof = ws.cluster_view(session, c.actor, round_id, unit)
    fw = ws.framework_of(ctx["framework"])
    lang = lang_of(request)
    dims = list(fw.children[fw.root.code])
    labels = [fw[d].label(lang) for d in dims]
    bm = prof.get("benchmark_profile") or {}
    radar = {"labels": labels, "series": [
        {"name": "this_cluster", "values": [prof["scores"].get(d) for d in dims]},
        *([{"name": "benchmark_median", "values": [bm.get(d) for d in dims]}] if bm else []),
    ]}
    history = ws.cluster_history(session, c.actor, unit)
    hist_chart = {"years": [h["year"] for h in history], "rank": [h["rank"] for h in history],
                  "score": [h["score"] for h in history], "n": [h["n_units"] for h in history]}
    node_label = {code: fw[code].label(lang) for code in fw.order}
    return render(request, "cluster.html", _ctx(
        c, **ctx, run=run, p=prof, dims=dims, node_label=node_label,
        radar_json=json.dumps(radar, ensure_ascii=False), history=history,
        history_json=json.dumps(hist_chart), root=fw.root.code,
        interval=cluster_interval(session, run.id, unit)))


@router.get("/rounds/{round_id}/compare")
def compare_page(request: Request, round_id: Id, c: CallerDep, session: DbDep,
                 units: Annotated[list[str] | None, Query()] = None) -> Response:
    """Two to four clusters side by side: dimension scores (radar and table), index, rank, grade and type."""
    if c.actor is None:
        return _login(request)
    rnd = ws.get_round(session, c.actor, round_id)
    ctx = _round_ctx(session, c.actor, rnd)
    chosen = list(dict.fromkeys(units or []))
    if not 2 <= len(chosen) <= 4:
        raise Invalid(f"choose 2 to 4 clusters to compare (got {len(chosen)})", field="units")
    views = [ws.cluster_view(session, c.actor, round_id, u)[1] for u in chosen]
    fw = ws.framework_of(ctx["framework"])
    lang = lang_of(request)
    dims = list(fw.children[fw.root.code])
    labels = [fw[d].label(lang) for d in dims]
    names = [(v["summary"]["name_zh"] if lang == "zh" and v["summary"]["name_zh"] else v["name"]) for v in views]
    radar = {"labels": labels, "series": [{"name": n, "values": [v["scores"].get(d) for d in dims]}
                                          for n, v in zip(names, views, strict=True)]}
    return render(request, "compare.html", _ctx(
        c, **ctx, views=views, names=names, dims=[(d, fw[d].label(lang)) for d in dims],
        radar_json=json.dumps(radar, ensure_ascii=False), chart_names="|".join(names)))


@router.get("/trends")
def trends_page(request: Request, c: CallerDep, session: DbDep) -> Response:
    """The rounds side by side: clusters evaluated, the domestic clusters' mean and median index, the benchmark
    median and the grade distribution, from each round's visible run."""
    if c.actor is None:
        return _login(request)
    lang = lang_of(request)
    rows: list[dict[str, Any]] = []
    grades: list[str] = []
    for rnd in sorted(ws.list_rounds(session, c.actor), key=lambda r: r.year):
        try:
            run, summaries = ws.ranking(session, c.actor, rnd.id)
        except NotFound:
            continue
        dom = [r["score"] for r in summaries if not r["benchmark"] and r["score"] is not None]
        bench = [r["score"] for r in summaries if r["benchmark"] and r["score"] is not None]
        counts: dict[str, int] = {}
        for r in summaries:
            if not r["benchmark"]:
                g = r["grade_zh" if lang == "zh" else "grade"]
                counts[g] = counts.get(g, 0) + 1
                if g not in grades:
                    grades.append(g)
        rows.append({"round": rnd, "run": run, "n": len(summaries), "n_domestic": len(dom),
                     "mean": statistics.fmean(dom) if dom else None,
                     "median": statistics.median(dom) if dom else None,
                     "bench": statistics.median(bench) if bench else None, "counts": counts})
    # grades from the highest tier down: by the mean index of the clusters that got them
    level: dict[str, list[float]] = {}
    for row in rows:
        for r in ws.ranking(session, c.actor, row["round"].id)[1]:
            if not r["benchmark"] and r["score"] is not None:
                level.setdefault(r["grade_zh" if lang == "zh" else "grade"], []).append(r["score"])
    grades.sort(key=lambda g: -statistics.fmean(level[g]) if level.get(g) else 0.0)
    chart = {"years": [r["round"].year for r in rows], "mean": [r["mean"] for r in rows],
             "bench": [r["bench"] for r in rows]}
    # one comparable basis for every round (fixed goalposts, or the same frozen reference): levels compare over rounds
    bases = {json.dumps(row["run"].provenance.get("recipe", {}).get("basis", "relative"), sort_keys=True)
             for row in rows}
    comparable = len(bases) == 1 and bases != {json.dumps("relative")}
    return render(request, "trends.html", _ctx(c, rows=rows, grades=grades, chart_json=json.dumps(chart),
                                               comparable=comparable))


@router.get("/rounds/{round_id}/submissions")
def submissions_page(request: Request, round_id: Id, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    rnd = ws.get_round(session, c.actor, round_id)
    if c.actor.role == "viewer":
        raise NotFound(f"no submissions visible in round {round_id}")
    ctx = _round_ctx(session, c.actor, rnd)
    units = None if c.actor.is_staff else sorted(c.actor.clusters)
    subs = ws.current_submissions(session, round_id, units)
    q = select(Cluster).order_by(Cluster.benchmark, Cluster.code)
    if units is not None:
        q = q.where(Cluster.code.in_(units))
    clusters = list(session.scalars(q))
    runs = list(session.scalars(select(Run).where(Run.round_id == round_id).order_by(Run.id.desc()))) \
        if c.actor.is_staff else []
    counts: dict[str, int] = {}
    for cl_ in clusters:
        st = subs[cl_.code].state if cl_.code in subs else "not_entered"
        counts[st] = counts.get(st, 0) + 1
    return render(request, "submissions.html", _ctx(c, **ctx, clusters=clusters, subs=subs, runs=runs,
                                                    counts=counts))


@router.get("/rounds/{round_id}/submissions/{unit}")
def submission_page(request: Request, round_id: Id, unit: str, c: CallerDep, session: DbDep) -> Response:
    if c.actor is None:
        return _login(request)
    rnd = ws.get_round(session, c.actor, round_id)
    current = ws.get_submission(session, c.actor, round_id, unit)
    ctx = _round_ctx(session, c.actor, rnd)
    fields = ws.form_fields(session, rnd)
    versions = ws.submission_history(session, c.actor, round_id, unit)
    editable = (c.actor.role in ("contributor", "admin") and rnd.state == "collecting"
                and (current is None or current.state in ("draft", "returned")))
    returned = next((v for v in reversed(versions) if v.state == "returned"), None)
    return render(request, "submission.html", _ctx(
        c, **ctx, unit=session.get_one(Cluster, unit), current=current, fields=fields, versions=versions,
        editable=editable, returned=returned if current is not None and current.state == "returned" else None,
        values=current.values if current else {}))


@router.get("/audit")
def audit_page(request: Request, c: CallerDep, session: DbDep, page: int = 1) -> Response:
    if c.actor is None:
        return _login(request)
    page = max(page, 1)
    rows = ws.audit_log(session, c.actor, 100, (page - 1) * 100)
    return render(request, "audit.html", _ctx(c, entries=rows, page=page,
                                              detail=lambda d: json.dumps(d, ensure_ascii=False)))
