"""Pages of stored runs served from memory: compressed once, filled per caller, revalidated with ETag / 304."""

from __future__ import annotations

import gzip
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from clusterleap.serve._gzip import SplitPage, accepts_gzip
from clusterleap.serve.pagecache import CSRF, USER

from .conftest import Workspace, client_for

MARKS = {"user": b"<<U>>", "csrf": b"<<C>>"}


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.one_of(st.binary(max_size=3000), st.sampled_from([b"<<U>>", b"<<C>>"])), max_size=12),
       user=st.binary(max_size=40), csrf=st.binary(max_size=60))
def test_split_page_gzip_is_the_filled_page(pieces: list[bytes], user: bytes, csrf: bytes) -> None:
    """Whatever the page and wherever the placeholders, the gzip stream decompresses to the filled page."""
    body = b"".join(pieces)
    page = SplitPage.split(body, MARKS)
    values = {"user": user, "csrf": csrf}
    expected = body.replace(b"<<U>>", user).replace(b"<<C>>", csrf)
    assert page.plain(values) == expected
    assert gzip.decompress(page.gzip(values)) == expected
    # a strict single-member reader (as browsers use) agrees: no trailing data, CRC and length checked
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert d.decompress(page.gzip(values)) == expected and d.eof and d.unused_data == b""


def test_split_page_compresses_and_counts_slots() -> None:
    html = (b"<html><head><meta content='<<C>>'></head><body><p><<U>></p>" + b"<tr><td>row</td></tr>" * 5000
            + b"<<U>></body></html>")
    page = SplitPage.split(html, MARKS)
    assert page.slots == ("csrf", "user", "user")
    zipped = page.gzip({"user": b"ann", "csrf": b"tok"})
    assert len(zipped) < len(html) / 20  # a repetitive table compresses well
    assert gzip.decompress(zipped).count(b"ann") == 2


def test_accepts_gzip() -> None:
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("br;q=1.0, gzip;q=0.8")
    assert accepts_gzip("*")
    assert not accepts_gzip("")
    assert not accepts_gzip("identity")
    assert not accepts_gzip("gzip;q=0, *")
    assert not accepts_gzip("br, *;q=0")


def test_cached_pages_gzip_etag_and_304(sqlite_workspace: Workspace) -> None:
    """A second request is served from memory: the same page, gzipped when accepted, 304 when the client has it;
    every caller gets its own name and CSRF token, never another's or a placeholder."""
    analyst = client_for(sqlite_workspace, "analyst")
    viewer = client_for(sqlite_workspace, "viewer")
    url = "/rounds/2/clusters/CN001"
    plain = analyst.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    zipped = analyst.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.text == plain.text  # the client decompressed it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    etag = zipped.headers["etag"]
    assert etag == plain.headers["etag"] and etag.startswith('W/"')
    assert "Accept-Encoding" in zipped.headers["vary"] and zipped.headers["cache-control"] == "private, no-cache"
    again = analyst.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    for text, name in ((plain.text, "analyst"), (viewer.get(url).text, "viewer")):
        assert USER not in text and CSRF not in text
        assert f'<span class="who">{name} ' in text
    other = viewer.get(url, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag  # another caller: another page
    csrf = analyst.headers["X-CSRF-Token"]
    assert f'content="{csrf}"' in plain.text and f'content="{csrf}"' not in viewer.get(url).text
    cache = analyst.app.state.pages  # type: ignore[attr-defined]
    assert (cache.hits, cache.misses) == (2, 1)  # rendered once for the analyst (each client has its own app)


def test_cached_page_asks_anonymous_callers_to_log_in(sqlite_workspace: Workspace) -> None:
    anonymous = client_for(sqlite_workspace)
    r = anonymous.get("/rounds/2/clusters/CN001?x=1")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/rounds/2/clusters/CN001%3Fx%3D1"
    bad = anonymous.get("/rounds/2", headers={"Authorization": "Bearer clt_nope"})  # a revoked or made-up token
    assert bad.status_code == 303 and bad.headers["location"] == "/login?next=/rounds/2"
    assert anonymous.app.state.pages.misses == 0  # type: ignore[attr-defined]  # nothing rendered for them
