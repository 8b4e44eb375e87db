"""Benchmark: the web workspace under 50 concurrent clients on loopback (PRODUCT aims: p95 under 200 ms for pages,
under 2 s for evaluating a 300-cluster round).

A workspace of 300 clusters (290 domestic, 10 benchmarks) and six published rounds of illustrative data is seeded
into SQLite; ``clusterleap serve`` runs in its own process; 50 client threads each fetch ranking and cluster pages
(alternately, random clusters) with an API token, twice: the first pass renders most pages for the first time (pages
of a stored run are rendered once and then served from memory, see clusterleap.serve.pagecache), the second is the
steady state. Baseline, in the same run: the same clients fetching a static file of the ranking page's size from
Python's threading HTTP server. Prints p50 / p95 latency and throughput of each pass, their ratios to the static
file, and the time to evaluate one 300-cluster round (engine, analytics, every profile, stored) against its aim.

Run: .venv/bin/python bench/serve.py  (needs the 'web' extra)
"""

from __future__ import annotations

import http.server
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx
import pandas as pd
from threadpoolctl import threadpool_limits

import clusterleap as cl
from clusterleap.store import open_store
from clusterleap.store.accounts import Actor, create_token
from clusterleap.store.demo import seed_demo
from clusterleap.store.profiles import all_profiles
from clusterleap.store.workspace import evaluate_round

CLIENTS, REQUESTS_EACH = 50, 20
N_DOMESTIC, N_BENCHMARK = 290, 10


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(urls: Callable[[int], list[str]], headers: dict[str, str]) -> tuple[list[float], float]:
    """Latencies (s) of every request of CLIENTS concurrent clients, and the wall time."""
    def client(i: int) -> list[float]:
        out = []
        with httpx.Client(headers=headers, timeout=60) as c:
            for url in urls(i):
                t = time.perf_counter()
                r = c.get(url)
                out.append(time.perf_counter() - t)
                assert r.status_code == 200, (url, r.status_code)
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        lat = [x for xs in pool.map(client, range(CLIENTS)) for x in xs]
    return lat, time.perf_counter() - t0


def _report(name: str, lat: list[float], wall: float) -> tuple[float, float, float]:
    q = statistics.quantiles(lat, n=100)
    p50, p95, rps = q[49] * 1000, q[94] * 1000, len(lat) / wall
    print(f"{name:<34} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   {rps:8.1f} requests/s   ({len(lat)} requests)")
    return p50, p95, rps


def _evaluation_parts(data: list[dict[str, object]], provenance: dict[str, object]) -> None:
    """CPU seconds of the parts of an evaluation, and the profiles computed one unit at a time (as the engine's
    ``Analytics.profile`` does) against all at once (what a run stores), in the same process."""
    def cpu(f: Callable[[], object]) -> tuple[float, object]:
        c = time.process_time()
        out = f()
        return time.process_time() - c, out

    t_eval, result = cpu(lambda: cl.regenerate(provenance, cl.read_data(pd.DataFrame(data))))
    with threadpool_limits(1):  # as evaluate_round does
        t_an, analytics = cpu(lambda: cl.analyse(result))  # type: ignore[arg-type]
    t_all, _ = cpu(lambda: all_profiles(analytics))  # type: ignore[arg-type]
    units = list(result.units)  # type: ignore[attr-defined]
    t_one, _ = cpu(lambda: [analytics.profile(u).to_dict() for u in units[:60]])  # type: ignore[attr-defined]
    per_unit = t_one / 60 * len(units)
    print(f"  CPU: engine {t_eval:.2f} s, analytics {t_an:.2f} s, every profile at once {t_all:.2f} s; one unit at a "
          f"time {per_unit:.2f} s (60 units timed, x{per_unit / t_all:.0f} the all-at-once time)")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="clusterleap-bench-"))
    db = folder / "ws.sqlite3"
    store = open_store(f"sqlite:///{db}")
    t = time.perf_counter()
    seed_demo(store, n_domestic=N_DOMESTIC, n_benchmark=N_BENCHMARK, years=range(2019, 2025))
    print(f"seeding 300 clusters x 6 rounds (evaluated, published): {time.perf_counter() - t:.1f} s")
    with store.session() as s:
        t, c = time.perf_counter(), time.process_time()
        run = evaluate_round(s, Actor(0, "bench", "analyst"), 6)
        evaluation, cpu = time.perf_counter() - t, time.process_time() - c
        token = create_token(s, "viewer")
        data, provenance = run.data, run.provenance
    print(f"evaluating one 300-cluster round (engine + analytics + storing the run): {evaluation:.2f} s wall, "
          f"{cpu:.2f} s CPU (aim: under 2 s: {'met' if evaluation < 2 else 'not met'} in wall time, "
          f"x{evaluation / 2:.2f} of the aim)")
    _evaluation_parts(data, provenance)
    store.engine.dispose()

    port = _port()
    server = subprocess.Popen([sys.executable, "-c", "from clusterleap.cli import main; main()", "serve", "--db",
                               f"sqlite:///{db}", "--port", str(port)], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        units = [f"CN{i:03d}" for i in range(1, N_DOMESTIC + 1)]

        def pages(i: int) -> list[str]:
            rng = random.Random(i)
            return [f"{base}/rounds/6" if k % 2 == 0 else f"{base}/rounds/6/clusters/{rng.choice(units)}"
                    for k in range(REQUESTS_EACH)]

        size = len(httpx.get(f"{base}/rounds/6", headers=headers).content)
        cold, cold_wall = _load(pages, headers)  # most pages rendered for the first time
        lat, wall = _load(pages, headers)
        page_lat, page_wall = lat, wall
    finally:
        server.terminate()
        server.wait()

    static_dir = folder / "static"
    static_dir.mkdir()
    (static_dir / "page.html").write_bytes(os.urandom(size // 2).hex().encode()[:size])
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(static_dir))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sbase = f"http://127.0.0.1:{httpd.server_address[1]}"
    lat, wall = _load(lambda i: [f"{sbase}/page.html"] * REQUESTS_EACH, {})
    static_lat, static_wall = lat, wall
    httpd.shutdown()
    _, sp95, srps = _report(f"static file of {size:,} bytes", static_lat, static_wall)
    _, cp95, crps = _report("pages, first pass (rendering)", cold, cold_wall)
    _, p95, rps = _report("pages, second pass (steady state)", page_lat, page_wall)
    print(f"ratio pages / static, first pass: p95 x{cp95 / sp95:.1f}, throughput x{crps / srps:.2f}")
    print(f"ratio pages / static, steady state: p95 x{p95 / sp95:.1f}, throughput x{rps / srps:.2f}; aim p95 under "
          f"200 ms: {'met' if p95 < 200 else 'not met'}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (1 min), on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
