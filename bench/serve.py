"""Benchmark: the web workspace under 50 concurrent clients on loopback (PRODUCT aims: p95 under 200 ms for pages,
under 2 s for evaluating a 300-cluster round).

A workspace of 300 clusters (290 domestic, 10 benchmarks) and six published rounds of illustrative data is seeded
into SQLite; ``clusterleap serve`` runs in its own process. The load generator runs 50 clients, each with its own
keep-alive connection (the standard library's http.client), as threads of two processes (so that one interpreter's
lock does not throttle them); every client fetches ranking and cluster pages (alternately, random
clusters) with an API token, first while most pages are rendered for the first time (pages of a stored run are
rendered once and then served from memory, see clusterleap.serve.pagecache), then in the steady state, asking for
gzip as browsers do, and once more asking for no compression. Baseline, in the same run and with the same clients:
the real ranking page's bytes as a static file from Python's threading HTTP server (keep-alive, a listen backlog
for 50 clients), gzipped once beforehand when the client accepts gzip, plain otherwise. Prints p50 / p95 latency,
throughput, the bytes of a response, the CPU seconds of the server and of the clients and how busy the machine's
CPUs were during each pass, the ratios of pages to the static file, and the time to evaluate one 300-cluster round
(engine, analytics, every profile, stored) against its aim.

Run: .venv/bin/python bench/serve.py  (needs the 'web' extra)
"""

from __future__ import annotations

import gzip
import http.client
import http.server
import multiprocessing as mp
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
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pandas as pd
from threadpoolctl import threadpool_limits

import clusterleap as cl
from clusterleap.store import open_store
from clusterleap.store.accounts import Actor, create_token
from clusterleap.store.demo import seed_demo
from clusterleap.store.profiles import all_profiles
from clusterleap.store.workspace import evaluate_round

CLIENTS, REQUESTS_EACH, PROCESSES = 50, 20, 2
N_DOMESTIC, N_BENCHMARK = 290, 10
#: what a load process reports: latencies, bytes received, start and end (monotonic), its CPU seconds
_Figures = tuple[list[float], int, float, float, float]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine since boot (/proc/stat)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (float(fields[11]) + float(fields[12])) / os.sysconf("SC_CLK_TCK")


def _client(urls: list[str], headers: dict[str, str]) -> tuple[list[float], int]:
    """One client: one keep-alive connection, requests one after the other; latencies (s) and bytes received.
    (http.client costs about a tenth of httpx's CPU per request, so the clients leave the CPUs to the servers.)"""
    lat: list[float] = []
    received = 0
    where = urlsplit(urls[0])
    conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    try:
        for url in urls:
            path = urlsplit(url).path
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            lat.append(time.perf_counter() - t)
            assert r.status == 200, (url, r.status)
            received += len(body)
    finally:
        conn.close()
    return lat, received


def _worker(urls: list[list[str]], headers: dict[str, str], go: Event, out: Queue[_Figures]) -> None:
    """A load-generating process: waits for the start signal, runs its clients in threads, reports its figures."""
    with ThreadPoolExecutor(len(urls)) as pool:
        go.wait()
        t0, c0 = time.monotonic(), time.process_time()
        results = list(pool.map(_client, urls, [headers] * len(urls)))
        out.put(([x for r in results for x in r[0]], sum(r[1] for r in results), t0, time.monotonic(),
                 time.process_time() - c0))


@dataclass
class Pass:
    name: str
    lat: list[float]
    wall: float
    received: int
    clients_cpu: float
    server_cpu: float
    busy: float

    @property
    def p50(self) -> float:
        return statistics.quantiles(self.lat, n=100)[49] * 1000

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.lat, n=100)[94] * 1000

    @property
    def rps(self) -> float:
        return len(self.lat) / self.wall

    def line(self) -> str:
        return (f"{self.name:<38} p50 {self.p50:7.1f} ms  p95 {self.p95:7.1f} ms  {self.rps:7.1f} req/s  "
                f"{self.received / len(self.lat) / 1000:6.1f} kB/resp  CPU s: server {self.server_cpu:5.2f} "
                f"({self.server_cpu / len(self.lat) * 1000:.2f} ms/req), clients {self.clients_cpu:5.2f}; machine "
                f"busy {self.busy:3.0f} %")


