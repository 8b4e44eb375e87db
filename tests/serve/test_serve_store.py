"""The workspace store: schema migrations (shipped, run on open, SQLite copied first), versioned objects that are
never overwritten, runs that keep their data and provenance, the engine's checks of submitted values, and nothing
lost when the server is killed with SIGKILL or hit by 50 concurrent clients."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import func, select

import clusterleap as cl
from clusterleap.illustrative import illustrative_frame
from clusterleap.store import migrate, open_store
from clusterleap.store.accounts import Actor, create_token
from clusterleap.store.models import Cluster, FrameworkVersion, Round, Run, RunUnit, Submission
from clusterleap.store.workspace import form_fields, framework_of, run_result, validate_values

from .conftest import YEARS, Workspace, client_for

ANALYST = Actor(2, "analyst", "analyst")


def test_schema_is_at_head_and_reopening_changes_nothing(workspace: Workspace) -> None:
    assert migrate.current_revision(workspace.store.engine) == migrate.head_revision()
    assert migrate.upgrade(workspace.store.engine) is None


def test_sqlite_is_copied_before_an_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ws.sqlite3"
    store = open_store(f"sqlite:///{path}")
    assert store.backup is None  # a new database: nothing to keep
    with store.session() as db:
        db.add(Cluster(code="X1", name="kept"))
    store.engine.dispose()
    head = migrate.head_revision()
    monkeypatch.setattr(migrate, "head_revision", lambda: "9999")  # as if a newer release shipped a migration
    again = open_store(f"sqlite:///{path}")
    assert again.backup == tmp_path / f"ws.sqlite3.bak-{head}"
    copy = sqlite3.connect(again.backup)
    assert copy.execute("select name from clusters").fetchall() == [("kept",)]
    assert copy.execute("select version_num from alembic_version").fetchall() == [(head,)]


def test_submissions_are_versions_never_overwritten(workspace: Workspace) -> None:
    client = client_for(workspace, "contributor")
    first = client.put("/api/rounds/3/submissions/CN001", json={"values": {"rd_intensity": "2.5"}}).json()
    second = client.put("/api/rounds/3/submissions/CN001", json={"values": {"rd_intensity": "3.0"}}).json()
    assert (first["version"], second["version"]) == (1, 2)
    versions = client.get("/api/rounds/3/submissions/CN001/versions").json()
    assert [(v["version"], v["state"], v["values"]["rd_intensity"]) for v in versions] == [
        (1, "draft", 2.5), (2, "draft", 3.0)]
    submitted = client.put("/api/rounds/3/submissions/CN001?submit=true", json={"values": {"rd_intensity": "3.0"}})
    assert submitted.json()["state"] == "submitted"
    again = client.put("/api/rounds/3/submissions/CN001", json={"values": {"rd_intensity": "9"}})
    assert again.status_code == 409  # submitted data changes only after it is returned
    analyst = client_for(workspace, "analyst")
    r = analyst.post("/api/rounds/3/submissions/CN001/review", json={"decision": "return", "comment": ""})
    assert r.status_code == 422 and "comment" in r.json()["fields"]
    r = analyst.post("/api/rounds/3/submissions/CN001/review", json={"decision": "return", "comment": "R&D?"})
    assert r.json()["state"] == "returned" and r.json()["comment"] == "R&D?"
    fixed = client.put("/api/rounds/3/submissions/CN001?submit=true", json={"values": {"rd_intensity": "3.1"}})
    assert fixed.json()["version"] == 5
    with workspace.store.session() as db:
        n = db.scalar(select(func.count()).select_from(Submission).where(Submission.unit == "CN001",
                                                                          Submission.round_id == 3))
    assert n == 5
    audit = [a["action"] for a in analyst.get("/api/audit?limit=6").json()]
    assert audit[:5] == ["submission.submit", "submission.return", "submission.submit", "submission.save",
                         "submission.save"]


def test_a_new_run_keeps_the_old_and_regenerates_exactly(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    new = analyst.post("/api/rounds/2/runs").json()
    with workspace.store.session() as db:
        old = db.get_one(Run, 2)
        assert new["data_hash"] == old.data_hash  # the same accepted data
        rows = {u.unit: u.summary["score"] for u in db.scalars(select(RunUnit).where(RunUnit.run_id == 2))}
        new_rows = {u.unit: u.summary["score"] for u in
                    db.scalars(select(RunUnit).where(RunUnit.run_id == new["id"]))}
        _, result = run_result(db, ANALYST, 2)  # regenerated from the stored provenance and data
        # eleven clusters submitted; those the demo recipe's coverage rule screens out are not scored
        screened = int(result.coverage["screened_out"].sum())
        assert rows == new_rows and len(rows) == old.n_units == len(result.units) == 11 - screened
        for unit, score in rows.items():
            assert result.score().loc[unit] == pytest.approx(score, rel=0, abs=1e-12)
        assert db.get_one(Round, 2).published_run_id == 2  # publishing stays with the run chosen


def test_values_are_checked_by_the_engine(sqlite_workspace: Workspace) -> None:
    with sqlite_workspace.store.session() as db:
        rnd = db.get_one(Round, 3)
        fields = form_fields(db, rnd)
        fw = framework_of(db.get_one(FrameworkVersion, rnd.framework_id))
        unit = db.get_one(Cluster, "CN001")
    raw = {"rd_intensity": "12,5%", "invention_patents": " 1500 ", "pct_applications": "NA", "global_brands": "",
           "domestic_supply_share": "-3", "listed_firms": "1e9", "bogus": "1"}
    values, errors, warnings = validate_values(fields, raw, unit, 2024, fw)
    assert errors["rd_intensity"].startswith("'12,5%' is not a number (expected a decimal number with '.'")
    assert errors["domestic_supply_share"] == "-3 is outside 0 to 100 (expected a value in '% of purchases')"
    assert errors["bogus"] == "'bogus' is not an input of this form"
    assert values["invention_patents"] == 1500.0
    assert values["pct_applications"] is None and values["global_brands"] is None
    assert "far outside last round's values" in warnings["listed_firms"]
    assert set(errors) == {"rd_intensity", "domestic_supply_share", "bogus"}
    assert isinstance(fw, cl.Framework)


# -- nothing lost -------------------------------------------------------------------------------------------------
def _serve(path: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "from clusterleap.cli import main; main()", "serve", "--db", f"sqlite:///{path}",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"the server did not start: {proc.stdout.read() if proc.stdout else b''!r}")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kill_9_loses_nothing_accepted_and_leaves_no_half_run(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = Path(sqlite_workspace.store.engine.url.database or "")
    with sqlite_workspace.store.session() as db:
        token = create_token(db, "analyst")
    sqlite_workspace.store.engine.dispose()
    auth = {"Authorization": f"Bearer {token}"}
    port = _port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(path, port)
    try:
        subs = httpx.get(f"{base}/api/rounds/3/submissions", headers=auth).json()
        for s in subs:
            r = httpx.post(f"{base}/api/rounds/3/submissions/{s['unit']}/review", headers=auth,
                           json={"decision": "accept"}, timeout=30)
            assert r.status_code == 200
        accepted = {s["unit"]: s["values"] for s in httpx.get(f"{base}/api/rounds/3/submissions",
                                                               headers=auth).json()}
        # kill -9 in the middle of an evaluation
        t = threading.Thread(target=lambda: httpx.post(f"{base}/api/rounds/3/runs", headers=auth, timeout=60),
                             daemon=True)
        t.start()
        time.sleep(0.4)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    proc = _serve(path, port)
    try:
        after = {s["unit"]: s for s in httpx.get(f"{base}/api/rounds/3/submissions", headers=auth).json()}
        assert {u: s["values"] for u, s in after.items()} == accepted
        assert all(s["state"] == "accepted" for s in after.values())
        runs = httpx.get(f"{base}/api/rounds/3/runs", headers=auth).json()
        for run in runs:  # a run is there whole or not at all
            ranking = httpx.get(f"{base}/api/rounds/3/ranking", headers=auth).json()
            assert len(ranking["rows"]) == run["n_units"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = open_store(f"sqlite:///{path}")
    with store.session() as db:
        for run in db.scalars(select(Run)):
            n = db.scalar(select(func.count()).select_from(RunUnit).where(RunUnit.run_id == run.id))
            assert n == run.n_units


def test_50_concurrent_clients_lose_nothing(workspace: Workspace) -> None:
    """50 clients save drafts of the same two clusters at once: each reply is either a new version, which is then
    stored exactly as sent, or 409 (someone else took that version number); nothing else."""
    with workspace.store.session() as db:
        token = create_token(db, "admin")
    app_client = client_for(workspace)
    auth = {"Authorization": f"Bearer {token}"}

    def save(i: int) -> tuple[int, dict[str, object]]:
        unit = "CN001" if i % 2 else "CN002"
        r = app_client.put(f"/api/rounds/3/submissions/{unit}", headers=auth,
                           json={"values": {"rd_intensity": f"{i}.5"}})
        return r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        replies = list(pool.map(save, range(50)))
    assert {status for status, _ in replies} <= {200, 409}
    ok = [body for status, body in replies if status == 200]
    assert ok
    with workspace.store.session() as db:
        stored = {(s.unit, s.version): s.values["rd_intensity"] for s in
                  db.scalars(select(Submission).where(Submission.round_id == 3))}
    for body in ok:
        assert stored[(body["unit"], body["version"])] == body["values"]["rd_intensity"]
    assert len([k for k in stored if k[0] in ("CN001", "CN002")]) == len(ok)


def test_upload_of_many_clusters_is_all_or_nothing(workspace: Workspace, tmp_path: Path) -> None:
    frame = illustrative_frame(n_domestic=8, n_benchmark=3, years=YEARS)
    mine = frame[frame.unit.isin(["CN001", "CN002"]) & (frame.year == 2024)]
    client = client_for(workspace, "contributor")
    bad = mine.astype(object).copy()
    bad.loc[bad.index[0], "rd_intensity"] = "12,5%"
    r = client.post("/api/rounds/3/submissions", files={"file": ("ours.csv", bad.to_csv(index=False).encode(),
                                                                 "text/csv")})
    assert r.status_code == 422
    assert r.json()["fields"]["CN001.rd_intensity"].startswith(  # at its cell, by cluster and field
        'ours.csv line 2, column "rd_intensity": \'12,5%\' is not a number')
    assert client.get("/api/rounds/3/submissions").json() == []  # CN002's good row was not saved either
    r = client.post("/api/rounds/3/submissions?submit=true",
                    files={"file": ("ours.csv", mine.to_csv(index=False).encode(), "text/csv")})
    assert r.status_code == 200, r.text
    assert [(s["unit"], s["version"], s["state"]) for s in r.json()] == [("CN001", 1, "submitted"),
                                                                          ("CN002", 1, "submitted")]
    assert r.json()[0]["values"]["rd_intensity"] == pytest.approx(float(mine.iloc[0]["rd_intensity"]))
    other = client_for(workspace, "contrib-b")
    theirs = frame[frame.unit.isin(["CN003"]) & (frame.year == 2024)]
    body = pd.concat([theirs, mine]).to_csv(index=False).encode()
    r = other.post("/api/rounds/3/submissions", files={"file": ("mixed.csv", body, "text/csv")})
    assert r.status_code == 422
    fields = r.json()["fields"]
    assert fields["CN001"] == "mixed.csv line 3: 'CN001' is not a cluster you may enter data for"
    assert "CN003" in fields  # CN003 is submitted already: it changes only when returned
    with workspace.store.session() as db:
        n = db.scalar(select(func.count()).select_from(Submission).where(Submission.unit == "CN003",
                                                                          Submission.round_id == 3))
    assert n == 1
