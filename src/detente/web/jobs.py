"""Slow work as background jobs: Monte Carlo intervals, advice for an actor and sensitivity,
each with progress and cancel.

A job runs in a thread of the server (the engine releases the GIL in NumPy, and the page keeps
answering edits meanwhile). Its progress is reported by the engine: draws finished after each
block (Monte Carlo), moves evaluated (advice), evaluations after each block (sensitivity);
cancelling takes effect at the next report.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from detente.scenario import Loaded

#: jobs that may run at once; more are refused with a message
MAX_RUNNING = 2
#: finished jobs kept for the page to collect
MAX_KEPT = 50


class Cancelled(Exception):
    """Raised inside the engine's progress callback to stop a cancelled job."""


@dataclass
class Job:
    """One background run: ``kind`` montecarlo, advice or sensitivity."""

    id: str
    samples: int
    seed: int
    n_edits: int
    kind: str = "montecarlo"
    #: what the job is for, e.g. the advised actor
    subject: str = ""
    #: steps in all (draws, moves, evaluations), once the engine knows
    total: int = 0
    done: int = 0
    state: str = "running"  # running, finished, cancelled, failed
    result: dict[str, Any] | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)


class Jobs:
    """The server's background jobs, by id."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        """A job by id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def start_montecarlo(self, loaded: Loaded, samples: int, seed: int, n_edits: int) -> Job | None:
        """Start Monte Carlo over ``samples`` draws; None if too many jobs are running."""
        return self._start(Job("", samples, seed, n_edits, total=samples), loaded)

    def start(
        self,
        kind: str,
        work: Callable[[Callable[[int, int], None]], dict[str, Any]],
        *,
        samples: int,
        seed: int,
        n_edits: int,
        subject: str = "",
    ) -> Job | None:
        """Start ``work(progress)`` as a job of ``kind``; None if too many jobs are running.

        ``work`` calls ``progress(done, total)``; a cancelled job stops at its next call.
        """
        job = Job("", samples, seed, n_edits, kind=kind, subject=subject)
        return self._start(job, None, work)

    def _start(
        self,
        job: Job,
        loaded: Loaded | None,
        work: Callable[[Callable[[int, int], None]], dict[str, Any]] | None = None,
    ) -> Job | None:
        with self._lock:
            running = sum(j.state == "running" for j in self._jobs.values())
            if running >= MAX_RUNNING:
                return None
            finished = [k for k, j in self._jobs.items() if j.state != "running"]
            for k in finished[: max(0, len(self._jobs) - MAX_KEPT)]:
                del self._jobs[k]
            job.id = secrets.token_hex(8)
            self._jobs[job.id] = job
        if work is None:
            threading.Thread(target=self._run, args=(job, loaded), daemon=True).start()
        else:
            threading.Thread(target=self._work, args=(job, work), daemon=True).start()
        return job

    @staticmethod
    def _work(job: Job, work: Callable[[Callable[[int, int], None]], dict[str, Any]]) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            if job.cancel.is_set():
                raise Cancelled

        try:
            job.result = work(progress)
            job.state = "finished"
        except Cancelled:
            job.state = "cancelled"
        except Exception as exc:  # shown on the page; the server goes on
            job.error, job.state = str(getattr(exc, "first_line", None) or repr(exc)), "failed"
        job.elapsed = time.perf_counter() - job.started

    @staticmethod
    def _run(job: Job, loaded: Loaded) -> None:
        from detente import api

        def progress(done: int) -> None:
            job.done = done
            if job.cancel.is_set():
                raise Cancelled

        try:
            job.result = api.montecarlo(
                loaded, samples=job.samples, seed=job.seed, progress=progress
            )
            job.state = "finished"
        except Cancelled:
            job.state = "cancelled"
        except Exception as exc:  # shown on the page; the server goes on
            job.error, job.state = repr(exc), "failed"
        job.elapsed = time.perf_counter() - job.started
