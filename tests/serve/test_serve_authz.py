"""The authorisation matrix: every endpoint x role x own/other cluster gives the expected status, on SQLite and on
PostgreSQL. The seeded workspace: rounds 1 (2022) and 2 (2023) published, round 3 (2024) collecting, where CN003
has submitted and CN001/CN002 (the 'contributor' account's clusters) have entered nothing; 'contrib-b' contributes
for CN003."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Workspace, client_for

ROLES = ("anonymous", "admin", "analyst", "contributor", "contrib-b", "viewer")


def S(anonymous: int = 401, admin: int = 200, analyst: int = 200, contributor: int = 200, contrib_b: int | None = None,
      viewer: int = 200) -> dict[str, int]:
    return {"anonymous": anonymous, "admin": admin, "analyst": analyst, "contributor": contributor,
            "contrib-b": contributor if contrib_b is None else contrib_b, "viewer": viewer}


RECIPE = "normalise: {method: minmax, lo: 0, hi: 100}\naggregate: arithmetic\n"

# (name, method, path, json body, expected status by role)
READS: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("me", "GET", "/api/me", None, S()),
    ("rounds", "GET", "/api/rounds", None, S()),
    ("published round", "GET", "/api/rounds/1", None, S()),
    ("collecting round", "GET", "/api/rounds/3", None, S(viewer=404)),
    ("no such round", "GET", "/api/rounds/99", None, S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("form fields", "GET", "/api/rounds/3/fields", None, S(viewer=404)),
    ("submissions list", "GET", "/api/rounds/3/submissions", None, S(viewer=404)),
    ("submission of CN003 (other for contributor, own for contrib-b)", "GET", "/api/rounds/3/submissions/CN003",
     None, S(contributor=404, contrib_b=200, viewer=404)),
    ("submission of CN001 (own for contributor)", "GET", "/api/rounds/3/submissions/CN001", None,
     S(contributor=200, contrib_b=404, viewer=404)),
    ("versions of CN003", "GET", "/api/rounds/3/submissions/CN003/versions", None,
     S(contributor=404, contrib_b=200, viewer=404)),
    ("published submission of CN003", "GET", "/api/rounds/2/submissions/CN003", None,
     S(contributor=404, contrib_b=200, viewer=404)),
    ("no such cluster", "GET", "/api/rounds/3/submissions/XX999", None,
     S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("published ranking", "GET", "/api/rounds/2/ranking", None, S()),
    ("ranking of an unevaluated round", "GET", "/api/rounds/3/ranking", None,
     S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("published cluster profile", "GET", "/api/rounds/2/clusters/CN003", None, S()),
    ("history", "GET", "/api/clusters/CN003/history", None, S()),
    ("runs", "GET", "/api/rounds/2/runs", None, S()),
    ("report of a published run", "GET", "/api/runs/2/report?fmt=xlsx", None, S()),
    ("report of no run", "GET", "/api/runs/99/report?fmt=xlsx", None,
     S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("frameworks", "GET", "/api/frameworks", None, S()),
    ("recipes", "GET", "/api/recipes", None, S()),
    ("audit log", "GET", "/api/audit", None, S(contributor=403, viewer=403)),
    ("accounts", "GET", "/api/users", None, S(analyst=403, contributor=403, viewer=403)),
    ("openapi schema", "GET", "/api/openapi.json", None, S()),
    # pages
    ("rounds page", "GET", "/rounds", None, S(anonymous=303)),
    ("ranking page", "GET", "/rounds/2", None, S(anonymous=303)),
    ("cluster page", "GET", "/rounds/2/clusters/CN003", None, S(anonymous=303)),
    ("submissions page", "GET", "/rounds/3/submissions", None, S(anonymous=303, viewer=404)),
    ("submission page of CN003", "GET", "/rounds/3/submissions/CN003", None,
     S(anonymous=303, contributor=404, contrib_b=200, viewer=404)),
    ("audit page", "GET", "/audit", None, S(anonymous=303, contributor=403, viewer=403)),
    ("trends page", "GET", "/trends", None, S(anonymous=303)),
    ("compare page", "GET", "/rounds/2/compare?units=CN001&units=CN003", None, S(anonymous=303)),
    ("compare one cluster", "GET", "/rounds/2/compare?units=CN001", None,
     S(anonymous=303, admin=422, analyst=422, contributor=422, viewer=422)),
    # robustness analyses
    ("robustness analyses of a published round", "GET", "/api/rounds/2/robustness", None, S()),
    ("robustness analyses of a collecting round", "GET", "/api/rounds/3/robustness", None, S(viewer=404)),
    ("no such robustness analysis", "GET", "/api/jobs/99", None,
     S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("robustness page", "GET", "/rounds/2/robustness", None, S(anonymous=303)),
    ("robustness page of a collecting round", "GET", "/rounds/3/robustness", None, S(anonymous=303, viewer=404)),
]

WRITES: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("save own draft (CN001)", "PUT", "/api/rounds/3/submissions/CN001", {"values": {"rd_intensity": "2.5"}},
     S(analyst=403, contributor=200, contrib_b=404, viewer=404)),
    ("save other's data (CN003)", "PUT", "/api/rounds/3/submissions/CN003", {"values": {"rd_intensity": "2.5"}},
     S(admin=409, analyst=403, contributor=404, contrib_b=409, viewer=404)),
    ("accept CN003", "POST", "/api/rounds/3/submissions/CN003/review", {"decision": "accept"},
     S(contributor=404, contrib_b=403, viewer=404)),
    ("return CN003", "POST", "/api/rounds/3/submissions/CN003/review", {"decision": "return", "comment": "check"},
     S(contributor=404, contrib_b=403, viewer=404)),
    ("evaluate round 2", "POST", "/api/rounds/2/runs", None, S(admin=201, analyst=201, contributor=403, viewer=403)),
    ("evaluate round 3 (nothing accepted)", "POST", "/api/rounds/3/runs", None,
     S(admin=409, analyst=409, contributor=403, viewer=404)),
    ("publish round 2", "POST", "/api/rounds/2/publish", None, S(contributor=403, viewer=403)),
    ("create round", "POST", "/api/rounds", {"year": 2025, "framework_id": 1, "recipe_id": 1},
     S(admin=201, analyst=403, contributor=403, viewer=403)),
    ("add recipe", "POST", "/api/recipes", {"name": "plain", "yaml": RECIPE},
     S(admin=201, analyst=201, contributor=403, viewer=403)),
    ("add account", "POST", "/api/users", {"username": "new", "password": "long-enough-pw", "role": "viewer"},
     S(admin=201, analyst=403, contributor=403, viewer=403)),
    ("API token", "POST", "/api/tokens", {"name": "script"}, S(admin=201, analyst=201, contributor=201, viewer=201)),
    ("start a robustness analysis of the published run 2", "POST", "/api/runs/2/robustness", {"samples": 20},
     S(admin=201, analyst=201, contributor=403, viewer=403)),
    ("start a robustness analysis of no run", "POST", "/api/runs/99/robustness", {"samples": 20},
     S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("cancel no analysis", "POST", "/api/jobs/99/cancel", None,
     S(admin=404, analyst=404, contributor=404, viewer=404)),
]

# -- administration: accounts, frameworks, recipes, rounds, the data template ------------------------------------
ADMIN_ONLY = S(analyst=403, contributor=403, viewer=403)
READS += [
    ("built-in frameworks", "GET", "/api/frameworks/builtin", None, S()),
    ("framework as YAML", "GET", "/api/frameworks/1/yaml", None, S()),
    ("no such framework", "GET", "/api/frameworks/99/yaml", None,
     S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("recipe options", "GET", "/api/recipe-options", None, S()),
    ("recipe version", "GET", "/api/recipes/1", None, S()),
    ("no such recipe", "GET", "/api/recipes/99", None, S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("template of the collecting round", "GET", "/api/rounds/3/template?fmt=csv", None, S(viewer=404)),
    ("template of a published round", "GET", "/api/rounds/2/template", None, S(viewer=404)),
    ("template of no round", "GET", "/api/rounds/99/template", None,
     S(admin=404, analyst=404, contributor=404, viewer=404)),
    ("accounts page", "GET", "/admin/accounts", None, S(anonymous=303, analyst=403, contributor=403, viewer=403)),
    ("frameworks page", "GET", "/admin/frameworks", None,
     S(anonymous=303, analyst=403, contributor=403, viewer=403)),
    ("rounds admin page", "GET", "/admin/rounds", None, S(anonymous=303, analyst=403, contributor=403, viewer=403)),
    ("recipes page", "GET", "/recipes", None, S(anonymous=303, contributor=403, viewer=403)),
    ("recipe page", "GET", "/recipes/1", None, S(anonymous=303, contributor=403, viewer=403)),
    ("no such recipe page", "GET", "/recipes/99", None,
     S(anonymous=303, admin=404, analyst=404, contributor=403, viewer=403)),
    ("upload page", "GET", "/rounds/3/upload", None, S(anonymous=303, viewer=404)),
    ("upload page of no round", "GET", "/rounds/99/upload", None,
     S(anonymous=303, admin=404, analyst=404, contributor=404, viewer=404)),
]

WRITES += [
    ("account with a generated password", "POST", "/api/users", {"username": "new", "role": "viewer"},
     S(admin=201, analyst=403, contributor=403, viewer=403)),
    ("disable an account", "PATCH", "/api/users/viewer", {"active": False}, ADMIN_ONLY),
    ("disable no account", "PATCH", "/api/users/nobody", {"active": False},
     S(admin=404, analyst=403, contributor=403, viewer=403)),
    ("add a built-in framework", "POST", "/api/frameworks/builtin/nie-five-features", None,
     S(admin=201, analyst=403, contributor=403, viewer=403)),
    ("recipe from the form", "POST", "/api/recipes/form",
     {"name": "plain", "stages": {"normalise": {"method": "minmax"}}, "basis": "goalposts"},
     S(admin=201, analyst=201, contributor=403, viewer=403)),
    ("round with a built-in grading", "POST", "/api/rounds",
     {"year": 2025, "framework_id": 1, "recipe_id": 1, "grading": "default"},
     S(admin=201, analyst=403, contributor=403, viewer=403)),
    ("close the collecting round", "POST", "/api/rounds/3/close", None, S(analyst=403, contributor=403, viewer=404)),
    ("open the collecting round", "POST", "/api/rounds/3/open", None, S(analyst=403, contributor=403, viewer=404)),
    ("close a published round", "POST", "/api/rounds/2/close", None,
     S(admin=409, analyst=403, contributor=403, viewer=403)),
]

UPLOADS: list[tuple[str, str, str, bytes, dict[str, int]]] = [
    ("framework file", "/api/frameworks", "tiny.yaml",
     b"name: tiny\ninclude: pool.yaml\ntree: {code: I, children: [rd_intensity, exports_share]}\n",
     S(admin=201, analyst=403, contributor=403, viewer=403)),
    # a template row of CN003: contrib-b's own cluster, another's for 'contributor' (refused, nothing saved)
    ("template with CN003's row", "/api/rounds/3/submissions", "data.csv",
     b"unit,name,year,rd_intensity\nCN003,Cluster 3,2024,2.5\n",
     S(admin=422, analyst=403, contributor=422, contrib_b=422, viewer=404)),
    ("template with CN001's row", "/api/rounds/3/submissions", "data.csv",
     b"unit,name,year,rd_intensity\nCN001,Cluster 1,2024,2.5\n",
     S(admin=200, analyst=403, contributor=200, contrib_b=422, viewer=404)),
]


def _status(ws: Workspace, role: str, method: str, path: str, body: Any) -> int:
    client = client_for(ws, None if role == "anonymous" else role)
    return client.request(method, path, json=body).status_code


@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), READS, ids=[r[0] for r in READS])
def test_reads(workspace: Workspace, name: str, method: str, path: str, body: Any, expected: dict[str, int]) -> None:
    got = {role: _status(workspace, role, method, path, body) for role in ROLES}
    assert got == expected


@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("role", ROLES)
def test_writes(request: pytest.FixtureRequest, workspace: Workspace, role: str, name: str, method: str, path: str,
                body: Any, expected: dict[str, int]) -> None:
    """Each role on a fresh copy of the workspace (a write changes what the next caller would meet)."""
    assert _status(workspace, role, method, path, body) == expected[role]


def test_contributor_lists_only_own_clusters(workspace: Workspace) -> None:
    staff = client_for(workspace, "analyst").get("/api/rounds/3/submissions").json()
    own = client_for(workspace, "contrib-b").get("/api/rounds/3/submissions").json()
    assert {s["unit"] for s in own} == {"CN003"}
    assert len(staff) == 9  # 11 clusters, CN001 and CN002 not entered
    none = client_for(workspace, "contributor").get("/api/rounds/3/submissions").json()
    assert none == []


def test_viewer_sees_published_rounds_only(workspace: Workspace) -> None:
    years = [r["year"] for r in client_for(workspace, "viewer").get("/api/rounds").json()]
    assert years == [2023, 2022]
    assert [r["year"] for r in client_for(workspace, "contributor").get("/api/rounds").json()] == [2024, 2023, 2022]


def test_unpublished_run_stays_with_staff(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    new = analyst.post("/api/rounds/2/runs")
    assert new.status_code == 201
    run_id = new.json()["id"]
    assert [r["id"] for r in analyst.get("/api/rounds/2/runs").json()][-1] == run_id
    viewer = client_for(workspace, "viewer")
    assert [r["id"] for r in viewer.get("/api/rounds/2/runs").json()] == [2]  # the published run only
    assert viewer.get(f"/api/runs/{run_id}/report?fmt=xlsx").status_code == 404
    assert analyst.get(f"/api/runs/{run_id}/report?fmt=xlsx").status_code == 200


@pytest.mark.parametrize(("name", "path", "filename", "content", "expected"), UPLOADS, ids=[u[0] for u in UPLOADS])
@pytest.mark.parametrize("role", ROLES)
def test_uploads(workspace: Workspace, role: str, name: str, path: str, filename: str, content: bytes,
                 expected: dict[str, int]) -> None:
    client = client_for(workspace, None if role == "anonymous" else role)
    r = client.post(path, files={"file": (filename, content, "application/octet-stream")})
    assert r.status_code == expected[role], r.text
    if "CN003" in name and role == "contributor":  # another's cluster: named only as a row it may not enter
        assert r.json()["fields"] == {"CN003": "data.csv line 2: 'CN003' is not a cluster you may enter data for"}
    if "CN003" in name and role in ("admin", "contrib-b"):  # its own: refused because it is under review
        assert r.json()["fields"] == {"CN003": "the submission of CN003 is submitted: it can change only when "
                                               "returned"}


# -- robustness analyses of published and unpublished runs ----------------------------------------------------------
def _jobs(ws: Workspace) -> dict[str, int]:
    """Three analyses: queued and finished ones of the published run 2, and a queued one of a new run of round 2
    that is not published (only staff see it)."""
    from clusterleap.store import jobs as sj
    from clusterleap.store.accounts import Actor
    from clusterleap.store.workspace import evaluate_round

    analyst = Actor(2, "analyst", "analyst")
    with ws.store.session() as db:
        done = sj.start_robustness(db, analyst, 2, 20, 1)
        sj.claim_next(db)
        sj.finish(db, done.id, sj.compute_robustness(sj.job_inputs(db, done.id)))
        queued = sj.start_robustness(db, analyst, 2, 20, 2)
        run = evaluate_round(db, analyst, 2)
        unpublished = sj.start_robustness(db, analyst, run.id, 20, 3)
    return {"done": done.id, "queued": queued.id, "unpublished": unpublished.id, "run": run.id}


# (name, method, path with {done}/{queued}/{unpublished} analyses and the unpublished {run}, status by role)
JOBS: list[tuple[str, str, str, dict[str, int]]] = [
    ("a finished analysis of the published run", "GET", "/api/jobs/{done}", S()),
    ("its units", "GET", "/api/jobs/{done}/units", S()),
    ("a queued analysis of the published run", "GET", "/api/jobs/{queued}", S(contributor=404, viewer=404)),
    ("an analysis of an unpublished run", "GET", "/api/jobs/{unpublished}", S(contributor=404, viewer=404)),
    ("the round's analyses", "GET", "/api/rounds/2/robustness", S()),
    ("the page of one analysis", "GET", "/rounds/2/robustness?job={done}", S(anonymous=303)),
    ("the page of a queued analysis", "GET", "/rounds/2/robustness?job={queued}",
     S(anonymous=303, contributor=404, viewer=404)),
    ("start on the unpublished run", "POST", "/api/runs/{run}/robustness",
     S(admin=201, analyst=201, contributor=404, viewer=404)),
    ("cancel the queued analysis", "POST", "/api/jobs/{queued}/cancel", S(contributor=404, viewer=404)),
    ("cancel the unpublished run's analysis", "POST", "/api/jobs/{unpublished}/cancel",
     S(contributor=404, viewer=404)),
    ("cancel the finished analysis", "POST", "/api/jobs/{done}/cancel",
     S(admin=409, analyst=409, contributor=403, viewer=403)),
]


@pytest.mark.parametrize(("name", "method", "path", "expected"), JOBS, ids=[j[0] for j in JOBS])
@pytest.mark.parametrize("role", ROLES)
def test_robustness_jobs(workspace: Workspace, role: str, name: str, method: str, path: str,
                         expected: dict[str, int]) -> None:
    ids = _jobs(workspace)
    url = path.format(**ids)
    body = {"samples": 20} if url.endswith("/robustness") and method == "POST" else None
    assert _status(workspace, role, method, url, body) == expected[role]


def test_robustness_listing_shows_others_finished_published_analyses_only(workspace: Workspace) -> None:
    ids = _jobs(workspace)
    staff = [j["id"] for j in client_for(workspace, "analyst").get("/api/rounds/2/robustness").json()]
    viewer = [j["id"] for j in client_for(workspace, "viewer").get("/api/rounds/2/robustness").json()]
    assert staff == [ids["unpublished"], ids["queued"], ids["done"]]
    assert viewer == [ids["done"]]
