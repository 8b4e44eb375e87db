"""The one-pass check of firm-year keys (year bits per firm) against the plain answers computed in pandas: whether
some firm has two records in one year, and how many firms have records inside and outside the clusters in given
years."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ibis", reason="the records extra (ibis-framework with DuckDB) is not installed")

import ibis

from clusterleap.indicators import connect
from clusterleap.indicators._engines import release
from clusterleap.indicators._keys import SPAN, duplicates_possible, firms_in_years, key_years, popcount

ROWS = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", None]), st.integers(2000, 2007),
                          st.sampled_from([0, 1, None]), st.booleans()), max_size=40)


def _table(rows: list[tuple[str | None, int, int | None, bool]]) -> ibis.Table:
    df = pd.DataFrame(rows, columns=["_firm", "_year", "_unit", "_bad"]).astype(
        {"_firm": "object", "_year": "int32", "_unit": "Int32", "_bad": "bool"})
    return ibis.memtable(df, schema={"_firm": "string", "_year": "int32", "_unit": "int32", "_bad": "boolean"})


@settings(max_examples=60, deadline=None)
@given(ROWS, st.sets(st.integers(1998, 2009)))
def test_year_bits_find_duplicates_and_count_firms_as_pandas_does(rows: list[tuple[str | None, int, int | None, bool]],
                                                                  years: set[int]) -> None:
    con = connect("duckdb")
    try:
        t = _table(rows)
        first, last = (min(r[1] for r in rows), max(r[1] for r in rows)) if rows else (0, 0)
        ky = key_years(con, t, ["_firm", "_year"], (first, last), ~t._bad, "t")
        assert ky is not None and ky.firms
        df = pd.DataFrame(rows, columns=["firm", "year", "unit", "bad"])
        named = df[df.firm.notna()]
        assert duplicates_possible(ky) == bool(named.duplicated(["firm", "year"]).any())
        if not named.duplicated(["firm", "year"]).any():
            kept = named[~named.bad & named.year.isin(years)]
            expected = (kept[kept.unit.notna()].firm.nunique(), kept[kept.unit.isna()].firm.nunique())
            assert firms_in_years(ky, sorted(years)) == expected
    finally:
        release(con)


def test_keys_other_than_one_column_and_the_year_or_too_many_years_take_the_exact_path() -> None:
    con = connect("duckdb")
    try:
        t = _table([("a", 2000, 0, False)])
        assert key_years(con, t, ["_firm"], (2000, 2000), None, "t") is None
        assert key_years(con, t, ["_firm", "_unit", "_year"], (2000, 2000), None, "t") is None
        assert key_years(con, t, ["_firm", "_year"], (2000, 2000 + SPAN), None, "t") is None
        assert key_years(con, t, ["_firm", "_year"], (2000, 2000 + SPAN - 1), None, "t") is not None
    finally:
        release(con)


@pytest.mark.parametrize("value", [0, 1, 2, 3, 0b1011, 2**29 - 1, 2**30 + 5, 2**31 - 1, 0x55555555, 0xAAAAAAAA])
def test_popcount_is_the_number_of_set_bits(value: int) -> None:
    con = connect("duckdb")
    got = con.execute(popcount(ibis.literal(value, "int64")).name("n"))
    assert int(got) == bin(value).count("1")
