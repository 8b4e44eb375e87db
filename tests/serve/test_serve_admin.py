"""Administration through the JSON API, on SQLite and PostgreSQL, with outcomes checked by hand: a bad framework
upload names its line, the recipe form and the YAML view are checked by the engine (errors at the field and the
line), each save is a new version, accounts are created without default passwords and disabled, rounds open and
close for submissions, and the round's data template comes back with one bad cell named by cluster and cell."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from .conftest import PASSWORD, Workspace, client_for, login

# -- frameworks ---------------------------------------------------------------------------------------------------
# line 7 has the unclosed flow list; the YAML reader reports the line where it noticed (the end of the text)
BROKEN_YAML = """name: tiny
tree:
  code: IDX
  children:
    - code: A
      name_en: First
      children: [rd_intensity, exports_share
"""

# valid YAML, but node B's weight is text: the engine names node 'B', the page adds its line (9)
BAD_WEIGHT = """name: tiny
include: pool.yaml
tree:
  code: IDX
  children:
    - code: A
      children: [rd_intensity]
    - code: B
      weight: heavy
      children: [exports_share]
"""


def _upload(client: object, name: str, text: str) -> object:
    return client.post("/api/frameworks", files={"file": (name, text.encode(), "text/yaml")})  # type: ignore[attr-defined]


def test_bad_framework_yaml_names_the_line(workspace: Workspace) -> None:
    admin = client_for(workspace, "admin")
    r = _upload(admin, "tiny.yaml", BROKEN_YAML)
    assert r.status_code == 422
    msg = r.json()["fields"]["file"]
    assert msg.startswith("tiny.yaml line 8, column 1: invalid YAML"), msg  # no temporary path leaks out
    r = _upload(admin, "tiny.yaml", BAD_WEIGHT)
    assert r.status_code == 422
    msg = r.json()["fields"]["file"]
    assert msg == "tiny.yaml line 9, node 'B': weight is 'heavy' (expected a number)", msg
    imeta = "iCode,iName,Level,Parent,Weight,Direction,Type\nIDX,Index,2,,1,1,Aggregate\n" \
            "rd,R&D,1,IDX,heavy,1,Indicator\nex,Exports,1,IDX,1,1,Indicator\n"
    r = admin.post("/api/frameworks", files={"file": ("meta.csv", imeta.encode(), "text/csv")})
    assert r.json()["fields"]["file"] == "meta.csv row 3, column 'Weight': 'heavy' is not a number"
    assert [f["name"] for f in admin.get("/api/frameworks").json()] == ["world-class"]  # nothing stored


def test_framework_upload_is_a_new_version(workspace: Workspace) -> None:
    admin = client_for(workspace, "admin")
    good = BAD_WEIGHT.replace("weight: heavy", "weight: 2")
    first = _upload(admin, "tiny.yaml", good)
    assert first.status_code == 201, first.text
    assert (first.json()["name"], first.json()["version"]) == ("tiny", 1)
    again = _upload(admin, "tiny.yaml", good)  # the same content: the same version
    assert again.json()["id"] == first.json()["id"]
    second = _upload(admin, "tiny.yaml", good.replace("weight: 2", "weight: 3"))
    assert (second.json()["name"], second.json()["version"]) == ("tiny", 2)
    yaml_text = admin.get(f"/api/frameworks/{first.json()['id']}/yaml").text
    assert "weight: 2" in yaml_text and "rd_intensity" in yaml_text
    built = {b["name"]: (b["latest_version"], b["current"]) for b in admin.get("/api/frameworks/builtin").json()}
    assert built == {"chen-local-global": (None, False), "nie-five-features": (None, False),
                     "world-class": (1, True)}
    added = admin.post("/api/frameworks/builtin/nie-five-features")
    assert added.status_code == 201 and added.json()["version"] == 1 and added.json()["origin"] == "built-in"
    same = admin.post("/api/frameworks/builtin/world-class")  # unchanged: the existing version 1
    assert same.json()["id"] == 1
    assert admin.post("/api/frameworks/builtin/world-klass").json()["detail"].endswith(
        '(did you mean "world-class"?)')


# -- recipes ------------------------------------------------------------------------------------------------------
FORM = {"screen": {"method": "coverage", "params": {"min_share": "0.6667", "min_dimension_share": "0.5"}},
        "normalise": {"method": "minmax", "params": {"lo": "0", "hi": "100"}},
        "aggregate": {"method": "arithmetic", "params": {}}}


def test_relative_basis_with_absolute_grading_is_refused(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    r = analyst.post("/api/recipes/form", json={"name": "r", "stages": FORM, "basis": "relative",
                                                "grading": "default"})
    assert r.status_code == 422
    msg = r.json()["fields"]["grading"]
    assert msg.startswith("grading scheme 'default' compares scores with fixed numbers (")
    assert "scores on a relative basis" in msg
    # the same in the YAML view: the message at the line of 'grading' (line 3)
    text = ("basis: relative\nnormalise: minmax\ngrading:\n  name: strict\n  tiers:\n"
            "    - {code: top, name_en: top, name_zh: 顶, min_score: 70}\n"
            "    - {code: rest, name_en: rest, name_zh: 余}\n")
    r = analyst.post("/api/recipes", json={"name": "r", "yaml": text})
    assert r.status_code == 422
    assert r.json()["fields"]["yaml"].startswith("line 3: grading scheme 'strict' compares scores with fixed "
                                                 "numbers (")
    # on goalposts the same grading is accepted, and the relative scheme is accepted on a relative basis
    ok = analyst.post("/api/recipes/form", json={"name": "r", "stages": FORM, "basis": "goalposts",
                                                 "grading": "default"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["content"]["basis"] == "goalposts"
    assert ok.json()["content"]["grading"]["name"] == "default"


def test_recipe_form_errors_at_the_field(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    bad = {**FORM, "normalise": {"method": "minmax", "params": {"lo": "zero"}}}
    r = analyst.post("/api/recipes/form", json={"name": "r", "stages": bad, "basis": "goalposts"})
    assert r.status_code == 422
    assert r.json()["fields"] == {"normalise.lo": "parameter 'lo' is 'zero' (expected float)"}
    r = analyst.post("/api/recipes/form", json={"name": "r", "stages": {"normalise": {"method": "minmx"}},
                                                "basis": "goalposts"})
    assert r.json()["fields"] == {"normalise": 'unknown normalise method \'minmx\' (did you mean "minmax"?)'}
    # a method that ranks the units in the file cannot give comparable scores
    r = analyst.post("/api/recipes/form", json={"name": "r", "stages": {"normalise": {"method": "rank"}},
                                                "basis": "goalposts"})
    assert list(r.json()["fields"]) == ["normalise"]
    assert "draws on the other units in the file" in r.json()["fields"]["normalise"]


def test_recipe_yaml_error_names_the_line(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    r = analyst.post("/api/recipes", json={"name": "r", "yaml": "basis: goalposts\nimpute: none\n"
                                                                "normalise: {method: minmx}\n"})
    assert r.status_code == 422
    assert r.json()["fields"]["yaml"] == ('line 3: recipe, normalise: unknown normalise method \'minmx\' '
                                          '(did you mean "minmax"?)')
    r = analyst.post("/api/recipes", json={"name": "r", "yaml": "basis: goalposts\n\nnormalize: minmax\n"})
    assert r.json()["fields"]["yaml"].startswith("line 3: recipe: unknown key 'normalize' (did you mean "
                                                 '"normalise"?)')
    r = analyst.post("/api/recipes", json={"name": "r", "yaml": "basis: goalposts\nnormalise: [minmax\n"})
    assert r.json()["fields"]["yaml"].startswith("recipe YAML line 3, column 1: invalid YAML")


def test_each_recipe_save_is_a_new_version(workspace: Workspace) -> None:
    analyst = client_for(workspace, "analyst")
    base = analyst.get("/api/recipes/1").json()
    levels = {"4": {"method": "geometric", "missing": "reweight"}}  # parameters are stored with their defaults
    assert base["content"]["aggregate"] == {"method": "arithmetic", "missing": "reweight", "levels": levels}
    body = {"name": base["name"], "stages": {"aggregate": {"method": "geometric", "params": {}}},
            "basis": "goalposts", "grading": "", "base_id": 1}
    r = analyst.post("/api/recipes/form", json=body)
    assert r.status_code == 201
    new = r.json()
    assert (new["name"], new["version"]) == ("world-class-demo", 2)
    # the per-level override of the edited version is kept; everything else of it too
    assert new["content"]["aggregate"] == {"method": "geometric", "missing": "reweight", "levels": levels}
    assert new["content"]["screen"] == base["content"]["screen"]
    assert analyst.get("/api/recipes/1").json() == base  # never overwritten
    again = analyst.post("/api/recipes/form", json={**body, "base_id": new["id"]})
    assert again.json()["id"] == new["id"]  # the same content adds no version


# -- accounts -----------------------------------------------------------------------------------------------------
def test_accounts_without_default_passwords(workspace: Workspace) -> None:
    admin = client_for(workspace, "admin")
    r = admin.post("/api/users", json={"username": "cpo-east", "role": "contributor", "clusters": ["CN01"]})
    assert r.status_code == 422
    assert r.json()["fields"]["clusters"] == "cluster 'CN01' is not in this workspace (did you mean \"CN001\"?)"
    r = admin.post("/api/users", json={"username": "cpo-east", "role": "viewer", "clusters": ["CN001"]})
    assert r.status_code == 422 and "clusters" in r.json()["fields"]
    r = admin.post("/api/users", json={"username": "cpo-east", "role": "contributor",
                                       "clusters": ["CN004", "CN005"]})
    assert r.status_code == 201
    made = r.json()
    assert made["clusters"] == ["CN004", "CN005"] and made["active"]
    password = made["password"]
    assert len(password) == 20
    other = admin.post("/api/users", json={"username": "cpo-west", "role": "contributor", "clusters": ["CN006"]})
    assert other.json()["password"] != password  # random, never a default
    set_pw = admin.post("/api/users", json={"username": "analyst-2", "role": "analyst", "password": PASSWORD})
    assert set_pw.json()["password"] is None  # a password the admin chose is not echoed
    listed = {u["username"]: u for u in admin.get("/api/users").json()}
    assert listed["cpo-east"] == {"username": "cpo-east", "role": "contributor", "active": True,
                                  "clusters": ["CN004", "CN005"]}
    assert "password" not in listed["cpo-east"]

    # the new contributor logs in with the generated password and sees its clusters only
    workspace.passwords["cpo-east"] = password
    east = client_for(workspace, "cpo-east")
    assert east.get("/api/me").json()["clusters"] == ["CN004", "CN005"]
    assert east.get("/api/rounds/3/submissions/CN001").status_code == 404

    # disabled: the open session and new logins stop working at once; enabled again: it logs in
    off = admin.patch("/api/users/cpo-east", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert east.get("/api/me").status_code == 401
    with pytest.raises(AssertionError):
        login(client_for(workspace), "cpo-east", password)
    assert admin.patch("/api/users/cpo-east", json={"active": True}).json()["active"] is True
    assert client_for(workspace, "cpo-east").get("/api/me").status_code == 200
    # an admin cannot lock themselves out
    me = admin.patch("/api/users/admin", json={"active": False})
    assert me.status_code == 409
    assert admin.get("/api/me").status_code == 200
    assert admin.patch("/api/users/nobody", json={"active": False}).status_code == 404


# -- rounds -------------------------------------------------------------------------------------------------------
def test_rounds_created_opened_and_closed(workspace: Workspace) -> None:
    admin = client_for(workspace, "admin")
    relative = client_for(workspace, "analyst").post("/api/recipes", json={
        "name": "plain", "yaml": "normalise: {method: minmax, lo: 0, hi: 100}\n"}).json()
    r = admin.post("/api/rounds", json={"year": 2025, "framework_id": 1, "recipe_id": relative["id"],
                                        "grading": "default"})
    assert r.status_code == 422
    assert "scores on a relative basis" in r.json()["fields"]["grading"]
    r = admin.post("/api/rounds", json={"year": 2025, "framework_id": 1, "recipe_id": relative["id"],
                                        "grading": "relative"})
    assert r.status_code == 201
    assert r.json()["state"] == "collecting"
    r = admin.post("/api/rounds", json={"year": 2025, "framework_id": 1, "recipe_id": 1, "grading": "defualt"})
    assert r.json()["fields"]["grading"] == "grading scheme 'defualt' is not built in (did you mean \"default\"?)"

    contributor = client_for(workspace, "contributor")
    closed = admin.post("/api/rounds/3/close")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    put = contributor.put("/api/rounds/3/submissions/CN001", json={"values": {"rd_intensity": "2.5"}})
    assert put.status_code == 409
    assert put.json()["detail"] == "round 3 is closed: it no longer takes data"
    assert [x["state"] for x in contributor.get("/api/rounds").json() if x["id"] == 3] == ["closed"]
    assert admin.post("/api/rounds/3/open").json()["state"] == "collecting"
    assert contributor.put("/api/rounds/3/submissions/CN001", json={"values": {"rd_intensity": "2.5"}}
                           ).status_code == 200
    assert admin.post("/api/rounds/2/close").status_code == 409  # published
    actions = [a["action"] for a in admin.get("/api/audit").json()]
    assert actions[:2] == ["submission.save", "round.open"] and "round.close" in actions


# -- the data template --------------------------------------------------------------------------------------------
def test_template_round_trip_with_one_bad_cell(workspace: Workspace) -> None:
    contributor = client_for(workspace, "contributor")
    r = contributor.get("/api/rounds/3/template?fmt=csv")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="clusterleap-round-2024-template.csv"'
    frame = pd.read_csv(io.BytesIO(r.content))
    assert list(frame["unit"]) == ["CN001", "CN002"] and set(frame["year"]) == {2024}
    fields = [f["code"] for f in contributor.get("/api/rounds/3/fields").json()]
    assert list(frame.columns[7:]) == fields
    frame[fields] = frame[fields].astype(object)
    frame.loc[:, fields] = "1"
    frame.loc[frame.unit == "CN002", "rd_intensity"] = "2,5"  # the file's line 3 (line 1 is the header)
    buf = io.BytesIO()
    frame.to_csv(buf, index=False)
    up = contributor.post("/api/rounds/3/submissions", files={"file": ("filled.csv", buf.getvalue(), "text/csv")})
    assert up.status_code == 422
    problems = up.json()["fields"]
    assert list(problems) == ["CN002.rd_intensity"]
    assert problems["CN002.rd_intensity"].startswith('filled.csv line 3, column "rd_intensity": \'2,5\' is not a '
                                                     'number')
    assert up.json()["detail"] == "filled.csv: 1 problem(s); nothing was saved"
    assert contributor.get("/api/rounds/3/submissions").json() == []  # all or nothing: CN001 not saved either
    frame.loc[frame.unit == "CN002", "rd_intensity"] = "2.5"
    buf = io.BytesIO()
    frame.to_csv(buf, index=False)
    ok = contributor.post("/api/rounds/3/submissions?submit=true",
                          files={"file": ("filled.csv", buf.getvalue(), "text/csv")})
    assert ok.status_code == 200, ok.text
    assert [(s["unit"], s["state"], s["values"]["rd_intensity"]) for s in ok.json()] == [
        ("CN001", "submitted", 1.0), ("CN002", "submitted", 2.5)]
    # the xlsx template reads back with the values entered, and defines every input on its second sheet
    x = contributor.get("/api/rounds/3/template?fmt=xlsx")
    sheets = pd.read_excel(io.BytesIO(x.content), sheet_name=None)
    assert list(sheets) == ["data", "indicators"]
    assert list(sheets["data"]["rd_intensity"]) == [1.0, 2.5]
    info = sheets["indicators"].set_index("code")
    assert info.loc["rd_intensity", "name_zh"] == "研发经费投入强度"
    assert info.loc["rd_intensity", "allowed"] == "0 to 100"
    # staff get every cluster; viewers no template
    assert len(pd.read_csv(io.BytesIO(client_for(workspace, "analyst").get(
        "/api/rounds/3/template?fmt=csv").content))) == 11
    assert client_for(workspace, "viewer").get("/api/rounds/3/template").status_code == 404


# -- the submission form ------------------------------------------------------------------------------------------
def test_form_fields_name_unit_definition_and_range(workspace: Workspace) -> None:
    """Each input has both names, its unit, its definition and a plausible range: last round's values, or in a
    framework's first round its goalposts (when they are in the unit entered); denominators come with the indicator
    pool's definition."""
    client = client_for(workspace, "admin")
    first = {f["code"]: f for f in client.get("/api/rounds/1/fields").json()}  # 2022: no earlier round
    later = {f["code"]: f for f in client.get("/api/rounds/3/fields").json()}  # 2024: 2023 before it
    rd = first["rd_intensity"]
    assert (rd["name_en"], rd["name_zh"], rd["unit"]) == ("R&D intensity", "研发经费投入强度", "% of revenue")
    assert rd["definition"].startswith("Intramural R&D expenditure")
    assert rd["plausible"] is None and rd["reference"] == [0.0, 5.0]  # pool.yaml: goalposts {lo: 0, hi: 5}
    assert later["rd_intensity"]["plausible"] is not None
    # lower is better: the floor is the high end
    assert first["energy_intensity"]["reference"][0] > first["energy_intensity"]["reference"][1]
    # a count divided by employment: its goalposts are per employee, not in the unit entered
    assert first["invention_patents"]["reference"] is None
    emp = later["employment"]
    assert (emp["name_en"], emp["name_zh"], emp["unit"]) == ("Employment in the leading industry", "主导产业从业人员",
                                                            "10,000 persons")
    assert emp["denominator_of"] == ["invention_patents", "pct_applications"]
    assert all(f["name_zh"] and f["name_en"] and f["unit"] and f["definition"] for f in later.values())
