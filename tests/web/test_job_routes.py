"""The background-job routes (advice, tornado, sweep, report) over plain HTTP: one helper starts
them all, so each must answer bad inputs, a full job table and a good start the same way."""

from __future__ import annotations

import html
import http.client
from pathlib import Path
from urllib.parse import urlencode

from tests.web.conftest import Server, running

ROUTES = ("advice", "sensitivity", "sweep", "report")


def _post(srv: Server, path: str, form: dict[str, str]) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    headers = {"Origin": srv.url, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", path, body=urlencode(form), headers=headers)
    resp = conn.getresponse()
    text = html.unescape(resp.read().decode())
    conn.close()
    assert resp.status == 200, (path, resp.status)
    return text


def test_every_job_route_answers_bad_inputs_full_tables_and_starts_alike(tmp_path: Path) -> None:
    with running(db=str(tmp_path / "runs.sqlite"), samples=8) as srv:
        sha = srv.app.bench.start_sha
        good = {"s": sha, "samples": "8", "seed": "3", "advice_actor": "RUS"}
        for kind in ROUTES:
            path = f"/jobs/{kind}"
            assert "unknown scenario; reload the page" in _post(srv, path, {**good, "s": "zz"})
            assert "the seed must be a whole number >= 0" in _post(
                srv, path, {**good, "seed": "-1"}
            )
            text = _post(srv, path, {**good, "f.0.position": "abc"})
            assert "stances[0].position: expected a number" in text
        assert "--actor: choose one of" in _post(srv, "/jobs/advice", {**good, "advice_actor": "X"})

        jobs = srv.app.bench.jobs
        start = jobs.start
        jobs.start = lambda *a, **k: None  # as if two jobs were running
        try:
            for kind in ROUTES:
                text = _post(srv, f"/jobs/{kind}", good)
                assert "two jobs are running; wait or cancel one" in text, kind
        finally:
            jobs.start = start

        from detente.analyses.sensitivity import uncertain_inputs

        sweep_input = uncertain_inputs(srv.app.bench.opened(sha).loaded.scenario)[0]
        started = []

        def recorded(*args, **kwargs):
            started.append(start(*args, **kwargs))
            return started[-1]

        jobs.start = recorded
        for kind, subject in (
            ("sensitivity", ""),
            ("sweep", sweep_input),
            ("advice", "RUS"),
            ("report", ""),
        ):
            text = _post(srv, f"/jobs/{kind}", {**good, "sweep_input": sweep_input})
            job = started[-1]
            assert f'data-kind="{kind}"' in text
            assert (job.kind, job.subject, job.seed, job.samples) == (kind, subject, 3, 8)
            job.cancel.set()
            while job.state == "running":
                job.cancel.wait(0.05)