def _load(name: str, urls: Callable[[int], list[str]], headers: dict[str, str], server_pid: int) -> Pass:
    """CLIENTS concurrent clients in PROCESSES processes; every request's latency, the wall time and the CPU."""
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    lists = [urls(i) for i in range(CLIENTS)]
    procs = [ctx.Process(target=_worker, args=(lists[k::PROCESSES], headers, go, out)) for k in range(PROCESSES)]
    for p in procs:
        p.start()
    time.sleep(2.0)  # let the processes start before the clock starts
    s0, b0 = _process_cpu(server_pid), _machine_busy()
    go.set()
    results = [out.get() for _ in procs]
    s1, b1 = _process_cpu(server_pid), _machine_busy()
    for p in procs:
        p.join()
    lat = [x for r in results for x in r[0]]
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    busy = 100 * (b1[0] - b0[0]) / max(b1[1] - b0[1], 1)
    return Pass(name, lat, wall, sum(r[1] for r in results), sum(r[4] for r in results), s1 - s0, busy)


class _Static(http.server.BaseHTTPRequestHandler):
    """One static page, gzipped once beforehand when the client accepts gzip (as a web server's precompressed
    files), over keep-alive HTTP/1.1."""

    protocol_version = "HTTP/1.1"
    plain = b""
    packed = b""

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without TCP_NODELAY a small body waits for the client's delayed
        # ACK (about 40 ms), which would make the baseline look slow
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        zipped = "gzip" in self.headers.get("Accept-Encoding", "")
        body = self.packed if zipped else self.plain
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _StaticServer(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # socketserver's default of 5 drops connections from 50 clients (1 s SYN retries)
    daemon_threads = True


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
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (1 min) at the start")
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
          f"x{evaluation / 2:.2f} of the aim); load average {os.getloadavg()[0]:.1f}")
    _evaluation_parts(data, provenance)
    store.engine.dispose()

    port = _port()
    server = subprocess.Popen([sys.executable, "-c", "from clusterleap.cli import main; main()", "serve", "--db",
                               f"sqlite:///{db}", "--port", str(port)], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    gz, plain = {**auth, "Accept-Encoding": "gzip"}, {**auth, "Accept-Encoding": "identity"}
    units = [f"CN{i:03d}" for i in range(1, N_DOMESTIC + 1)]

    def pages(base: str) -> Callable[[int], list[str]]:
        def urls(i: int) -> list[str]:
            rng = random.Random(i)
            return [f"{base}/rounds/6" if k % 2 == 0 else f"{base}/rounds/6/clusters/{rng.choice(units)}"
                    for k in range(REQUESTS_EACH)]
        return urls

    try:
        for _ in range(600):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        page = httpx.get(f"{base}/rounds/6", headers=plain).content
        passes = [_load("pages, first pass (rendering), gzip", pages(base), gz, server.pid),
                  _load("pages, steady state, gzip", pages(base), gz, server.pid),
                  _load("pages, steady state, uncompressed", pages(base), plain, server.pid)]
    finally:
        server.terminate()
        server.wait()

    _Static.plain, _Static.packed = page, gzip.compress(page)
    httpd = _StaticServer(("127.0.0.1", 0), _Static)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sbase = f"http://127.0.0.1:{httpd.server_address[1]}/ranking.html"
    me = os.getpid()  # the static server runs in this process
    statics = [_load(f"static page of {len(page):,} bytes, gzip", lambda i: [sbase] * REQUESTS_EACH, gz, me),
               _load(f"static page of {len(page):,} bytes, uncompressed", lambda i: [sbase] * REQUESTS_EACH,
                     plain, me)]
    httpd.shutdown()
    print(f"{CLIENTS} clients x {REQUESTS_EACH} requests per pass, in {PROCESSES} client processes (threads, "
          "one keep-alive connection each):")
    for p in [*statics, *passes]:
        print("  " + p.line())
    cold, steady, steady_plain = passes
    for label, pg, st in (("first pass, gzip", cold, statics[0]), ("steady state, gzip", steady, statics[0]),
                          ("steady state, uncompressed", steady_plain, statics[1])):
        print(f"ratio pages / static, {label}: p95 x{pg.p95 / st.p95:.1f}, throughput x{pg.rps / st.rps:.2f}")
    print(f"server CPU per page in the steady state: {steady.server_cpu / len(steady.lat) * 1000:.2f} ms (gzip), "
          f"so one free core serves at most {len(steady.lat) / max(steady.server_cpu, 1e-9):.0f} pages/s; with "
          f"{CLIENTS} clients p95 under 200 ms needs well over {CLIENTS / 0.2:.0f} pages/s")
    print(f"aim p95 under 200 ms in the steady state: {'met' if steady.p95 < 200 else 'not met'} "
          f"({steady.p95:.0f} ms with gzip, {steady_plain.p95:.0f} ms uncompressed)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min), "
          f"on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
