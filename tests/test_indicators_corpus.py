"""The bad-record corpus (tests/indicators/corpus/): every kind of bad record is counted, shown with examples and
handled as the definitions say; every value is checked against a sum done by hand.

The records (CSV, read as text): five good firms in two regions (A, B) in 2022 and 2023, and in 2023 an unknown
region (f6), an unknown industry (f7), a duplicated firm-year (f8 twice), a negative revenue (f9, on_bad: missing),
a revenue that is not a number (f10, "12,5": reject), a firm with zero revenue (f11: zero denominator); a patent
and a purchase of a firm that is not in the registry (f99). Clusters: CA1 = K1 in A (f1, f2), CB1 = K1 in B (f4),
CA2 = K2 in A (f3, f9), CB2 = K2 in B (f11); f5 (industry i3) is in no cluster but counts in B's employment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clusterleap.errors import DataError
from tests.conftest import ROOT

pytest.importorskip("ibis", reason="the records extra (ibis-framework with DuckDB) is not installed")

from clusterleap.indicators import Build, build_indicators

CORPUS = ROOT / "tests" / "indicators" / "corpus"


@pytest.fixture(scope="module")
def built() -> Build:
    return build_indicators(CORPUS / "spec.yaml", CORPUS)


def value(b: Build, unit: str, year: int, code: str) -> float:
    row = b.table[(b.table.unit == unit) & (b.table.year == year)]
    return float(row[code].iloc[0])


def test_every_bad_record_is_counted_with_examples_and_its_handling(built: Build) -> None:
    found = {(x.source, x.kind, x.column): (x.count, x.handling, [e.get("firm", e.get("buyer")) for e in x.examples])
             for x in built.coverage.bad}
    assert found == {
        ("firms", "unknown_code", None): (2, "reject", ["f6", "f7"]),
        ("firms", "duplicate", "firm, year"): (2, "reject", ["f8", "f8"]),
        ("firms", "negative", "revenue"): (1, "missing", ["f9"]),
        ("firms", "not_a_number", "revenue"): (1, "reject", ["f10"]),
        ("patents", "unknown_code", None): (1, "reject", ["f99"]),
        ("purchases", "unknown_code", None): (1, "reject", ["f99"]),
    }
    nan = next(x for x in built.coverage.bad if x.kind == "not_a_number")
    assert nan.examples[0]["revenue"] == "12,5"  # the cell as written, not a guess
    text = built.coverage.text()
    assert "2 record(s) with a duplicated key in 'firm, year': rejected" in text
    assert "e.g. firm=f9, year=2023, region=A, industry=i2, employees=10, revenue=-50" in text


def test_rows_read_and_used(built: Build) -> None:
    cov = {s.source: s for s in built.coverage.sources}
    assert (cov["firms"].rows_read, cov["firms"].rows_used) == (17, 12)  # f6, f7, f8 x2, f10 out; f9 kept
    assert (cov["firms"].firms_in_clusters, cov["firms"].firms_outside) == (6, 1)  # f5 is in no cluster
    assert (cov["patents"].rows_read, cov["patents"].rows_used) == (4, 3)
    assert built.provenance["inputs"][0]["rows_read"] == 17 and len(built.provenance["inputs"][0]["sha256"]) == 64
    assert built.provenance["records"] == str(CORPUS.resolve())


def test_ratios_and_counts_by_hand(built: Build) -> None:
    assert value(built, "CA1", 2023, "rd_intensity") == pytest.approx((5 + 10) / (100 + 300) * 100, rel=1e-12)
    assert value(built, "CA1", 2022, "rd_intensity") == pytest.approx((4 + 9) / (80 + 300) * 100, rel=1e-12)
    assert value(built, "CB1", 2023, "rd_intensity") == pytest.approx(5.0)
    assert value(built, "CA2", 2022, "rd_intensity") == 0.0
    assert value(built, "CA1", 2023, "little_giants") == 1 and value(built, "CA2", 2023, "little_giants") == 0
    assert value(built, "CA1", 2023, "grants_2y") == 3 + 2 and value(built, "CA1", 2022, "grants_2y") == 3
    assert value(built, "CB1", 2023, "grants_2y") == 7  # f99's 4 are rejected, not added anywhere


def test_missing_values_and_why(built: Build) -> None:
    assert np.isnan(value(built, "CA2", 2023, "rd_intensity"))  # f9's revenue is missing: so is the sum
    assert np.isnan(value(built, "CB2", 2023, "rd_intensity"))  # f11: revenue 0
    assert np.isnan(value(built, "CB2", 2022, "rd_intensity"))  # no firm at all
    reasons = {(m.indicator, m.reason): m.examples for m in built.coverage.missing}
    assert reasons[("rd_intensity", "missing input")] == (("CA2", 2023),)
    assert reasons[("rd_intensity", "zero denominator")] == (("CB2", 2023),)
    assert reasons[("rd_intensity", "no records")] == (("CB2", 2022),)
    assert len(reasons[("ss_total", "no base year")]) == 4


def test_regional_measures_by_hand(built: Build) -> None:
    # 2023 employment: A = f1 10 + f2 30 + f3 20 + f9 10 = 70; B = f4 40 + f5 60 + f11 3 = 103; all 173.
    # K1 = 10 + 30 + 40 = 80, K2 = 20 + 10 + 3 = 33. 2022: all 140, K1 = 8 + 32 + 30 = 70.
    assert value(built, "CA1", 2023, "lq") == pytest.approx((40 / 70) / (80 / 173), rel=1e-12)
    assert value(built, "CB2", 2023, "lq") == pytest.approx((3 / 103) / (33 / 173), rel=1e-12)
    assert value(built, "CA1", 2023, "regional_share") == pytest.approx(40 / 70, rel=1e-12)
    assert value(built, "CA2", 2023, "national_share") == pytest.approx(30 / 33, rel=1e-12)
    assert value(built, "CA1", 2023, "specialisation") == pytest.approx((40 / 70) ** 2 + (30 / 70) ** 2, rel=1e-12)
    assert value(built, "CB1", 2023, "specialisation") == pytest.approx((40 / 43) ** 2 + (3 / 43) ** 2, rel=1e-12)
    g, gk = 173 / 140 - 1, 80 / 70 - 1
    assert value(built, "CA1", 2023, "ss_national") == pytest.approx(40 * g, rel=1e-12)
    assert value(built, "CA1", 2023, "ss_mix") == pytest.approx(40 * (gk - g), rel=1e-12)
    assert value(built, "CA1", 2023, "ss_competitive") == pytest.approx(40 - 40 * (1 + gk), rel=1e-12)
    for unit in ("CA1", "CB1", "CA2", "CB2"):
        parts = sum(value(built, unit, 2023, f"ss_{c}") for c in ("national", "mix", "competitive"))
        assert parts == pytest.approx(value(built, unit, 2023, "ss_total"), abs=1e-9)
    # strong (top half of the 2 regions on the quotient): A leads K1 and K2
    assert [value(built, u, 2023, "strong") for u in ("CA1", "CB1", "CA2", "CB2")] == [1, 0, 1, 0]


def test_herfindahl_by_hand(built: Build) -> None:
    # CA1 2023: IN1 from s1 60, s2 40 (HHI .52 on 100), IN2 from s1 100 (HHI 1 on 100); f99's purchase is rejected
    assert value(built, "CA1", 2023, "supplier_hhi") == pytest.approx((0.52 * 100 + 1.0 * 100) / 200 * 1e4)
    assert value(built, "CA1", 2023, "supplier_hhi_pooled") == pytest.approx(0.8 ** 2 + 0.2 ** 2)


@pytest.mark.parametrize(("kind", "message"), [
    ("unknown_code", "2 record(s) of source 'firms' with an unknown region, industry or firm code (or year) "
                     "(on_bad.unknown_code: error), e.g. firm=f6"),
    ("duplicate", "2 record(s) of source 'firms' with a duplicated key in 'firm, year' (on_bad.duplicate: error), "
                  "e.g. firm=f8"),
    ("negative", "1 record(s) of source 'firms' with a negative value in 'revenue' (on_bad.negative: error), "
                 "e.g. firm=f9"),
    ("not_a_number", "1 record(s) of source 'firms' with a value that is not a number in 'revenue' "
                     "(on_bad.not_a_number: error), e.g. firm=f10"),
])
def test_error_handling_stops_naming_the_file_and_records(tmp_path: Path, kind: str, message: str) -> None:
    records = tmp_path / "records"
    shutil.copytree(CORPUS, records)
    spec = records / "spec.yaml"
    spec.write_text(spec.read_text().replace(f"  {kind}: reject", f"  {kind}: error")
                    .replace(f"  {kind}: missing", f"  {kind}: error"))
    with pytest.raises(DataError) as err:
        build_indicators(spec, records)
    assert str(err.value).startswith(f"{records / 'firms.csv'}: {message}")


def test_zero_denominator_error(tmp_path: Path) -> None:
    records = tmp_path / "records"
    shutil.copytree(CORPUS, records)
    spec = records / "spec.yaml"
    spec.write_text(spec.read_text().replace("zero_denominator: missing", "zero_denominator: error"))
    with pytest.raises(DataError, match=r"rd_intensity: a denominator of zero for 1 cluster-year\(s\) "
                                        r"\(on_bad.zero_denominator: error\), e.g. CB2 2023"):
        build_indicators(spec, records)


def test_negative_rejected_instead_of_missing(tmp_path: Path) -> None:
    records = tmp_path / "records"
    shutil.copytree(CORPUS, records)
    spec = records / "spec.yaml"
    spec.write_text(spec.read_text().replace("negative: missing", "negative: reject"))
    b = build_indicators(spec, records)
    # f9 is out: CA2 2023 is f3 alone, rd 0 on revenue 200
    assert value(b, "CA2", 2023, "rd_intensity") == 0.0
    assert value(b, "CA2", 2023, "regional_share") == pytest.approx(20 / 60)


def test_written_output_is_read_by_the_project_reader(built: Build, tmp_path: Path) -> None:
    import clusterleap as cl

    built.write(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["coverage.json", "coverage.txt",
                                                                   "indicators.csv", "provenance.json"]
    data = cl.read_data(tmp_path / "out" / "indicators.csv")
    assert data.units == ("CA1", "CB1", "CA2", "CB2") and data.years == (2022, 2023)
    back = pd.read_csv(tmp_path / "out" / "indicators.csv")
    assert back.lq.to_numpy() == pytest.approx(built.table.lq.to_numpy(), rel=1e-9)


def test_an_explicit_firm_list_takes_precedence(tmp_path: Path) -> None:
    """membership.firms: f5 (industry i3, in no category) is listed in CB1, f1 moved from CA1 to CB1."""
    records = tmp_path / "records"
    shutil.copytree(CORPUS, records)
    (records / "firm-list.csv").write_text("firm,cluster\nf5,CB1\nf1,CB1\n", encoding="utf-8")
    spec = records / "spec.yaml"
    spec.write_text(spec.read_text().replace("  clusters: clusters.csv\n",
                                             "  clusters: clusters.csv\n  firms: firm-list.csv\n"))
    b = build_indicators(spec, records)
    assert value(b, "CB1", 2023, "rd_intensity") == pytest.approx((20 + 1 + 5) / (400 + 100 + 100) * 100)
    assert value(b, "CA1", 2023, "rd_intensity") == pytest.approx(10 / 300 * 100)
    assert value(b, "CB1", 2023, "little_giants") == 2  # f1 and f4
    # the unit's employment follows the list; regional and national totals follow the codes
    assert value(b, "CB1", 2023, "lq") == pytest.approx(((40 + 60 + 10) / 103) / (80 / 173), rel=1e-12)
    cov = {s.source: s for s in b.coverage.sources}
    assert (cov["firms"].firms_in_clusters, cov["firms"].firms_outside) == (7, 0)


def _typed_corpus(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """The corpus with its firms as a typed Parquet file: numbers as float64 (the cell "12,5" becomes NaN), the flag
    as a nullable boolean, the year as an integer."""
    records = tmp_path / "records"
    shutil.copytree(CORPUS, records)
    firms = pd.read_csv(records / "firms.csv", dtype=str, keep_default_na=False)
    for col in ("employees", "revenue", "rd"):
        firms[col] = pd.to_numeric(firms[col], errors="coerce").astype("float64")
    firms["year"] = firms["year"].astype("int64")
    firms["little_giant"] = firms["little_giant"].map({"true": True, "false": False}).astype("boolean")
    spec = records / "spec.yaml"
    spec.write_text(spec.read_text().replace("file: firms.csv", "file: firms.parquet"))
    return records, firms


def test_a_typed_parquet_file_gives_the_same_counts_and_values(built: Build, tmp_path: Path) -> None:
    """NaN in a float column is 'not a number', a boolean column is a flag as it is, codes are taken as stored."""
    records, firms = _typed_corpus(tmp_path)
    table = pa.Table.from_pandas(firms, preserve_index=False)  # pandas would write NaN as an empty cell
    revenue = pa.array(firms["revenue"].to_numpy(), type=pa.float64(), from_pandas=False)
    pq.write_table(table.set_column(table.schema.get_field_index("revenue"), "revenue", revenue),
                   records / "firms.parquet")
    b = build_indicators(records / "spec.yaml", records)
    counts = {(x.source, x.kind, x.column): x.count for x in b.coverage.bad}
    assert counts == {(x.source, x.kind, x.column): x.count for x in built.coverage.bad}
    nan = next(x for x in b.coverage.bad if x.kind == "not_a_number")
    assert nan.examples[0]["firm"] == "f10" and nan.examples[0]["revenue"] is None  # NaN as read: no value
    pd.testing.assert_frame_equal(b.table, built.table)


def test_blanks_around_codes_are_stripped_in_csv_not_in_parquet(tmp_path: Path) -> None:
    records, firms = _typed_corpus(tmp_path)
    firms.loc[0, "region"] = "A "  # f1 2022
    firms.to_parquet(records / "firms.parquet", index=False)
    b = build_indicators(records / "spec.yaml", records)
    unknown = next(x for x in b.coverage.bad if x.source == "firms" and x.kind == "unknown_code")
    assert unknown.count == 3 and unknown.examples[0]["region"] == "A "  # reported, never taken for A
    csv = (records / "firms.csv").read_text().replace("f1,2022,A,", "f1,2022, A ,")
    (records / "firms.csv").write_text(csv)
    spec = records / "spec.yaml"
    spec.write_text(spec.read_text().replace("file: firms.parquet", "file: firms.csv"))
    b = build_indicators(spec, records)
    unknown = next(x for x in b.coverage.bad if x.source == "firms" and x.kind == "unknown_code")
    assert unknown.count == 2 and value(b, "CA1", 2022, "rd_intensity") == pytest.approx((4 + 9) / (80 + 300) * 100)
