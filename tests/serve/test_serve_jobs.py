"""Robustness analyses as background jobs, on SQLite and on PostgreSQL: started through the API, run by the
server's runner in a child process, followed, cancelled; results stored whole with provenance and equal to the
engine's own analysis; a job left running by a stopped or killed server is marked interrupted and leaves nothing
half-written; the cluster page and its API show the rank interval. The seeded workspace: runs 1 (2022) and 2 (2023)
published with 11 clusters (8 domestic, 3 benchmarks)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

import clusterleap as cl
from clusterleap.robustness import Problem, Space, propagate
from clusterleap.serve.app import create_app
from clusterleap.store import jobs as sj
from clusterleap.store import open_store
from clusterleap.store.accounts import Actor, create_token
from clusterleap.store.migrate import alembic_config
from clusterleap.store.models import Base, Job, JobUnit, Run

from .conftest import Workspace, login
from .test_serve_store import _port, _serve

ANALYST = Actor(2, "analyst", "analyst")


@pytest.fixture
def running(workspace: Workspace) -> Iterator[tuple[TestClient, Workspace]]:
    """The analyst's client of an app whose job runner runs (the ASGI lifespan starts and stops it)."""
    with TestClient(create_app(workspace.store), follow_redirects=False) as client:
        login(client, "analyst", workspace.passwords["analyst"])
        yield client, workspace


def _wait(client: TestClient, job_id: int, until: tuple[str, ...] = ("done", "failed", "cancelled"),
          timeout: float = 120, progress: float = -1.0) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in until and job["progress"] > progress:
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job_id} did not reach {until} within {timeout} s: {job}")


