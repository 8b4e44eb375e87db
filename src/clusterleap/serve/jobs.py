"""The job runner of the serve process: robustness analyses run one at a time, in the background of the one server.

A thread of the server takes the oldest queued job and computes it in a child process (``spawn``), so pages keep
their speed while the engine works and a cancel ends the work at once (the child is stopped). The child sends its
progress and then its result through a pipe; the thread records progress and stores the result, all of it in one
transaction (``clusterleap.store.jobs.finish``). When the server stops, the running job is marked ``interrupted``;
when it is killed (SIGKILL, power loss), the next start marks it so (``recover``), and the orphaned child ends itself
at its next progress step. Nothing else needs starting: the runner lives and dies with ``clusterleap serve``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from typing import Any

from ..store import Store
from ..store import jobs as sj

__all__ = ["JobRunner"]

log = logging.getLogger("clusterleap.serve.jobs")


class JobRunner:
    """Runs queued robustness jobs of ``store``; ``poll`` seconds between looks at the queue and at cancels."""

    def __init__(self, store: Store, poll: float = 0.25) -> None:
        self.store = store
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._child: Any = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> int:
        """Mark jobs a stopped server left running as interrupted, then start the thread; returns how many jobs
        were marked."""
        with self.store.session() as db:
            n = sj.recover(db)
        if n:
            log.warning("%d robustness job(s) were interrupted when the server last stopped", n)
        if not self.running:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="clusterleap-jobs", daemon=True)
            self._thread.start()
        return n

    def wake(self) -> None:
        """Look at the queue now (a job was just queued or cancelled)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread; a running job's child process is stopped and the job marked interrupted."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            if self._child is not None and self._child.is_alive():
                self._child.terminate()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    # -- the thread ------------------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self.store.session() as db:
                    job_id = sj.claim_next(db)
                if job_id is None:
                    self._wake.wait(1.0)
                    self._wake.clear()
                    continue
                self._run(job_id)
            except Exception:  # a database hiccup must not end the runner; the job (if any) says failed
                log.exception("robustness job runner")
                time.sleep(1.0)

    def _run(self, job_id: int) -> None:
        with self.store.session() as db:
            inputs = sj.job_inputs(db, job_id)
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=sj.robustness_child, args=(send, inputs, os.getpid()), daemon=True,
                            name=f"clusterleap-robustness-{job_id}")
        with self._lock:
            if self._stop.is_set():
                return self._end(job_id, "interrupted", "interrupted")
            child.start()
            self._child = child
        send.close()
        try:
            self._watch(job_id, child, receive)
        finally:
            with self._lock:
                self._child = None
            if child.is_alive():
                child.terminate()
            child.join(5)
            receive.close()

    def _watch(self, job_id: int, child: Any, receive: Any) -> None:
        last = 0.0
        phase, fraction = "preparing", 0.0
        while True:
            if self._stop.is_set():
                return self._end(job_id, "interrupted", "interrupted")
            got = receive.poll(self.poll)
            if got:
                try:
                    msg = receive.recv()
                except (EOFError, OSError):
                    msg = None
                if msg is None:
                    return self._lost(job_id, child)
                if msg[0] == "progress":
                    _, phase, done, total = msg
                    fraction = 0.05 + 0.9 * done / total if phase == "propagating" and total else \
                        (0.97 if phase == "summarising" else 0.02)
                elif msg[0] == "done":
                    with self.store.session() as db:
                        sj.finish(db, job_id, msg[1])
                    return None
                else:
                    return self._end(job_id, "failed", str(msg[1]))
            now = time.monotonic()
            if now - last >= self.poll or not got:
                last = now
                with self.store.session() as db:
                    cancel = sj.set_progress(db, job_id, fraction, phase)
                if cancel:
                    child.terminate()
                    return self._end(job_id, "cancelled", "cancelled")
            if not got and not child.is_alive() and not receive.poll(0):
                return self._lost(job_id, child)

    def _lost(self, job_id: int, child: Any) -> None:
        """The child ended without a result: stopped with the server (interrupted), or it died (failed)."""
        child.join(5)
        if self._stop.is_set():
            return self._end(job_id, "interrupted", "interrupted")
        return self._end(job_id, "failed", f"the analysis process ended unexpectedly (exit code {child.exitcode})")

    def _end(self, job_id: int, state: str, message: str) -> None:
        with self.store.session() as db:
            sj.mark(db, job_id, state, message)
