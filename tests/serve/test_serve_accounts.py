"""Accounts and sessions: argon2 hashes, cookie flags, CSRF on every change, login throttling, API tokens, no open
redirects, the i18n tables, and the users command (no default password)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clusterleap.cli import app
from clusterleap.serve.i18n import STRINGS
from clusterleap.store.accounts import MAX_FAILURES
from clusterleap.store.models import Cluster, LoginAttempt, User
from tests.conftest import ROOT

from .conftest import Workspace, client_for


def test_passwords_are_argon2_hashes(sqlite_workspace: Workspace) -> None:
    with sqlite_workspace.store.session() as db:
        hashes = list(db.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(sqlite_workspace.passwords["viewer"] in h for h in hashes)


@pytest.mark.parametrize(("base", "secure"), [("http://testserver", False), ("https://testserver", True)])
def test_session_cookie_flags(sqlite_workspace: Workspace, base: str, secure: bool) -> None:
    client = client_for(sqlite_workspace, base_url=base)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", data={"username": "viewer", "password": sqlite_workspace.passwords["viewer"],
                                    "csrf": csrf, "next": "/rounds"})
    assert r.status_code == 303 and r.headers["location"] == "/rounds"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("cl_session="))
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"httponly", "samesite"} <= attrs
    assert "samesite=strict" in cookie.lower()
    assert ("secure" in attrs) == secure


def test_login_needs_the_form_token(sqlite_workspace: Workspace) -> None:
    client = client_for(sqlite_workspace)
    r = client.post("/login", data={"username": "viewer", "password": sqlite_workspace.passwords["viewer"],
                                    "csrf": "forged"})
    assert r.status_code == 403
    assert "cl_session" not in r.headers.get("set-cookie", "")


def test_changes_need_the_csrf_header(sqlite_workspace: Workspace) -> None:
    client = client_for(sqlite_workspace, "analyst")
    token = client.headers.pop("X-CSRF-Token")
    r = client.post("/api/rounds/3/submissions/CN003/review", json={"decision": "accept"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.post("/api/rounds/3/submissions/CN003/review", json={"decision": "accept"},
                    headers={"X-CSRF-Token": token[:-1] + ("x" if token[-1] != "x" else "y")})
    assert r.status_code == 403
    r = client.post("/api/rounds/3/submissions/CN003/review", json={"decision": "accept"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["state"] == "accepted"


def test_login_throttling(sqlite_workspace: Workspace) -> None:
    client = client_for(sqlite_workspace)
    for _ in range(MAX_FAILURES):
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = client.post("/login", data={"username": "viewer", "password": "wrong-password", "csrf": csrf})
        assert r.status_code == 401
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", data={"username": "viewer", "password": sqlite_workspace.passwords["viewer"],
                                    "csrf": csrf})
    assert r.status_code == 429  # the right password too, while throttled
    assert "Too many failed logins" in r.text
    with sqlite_workspace.store.session() as db:
        assert len(list(db.scalars(select(LoginAttempt)))) == MAX_FAILURES + 0  # throttled tries are not counted
    other = client_for(sqlite_workspace, "analyst")  # another account from another test client still logs in
    assert other.get("/api/me").json()["role"] == "analyst"


def test_api_tokens(sqlite_workspace: Workspace) -> None:
    client = client_for(sqlite_workspace, "analyst")
    token = client.post("/api/tokens", json={"name": "nightly"}).json()["token"]
    script = client_for(sqlite_workspace)
    assert script.get("/api/me").status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/me", headers=headers).json() == {"username": "analyst", "role": "analyst",
                                                              "clusters": []}
    # no CSRF token needed: a browser never sends this header by itself
    r = script.post("/api/rounds/3/submissions/CN003/review", json={"decision": "accept"}, headers=headers)
    assert r.status_code == 200
    assert script.get("/api/me", headers={"Authorization": "Bearer clt_forged"}).status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_no_open_redirects(sqlite_workspace: Workspace, target: str) -> None:
    client = client_for(sqlite_workspace)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", data={"username": "viewer", "password": sqlite_workspace.passwords["viewer"],
                                    "csrf": csrf, "next": target})
    assert r.headers["location"] == "/"
    assert client.get(f"/lang/zh?next={target}").headers["location"] == "/"


def test_security_headers_and_escaping(sqlite_workspace: Workspace) -> None:
    client = client_for(sqlite_workspace, "admin")
    with sqlite_workspace.store.session() as db:
        db.get_one(Cluster, "CN003").name = "<script>alert(1)</script>"
    r = client.get("/rounds/3/submissions")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<script>" not in r.text.replace('<script src="/static/app.js" defer></script>', "")


def test_logout_ends_the_session(sqlite_workspace: Workspace) -> None:
    client = client_for(sqlite_workspace, "viewer")
    assert client.post("/logout").status_code == 303
    assert client.get("/api/me").status_code == 401


def test_both_languages_have_the_same_strings() -> None:
    assert set(STRINGS["en"]) == set(STRINGS["zh"])


def test_users_add_takes_the_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    r = runner.invoke(app, ["users", "add", "boss", "--role", "admin", "--password-env", "CL_PW", "-w", str(ws)])
    assert r.exit_code == 2 and "CL_PW is not set" in r.output
    monkeypatch.setenv("CL_PW", "short")
    r = runner.invoke(app, ["users", "add", "boss", "--role", "admin", "--password-env", "CL_PW", "-w", str(ws)])
    assert r.exit_code == 2 and "at least 10 characters" in r.output
    monkeypatch.setenv("CL_PW", "a-long-admin-password")
    r = runner.invoke(app, ["users", "add", "boss", "--role", "admin", "--password-env", "CL_PW", "-w", str(ws)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "add", "ann", "--role", "contributor", "--password-env", "CL_PW", "-w", str(ws)])
    assert r.exit_code == 2 and "needs at least one cluster" in r.output
    r = runner.invoke(app, ["users", "add", "ann", "--role", "contributor", "--cluster", "CN001", "--password-env",
                            "CL_PW", "-w", str(ws)])
    assert r.exit_code == 0
    r = runner.invoke(app, ["users", "list", "-w", str(ws)])
    assert r.output.split() == ["ann", "contributor", "CN001", "boss", "admin"]
    r = runner.invoke(app, ["users", "add", "boss", "--role", "admin", "-w", str(ws)],
                      input="pw-one-long\npw-two-long\npw-one-long\npw-one-long\n")
    assert r.exit_code == 2 and "exists already" in r.output  # prompted twice until both agree, then refused
    token = runner.invoke(app, ["users", "token", "boss", "-w", str(ws)]).output.strip()
    assert token.startswith("clt_")


def test_framework_uploads_and_recipes_are_versions(sqlite_workspace: Workspace) -> None:
    admin = client_for(sqlite_workspace, "admin")
    text = (ROOT / "docs" / "examples" / "mini" / "framework.yaml").read_bytes()
    first = admin.post("/api/frameworks", files={"file": ("mini.yaml", text, "application/yaml")})
    assert first.status_code == 201, first.text
    same = admin.post("/api/frameworks", files={"file": ("mini.yaml", text, "application/yaml")})
    assert same.json()["id"] == first.json()["id"]  # the same content adds no version
    changed = text.replace(b"target: 5.0", b"target: 4.5", 1)
    assert changed != text
    second = admin.post("/api/frameworks", files={"file": ("mini.yaml", changed, "application/yaml")})
    assert (second.json()["name"], second.json()["version"]) == ("mini-clusters", 2)
    bad = admin.post("/api/frameworks", files={"file": ("mini.yaml", b"tree: [", "application/yaml")})
    assert bad.status_code == 422 and "mini.yaml" in bad.json()["detail"]
    analyst = client_for(sqlite_workspace, "analyst")
    assert analyst.post("/api/frameworks", files={"file": ("mini.yaml", text, "application/yaml")}).status_code == 403
    r = analyst.post("/api/recipes", json={"name": "x", "yaml": "normalise: {method: minmaxx}\n"})
    assert r.status_code == 422 and "minmax" in r.json()["fields"]["yaml"]  # the engine's "did you mean"
    v1 = analyst.post("/api/recipes", json={"name": "x", "yaml": "normalise: zscore\n"}).json()
    v2 = analyst.post("/api/recipes", json={"name": "x", "yaml": "normalise: rank\n"}).json()
    assert (v1["version"], v2["version"]) == (1, 2)
    names = [(r["name"], r["version"]) for r in analyst.get("/api/recipes").json()]
    assert ("x", 1) in names and ("x", 2) in names