def test_migrations_match_the_models(workspace: Workspace) -> None:
    """The shipped migrations build exactly the tables the models declare (nothing autogenerate would add)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with workspace.store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}), Base.metadata)
        assert diff == []
        assert {"started_at", "finished_at"} <= {c["name"] for c in inspect(conn).get_columns("jobs")}
    assert alembic_config().get_main_option("script_location")


def test_a_robustness_run_in_the_background(running: tuple[TestClient, Workspace]) -> None:
    client, ws = running
    r = client.post("/api/runs/2/robustness", json={"samples": 300, "seed": 11})
    assert r.status_code == 201, r.text
    job = r.json()
    assert (job["state"], job["samples"], job["seed"], job["round_id"]) == ("queued", 300, 11, 2)
    assert job["space"] == {"name": "weights ±25 %", "factors": [{"name": "weights", "weights": {"noise": 0.25}}]}
    done = _wait(client, job["id"])
    assert done["state"] == "done", done
    assert done["progress"] == 1.0 and done["started_at"] and done["finished_at"]
    res = done["result"]
    prov = res["provenance"]
    with ws.store.session() as db:
        run = db.get_one(Run, 2)
        assert (prov["run_id"], prov["data_hash"], prov["seed"], prov["samples"]) == (2, run.data_hash, 11, 300)
        data, provenance = run.data, run.provenance
    assert res["summary"]["failed"] == 0 and res["messages"] == []
    assert [t["code"] for t in res["tiers"]][:2] == ["world_class", "candidate"]

    # the stored intervals are the engine's: the same space, seed and samples give the same rank quantiles
    result = cl.regenerate(provenance, cl.read_data(pd.DataFrame(data)))
    problem = Problem.build(result.framework, result.data, result.recipe, Space.from_dict(prov["space"]),
                            result.year)
    ref = propagate(problem, problem.sample(300, 11)).rank_intervals()
    ref = ref[ref["node"] == "WCI"].set_index("unit")
    units = {u["unit"]: u for u in client.get(f"/api/jobs/{job['id']}/units").json()}
    assert set(units) == set(result.units)
    for unit, row in ref.iterrows():
        iv = units[str(unit)]["intervals"]["WCI"]
        assert (iv["nominal"], iv["median"], iv["lo"], iv["hi"]) == (
            row["nominal_rank"], row["median_rank"], row["rank_p5"], row["rank_p95"])
        assert iv["lo"] <= iv["nominal"] <= iv["hi"] or iv["nominal"] is None
        p = units[str(unit)]["grades"]["p"]
        assert sum(v for v in p.values() if v is not None) == pytest.approx(1.0)
    # the nominal rank is the run's own rank
    ranking = {r["unit"]: r["rank"] for r in client.get("/api/rounds/2/ranking").json()["rows"]}
    assert {u: units[u]["intervals"]["WCI"]["nominal"] for u in units} == ranking

    # the cluster page and its API show the interval of this latest analysis
    prof = client.get("/api/rounds/2/clusters/CN001").json()["robustness"]
    iv = units["CN001"]["intervals"]["WCI"]
    assert prof["job_id"] == job["id"] and prof["interval"] == iv
    page = client.get("/rounds/2/clusters/CN001").text
    assert f"{int(iv['lo'])}–{int(iv['hi'])}" in page and 'id="rank-interval"' in page
    assert client.get("/api/rounds/1/clusters/CN001").json()["robustness"] is None  # no analysis of round 1
    listing = client.get("/rounds/2/robustness").text
    assert 'id="intervals"' in listing and f"#{job['id']}" in listing
    audit = [a["action"] for a in client.get("/api/audit?limit=5").json()]
    assert "robustness.start" in audit and "robustness.done" in audit


def test_an_empty_space_gives_every_unit_its_nominal_rank(running: tuple[TestClient, Workspace]) -> None:
    """Without uncertainty every sample is the nominal evaluation: intervals shrink to the rank, no shift, and the
    nominal grade has probability 1."""
    client, _ = running
    job = client.post("/api/runs/2/robustness", json={"samples": 20, "seed": 1, "space": "factors: []\n"}).json()
    assert _wait(client, job["id"])["state"] == "done"
    ranking = {r["unit"]: r for r in client.get("/api/rounds/2/ranking").json()["rows"]}
    for u in client.get(f"/api/jobs/{job['id']}/units").json():
        iv = u["intervals"]["WCI"]
        assert iv["lo"] == iv["hi"] == iv["median"] == iv["nominal"] == ranking[u["unit"]]["rank"]
        assert iv["shift"] == 0.0 and iv["valid"] == 20
        nominal = u["grades"]["nominal"] or "ungraded"
        assert u["grades"]["p"][nominal] == 1.0


def test_bad_parameters_are_named(running: tuple[TestClient, Workspace]) -> None:
    client, _ = running
    r = client.post("/api/runs/2/robustness", json={"samples": 5})
    assert r.status_code == 422 and "samples" in r.json()["fields"]
    r = client.post("/api/runs/2/robustness", json={"space": "factors:\n  - weights: {noise: 2}\n"})
    assert r.status_code == 422 and "noise" in r.json()["fields"]["space"]
    r = client.post("/api/runs/2/robustness", json={"space": "factors: [\n"})
    assert r.status_code == 422 and r.json()["fields"]["space"].startswith("space line")
    r = client.post("/api/runs/99/robustness", json={})
    assert r.status_code == 404
    # a space the engine refuses when it builds the problem fails the job with the engine's message
    job = client.post("/api/runs/2/robustness", json={
        "samples": 20, "space": "factors:\n  - goalposts: {no_such_indicator: {hi: [1, 2]}}\n"}).json()
    failed = _wait(client, job["id"])
    assert failed["state"] == "failed" and "no_such_indicator" in failed["phase"]
    assert failed["result"] is None
    assert client.get(f"/api/jobs/{job['id']}/units").status_code == 409


def test_cancel_stops_the_work_and_keeps_nothing(running: tuple[TestClient, Workspace]) -> None:
    client, ws = running
    job = client.post("/api/runs/2/robustness", json={"samples": 20000, "seed": 3}).json()
    queued = client.post("/api/runs/2/robustness", json={"samples": 20}).json()
    _wait(client, job["id"], until=("running",), progress=0.06)  # propagating
    r = client.post(f"/api/jobs/{queued['id']}/cancel")  # a queued one ends at once
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    r = client.post(f"/api/jobs/{job['id']}/cancel")
    assert r.status_code == 200 and r.json()["cancel_requested"]
    t0 = time.time()
    ended = _wait(client, job["id"], until=("cancelled", "done"), timeout=15)
    assert ended["state"] == "cancelled" and ended["result"] is None
    assert time.time() - t0 < 5
    assert client.post(f"/api/jobs/{job['id']}/cancel").status_code == 409
    with ws.store.session() as db:
        assert db.scalar(select(func.count()).select_from(JobUnit)) == 0
    assert client.get("/api/rounds/2/clusters/CN001").json()["robustness"] is None


def test_a_restart_marks_a_running_job_interrupted(workspace: Workspace) -> None:
    with workspace.store.session() as db:
        job = sj.start_robustness(db, ANALYST, 2, 20, 1)
        assert sj.claim_next(db) == job.id
    app = create_app(workspace.store)
    with TestClient(app, follow_redirects=False) as client:  # the server starts: its runner recovers first
        login(client, "analyst", workspace.passwords["analyst"])
        got = client.get(f"/api/jobs/{job.id}").json()
    assert (got["state"], got["result"], got["finished_at"] is not None) == ("interrupted", None, True)


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_kill_9_during_a_robustness_job_leaves_no_half_result(sqlite_workspace: Workspace) -> None:
    path = Path(sqlite_workspace.store.engine.url.database or "")
    with sqlite_workspace.store.session() as db:
        token = create_token(db, "analyst")
    sqlite_workspace.store.engine.dispose()
    auth = {"Authorization": f"Bearer {token}"}
    port = _port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(path, port)
    orphans: list[int] = []
    try:
        job = httpx.post(f"{base}/api/runs/2/robustness", headers=auth, json={"samples": 20000}).json()
        deadline = time.time() + 90
        while time.time() < deadline:
            got = httpx.get(f"{base}/api/jobs/{job['id']}", headers=auth).json()
            if got["state"] == "running" and got["progress"] > 0.1:
                break
            time.sleep(0.2)
        assert got["state"] == "running", got
        orphans = _children(proc.pid)
        assert orphans, "the analysis runs in a child process"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the database right after the kill: the job is still 'running', with no result and no unit rows
    opened = open_store(f"sqlite:///{path}")
    with opened.session() as db:
        row = db.get_one(Job, job["id"])
        assert (row.state, row.result) == ("running", None)
        assert db.scalar(select(func.count()).select_from(JobUnit)) == 0
    opened.engine.dispose()
    deadline = time.time() + 30  # the orphaned child notices and ends at its next progress step
    while any(_alive(p) for p in orphans) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in orphans)
    proc = _serve(path, port)
    try:
        got = httpx.get(f"{base}/api/jobs/{job['id']}", headers=auth).json()
        assert (got["state"], got["result"]) == ("interrupted", None)
        assert httpx.get(f"{base}/api/jobs/{job['id']}/units", headers=auth).status_code == 409
        assert httpx.get(f"{base}/api/rounds/2/clusters/CN001", headers=auth).json()["robustness"] is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_results_are_written_whole_or_not_at_all(workspace: Workspace) -> None:
    """``finish`` writes the unit rows and ``done`` in one transaction: a failure while writing leaves the job
    running with no rows (and a cancel that came in meanwhile stores nothing)."""
    with workspace.store.session() as db:
        job = sj.start_robustness(db, ANALYST, 2, 20, 5)
        sj.claim_next(db)
        inputs = sj.job_inputs(db, job.id)
    payload = sj.compute_robustness(inputs)
    broken = {**payload, "units": {**payload["units"], "CN001": {"intervals": {}}}}  # no 'grades': fails midway
    with pytest.raises(KeyError), workspace.store.session() as db:
        sj.finish(db, job.id, broken)
    with workspace.store.session() as db:
        assert db.get_one(Job, job.id).state == "running"
        assert db.scalar(select(func.count()).select_from(JobUnit)) == 0
        db.get_one(Job, job.id).cancel_requested = True
    with workspace.store.session() as db:
        assert sj.finish(db, job.id, payload) == "cancelled"
        assert db.scalar(select(func.count()).select_from(JobUnit)) == 0
    assert np.isfinite(payload["summary"]["seconds"])


def test_stopping_the_server_interrupts_the_running_job(sqlite_workspace: Workspace) -> None:
    with TestClient(create_app(sqlite_workspace.store), follow_redirects=False) as client:
        login(client, "analyst", sqlite_workspace.passwords["analyst"])
        job = client.post("/api/runs/2/robustness", json={"samples": 20000}).json()
        _wait(client, job["id"], until=("running",), progress=0.06)
    # the lifespan ended: the runner stopped the child and marked the job
    with sqlite_workspace.store.session() as db:
        row = db.get_one(Job, job["id"])
        assert (row.state, row.result) == ("interrupted", None)
        assert db.scalar(select(func.count()).select_from(JobUnit)) == 0
