"""History durability with a real server process (issue 19's "Done means").

- ``detente serve`` killed with SIGKILL while clients are saving loses no run whose save was
  answered before the kill, and the history opens again intact;
- 20 concurrent clients making 50 what-if requests each, every one with an edit of its own, get
  no error, and every run they saved is in the history afterwards with its edit.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.web.conftest import Server, free_port, need_web, repo_root, running
from tests.web.test_store import store_url  # noqa: F401  (the SQLite / PostgreSQL fixture)

POS = "f.0.position"  # the first stance's position (NL emission_date in the EC scenario)


def _post(conn: http.client.HTTPConnection, url: str, path: str, form: dict[str, Any]) -> str:
    conn.request(
        "POST",
        path,
        body=urlencode(form),
        headers={"Origin": url, "Content-Type": "application/x-www-form-urlencoded"},
    )
    resp = conn.getresponse()
    text = resp.read().decode()
    assert resp.status == 200, (resp.status, text[:200])
    return text


def _run_id(page: str) -> int:
    return int(page.split('data-run="', 1)[1].split('"', 1)[0])


def _wait_until_serving(proc: subprocess.Popen[str], port: int) -> str:
    """The start page's HTML, once the server process answers (it must not exit first)."""
    deadline = time.monotonic() + 120  # a start-up guard on a busy machine, not a timed assert
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "server exited"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/")
            resp = conn.getresponse()
            html = resp.read().decode()
            conn.close()
            if resp.status == 200:
                return html
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("detente serve did not start")
        time.sleep(0.2)


def test_a_server_killed_during_saves_loses_no_answered_run(
    store_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    need_web()
    from detente.web.store import Store

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(repo_root() / "src")}
    # on the small bundled scenario (10 x 1): a save costs little, so they come fast
    command = ["serve", "ec-emissions-1994", "--port", str(port), "--db", store_url]
    command += ["--samples", "8"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "detente", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    answered: dict[int, float] = {}  # run id -> the edited value its save sent
    lock = threading.Lock()
    enough = threading.Event()
    try:
        html = _wait_until_serving(proc, port)
        sha = re.search(r'name="s" value="([0-9a-f]{64})"', html).group(1)

        def client(k: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            i = 0
            try:
                while True:
                    value = 4 + k + (i % 64) / 64  # on the 4-10 scale, its own per client
                    form = {"s": sha, "samples": 8, "seed": 0, POS: repr(value)}
                    run = _run_id(_post(conn, url, "/runs", form))
                    with lock:
                        answered[run] = value
                        if len(answered) >= 24:
                            enough.set()
                    i += 1
            except (OSError, http.client.HTTPException):
                return  # the server was killed under this request

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
        for t in threads:
            t.start()
        enough.wait(timeout=600)
        assert enough.is_set(), "the clients saved too few runs"
        proc.send_signal(signal.SIGKILL)  # with saves in flight
        proc.wait(timeout=60)
        for t in threads:
            t.join(timeout=120)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    store = Store(store_url)  # opens, and migrates, the history the killed server wrote
    try:
        for run_id, value in sorted(answered.items()):
            run = store.get_run(run_id)
            assert run is not None, f"run {run_id} was answered but is lost"
            assert run.edits == [
                {"stance": 0, "actor": "NL", "issue": "emission_date", "field": "position"}
                | {"value": value}
            ]
        if store_url.startswith("sqlite"):
            from sqlalchemy import text

            with store.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        store.close()


@pytest.fixture
def small_server(tmp_path: Path) -> Any:
    """The workbench opened on the bundled EC emissions scenario cut to its first two states
    (Netherlands at 4, Belgium at 7; one issue): the concurrency test is about the server and
    the history, so each answer should cost little. On the default scenario the 1,000 answers
    took four minutes of the suite's ten, on the whole 10 x 1 EC scenario 45 s of CPU (37 ms a
    what-if, 90 ms a save); on these two states 4 ms and 13 ms, so that the requests and saves
    of the 20 clients come faster and overlap more."""
    from importlib.resources import files

    import yaml

    text = (files("detente") / "scenarios" / "ec-emissions-1994.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    keep = [a["id"] for a in doc["actors"][:2]]
    doc["actors"] = [a for a in doc["actors"] if a["id"] in keep]
    doc["stances"] = [s for s in doc["stances"] if s["actor"] in keep]
    assert [s["position"] for s in doc["stances"]] == [4, 7]
    small = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    with running(
        db=f"sqlite:///{tmp_path / 'runs.sqlite'}",
        max_body=1024 * 1024,
        start=(small, "yaml", "ec-emissions-two-states"),
    ) as srv:
        yield srv


def test_twenty_clients_fifty_what_ifs_each_with_their_own_edits(small_server: Server) -> None:
    """Each what-if edits the first stance's position (the fast phase, as the page sends after
    an edit); every tenth request saves the edited run with 8 draws."""
    server = small_server
    sha = server.app.bench.start_sha
    before = {r.id for r in server.store.list_runs(100_000)}
    saved: dict[int, float] = {}
    lock = threading.Lock()

    def client(k: int) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
        answered = 0
        for i in range(50):
            value = 4 + (k * 50 + i) * 0.005  # on the 4-10 scale, its own: no cached answer
            form = {"s": sha, "samples": 8, "seed": 0, POS: repr(value)}
            if i % 10 == 9:
                page = _post(conn, server.url, "/runs", form)
                with lock:
                    saved[_run_id(page)] = value
            else:
                page = _post(conn, server.url, "/whatif", {**form, "phase": "fast"})
                assert page.startswith('<div id="results-body" data-edits="1">'), page[:300]
                assert 'class="problems"' not in page
            answered += 1
        conn.close()
        return answered

    with ThreadPoolExecutor(20) as pool:
        assert sum(pool.map(client, range(20))) == 1000
    assert len(saved) == 100
    runs = {r.id: r for r in server.store.list_runs(100_000) if r.id not in before}
    assert set(runs) == set(saved)
    for run_id, value in saved.items():
        assert [e["value"] for e in runs[run_id].edits] == [value]
