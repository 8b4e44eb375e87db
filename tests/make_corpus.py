"""Write the generated files of tests/corpus (spreadsheets, other encodings, very wide or nested files): run
``python tests/make_corpus.py`` after changing one; the files are committed, so the tests do not need this."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

CORPUS = Path(__file__).parent / "corpus"
HEAD = ["unit", "name", "region", "year", "a", "b", "c", "pop"]
ROWS = [["u1", "Unit 1", "east", 2023, 1.5, 3, 10, 100], ["u2", "Unit 2", "west", 2023, 2.5, None, 20, 200],
        ["u3", "Unit 3", "east", 2023, None, 4, 30, 300]]
GOOD = "unit,name,region,year,a,b,c,pop\nu1,Unit 1,east,2023,1.5,3,10,100\nu2,Unit 2,west,2023,2.5,NA,20,200\n" \
       "u3,Unit 3,east,2023,,4,30,300\n"


def book(rows: list[list[object]], title: str = "data") -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for r in rows:
        ws.append(r)
    return wb


def laughs(key: str) -> str:
    lines = ['l0: &l0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    for i in range(1, 9):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + f"\n{key}: *l8\n"


def main() -> None:
    w = CORPUS
    # YAML bombs and deep nesting in every kind of YAML file
    mini = (w / "mini.yaml").read_text(encoding="utf-8")
    (w / "fw_billion_laughs.yaml").write_text(laughs("x_laughs") + mini, encoding="utf-8")
    (w / "recipe_billion_laughs.yaml").write_text(laughs("x_laughs"), encoding="utf-8")
    (w / "space_billion_laughs.yaml").write_text(laughs("x_laughs"), encoding="utf-8")
    (w / "grading_billion_laughs.yaml").write_text(laughs("x_laughs"), encoding="utf-8")
    (w / "judge_billion_laughs.yaml").write_text(laughs("x_laughs"), encoding="utf-8")
    deep = "x: " + "[" * 250 + "]" * 250 + "\n"
    for name in ("fw_deep_nesting.yaml", "recipe_deep_nesting.yaml", "space_deep_nesting.yaml",
                 "grading_deep_nesting.yaml", "judge_deep_nesting.yaml"):
        (w / name).write_text(deep, encoding="utf-8")
    # encodings and separators
    (w / "data_utf16.csv").write_bytes(GOOD.encode("utf-16"))
    (w / "data_gbk.csv").write_bytes(GOOD.replace("Unit 1", "集群一").encode("gbk"))
    (w / "data_latin1.csv").write_bytes(GOOD.replace("Unit 1", "Unité 1").encode("latin-1"))
    (w / "data_semicolon.csv").write_text(GOOD.replace(",", ";"), encoding="utf-8")
    (w / "data_tab.csv").write_text(GOOD.replace(",", "\t"), encoding="utf-8")
    (w / "data_bom_semicolon.csv").write_bytes(b"\xef\xbb\xbf" + GOOD.replace(",", ";").encode())
    (w / "data_too_many_columns.csv").write_text(
        ",".join(["unit", *(f"x{i}" for i in range(20_000))]) + "\n" + ",".join(["u1", *("1" * 20_000)]) + "\n",
        encoding="utf-8")
    # spreadsheets
    far = book([HEAD, *ROWS])
    far.active["XFD1048576"] = 1  # type: ignore[index]
    far.save(w / "data_far_cell.xlsx")
    formula = book([HEAD, *ROWS])
    formula.active["G3"] = "=G2*2"  # type: ignore[index]
    formula.save(w / "data_formula_no_value.xlsx")
    merged = book([HEAD, *ROWS])
    merged.active.merge_cells("C2:C3")  # type: ignore[union-attr]
    merged.save(w / "data_merged_cells.xlsx")
    pct = book([HEAD, *ROWS])
    for cell in ("E2", "E3"):
        pct.active[cell].value = float(pct.active[cell].value) / 100  # type: ignore[index, arg-type]
        pct.active[cell].number_format = "0.0%"  # type: ignore[index]
    pct.save(w / "data_percent_cells.xlsx")
    book([HEAD, ROWS[0], [], ROWS[1], [], ROWS[2]]).save(w / "data_blank_rows.xlsx")
    dated = book([HEAD, *ROWS])
    dated.active["D3"] = dt.datetime(2023, 1, 1)  # type: ignore[index]
    dated.save(w / "data_date_year.xlsx")
    renamed = book([["code", "name_en", "unit", "direction", "definition"], ["a", "A", "%", "higher", "x"]],
                   "indicators")
    data = renamed.create_sheet("Daten")
    for r in [HEAD, *ROWS]:
        data.append(r)
    renamed.save(w / "data_renamed_sheet.xlsx")
    book([["code", "name_en", "unit", "direction", "definition"], ["a", "A", "%", "higher", "x"]],
         "indicators").save(w / "data_only_definitions.xlsx")
    two = book([HEAD, *ROWS], "first")
    second = two.create_sheet("second")
    for r in [HEAD, *ROWS]:
        second.append(r)
    two.save(w / "data_two_sheets.xlsx")
    flags = ["是", "否", "否"]
    book([[*HEAD[:4], "benchmark", *HEAD[4:]], *([*r[:4], f, *r[4:]] for r, f in zip(ROWS, flags, strict=True))]
         ).save(w / "data_benchmark_chinese.xlsx")
    txt = book([HEAD, *ROWS])
    for i, v in enumerate(["high", "low", "mid"]):
        txt.active.cell(i + 2, 5).value = v  # type: ignore[union-attr]
    txt.save(w / "data_text_indicator.xlsx")
    booly = book([HEAD, *ROWS])
    for i, v in enumerate([True, False, True]):
        booly.active.cell(i + 2, 5).value = v  # type: ignore[union-attr]
    booly.save(w / "data_bool_indicator.xlsx")
    inj = book([HEAD, *ROWS])
    inj.active["A2"] = "=HYPERLINK(\"http://example.invalid\",\"x\")"  # type: ignore[index]
    inj.active["A2"].data_type = "s"  # type: ignore[index]
    inj.save(w / "data_formula_text_unit.xlsx")


if __name__ == "__main__":
    main()
