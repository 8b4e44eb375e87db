"""Uploads of the data template: a column that is no input of the round is named at its header cell and nothing is
saved (a misspelt input would otherwise lose its values unseen); a round that no longer takes data refuses the whole
file with one 409."""

from __future__ import annotations

import io

import pandas as pd

from .conftest import Workspace, client_for


def _filled(contributor: object) -> pd.DataFrame:
    r = contributor.get("/api/rounds/3/template?fmt=csv")  # type: ignore[attr-defined]
    frame = pd.read_csv(io.BytesIO(r.content))
    fields = list(frame.columns[7:])
    frame[fields] = frame[fields].astype(object)
    frame.loc[:, fields] = "1"
    return frame


def test_unknown_columns_are_named_at_their_header_cell(workspace: Workspace) -> None:
    contributor = client_for(workspace, "contributor")
    frame = _filled(contributor)
    frame.insert(9, "rd_intensty", "2.5")  # a misspelt input, 10th column (J)
    frame["notes"] = "checked by the office"
    csv = io.BytesIO()
    frame.to_csv(csv, index=False)
    r = contributor.post("/api/rounds/3/submissions", files={"file": ("filled.csv", csv.getvalue(), "text/csv")})
    assert r.status_code == 422
    assert r.json()["detail"] == "filled.csv: 2 problem(s); nothing was saved"
    n = len(frame.columns)
    assert r.json()["fields"] == {
        "*.rd_intensty": 'filled.csv line 1, column 10 "rd_intensty": not an input of this round nor a column of '
                         'the data template (did you mean "rd_intensity"?); remove the column or correct its name',
        "*.notes": f'filled.csv line 1, column {n} "notes": not an input of this round nor a column of the data '
                   "template; remove the column or correct its name"}
    assert contributor.get("/api/rounds/3/submissions").json() == []  # nothing saved
    xlsx = io.BytesIO()
    frame.drop(columns="notes").to_excel(xlsx, index=False)
    r = contributor.post("/api/rounds/3/submissions", files={"file": ("filled.xlsx", xlsx.getvalue(),
                                                                      "application/octet-stream")})
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["*.rd_intensty"]
    assert r.json()["fields"]["*.rd_intensty"].startswith('filled.xlsx cell J1 "rd_intensty": ')
    ok = io.BytesIO()
    frame.drop(columns=["notes", "rd_intensty"]).to_csv(ok, index=False)
    r = contributor.post("/api/rounds/3/submissions", files={"file": ("filled.csv", ok.getvalue(), "text/csv")})
    assert r.status_code == 200, r.text
    assert [s["unit"] for s in r.json()] == ["CN001", "CN002"]


def test_upload_to_a_closed_round_is_one_conflict(workspace: Workspace) -> None:
    admin, contributor = client_for(workspace, "admin"), client_for(workspace, "contributor")
    frame = _filled(contributor)
    assert admin.post("/api/rounds/3/close").json()["state"] == "closed"
    csv = io.BytesIO()
    frame.to_csv(csv, index=False)
    r = contributor.post("/api/rounds/3/submissions", files={"file": ("filled.csv", csv.getvalue(), "text/csv")})
    assert r.status_code == 409
    assert r.json() == {"detail": "round 3 is closed: it no longer takes data", "fields": {}}
    published = contributor.post("/api/rounds/2/submissions", files={"file": ("f.csv", csv.getvalue(), "text/csv")})
    assert published.status_code == 409 and published.json()["detail"] == "round 2 is published: it no longer " \
                                                                          "takes data"
