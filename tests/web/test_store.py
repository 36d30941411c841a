"""The run history: migrations, content-addressed scenario texts, durability, `detente runs`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.web.conftest import Server, detente, need, repo_root

#: a PostgreSQL server for the history tests, e.g. postgresql+psycopg://user@127.0.0.1/db
PG_ENV = "DETENTE_TEST_POSTGRES"
SKIPPED_PG: list[str] = []


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same history tests on SQLite and, when ``$DETENTE_TEST_POSTGRES`` names a server,
    on PostgreSQL (each test in a schema of its own, dropped afterwards)."""
    need("sqlalchemy")
    need("alembic")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.sqlite'}"
        return
    url = os.environ.get(PG_ENV)
    if not url:
        SKIPPED_PG.append(request.node.name)
        pytest.skip(f"no PostgreSQL server given: set {PG_ENV} to run the history tests on one")
    from sqlalchemy import create_engine, make_url, text

    schema = f"detente_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _save(store, sha: str, n: int = 0) -> int:
    return store.save_run(
        command="test",
        scenario_sha256=sha,
        edits=[{"stance": 0, "field": "position", "value": float(n)}] if n else [],
        options={"samples": 1},
        seed=n,
        version="0.0.0",
        outputs=json.dumps({"n": n}),
        elapsed_s=0.0,
    )


def test_migrations_texts_once_and_wal(store_url: str) -> None:
    from sqlalchemy import inspect, text

    from detente.web.store import Store

    store = Store(store_url)
    names = set(inspect(store.engine).get_table_names())
    assert {"runs", "scenario_texts", "alembic_version"} <= names
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    a = store.put_scenario("meta: x\n", "yaml", "a.yaml")
    assert store.put_scenario("meta: x\n", "yaml", "b.yaml") == a
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scenario_texts")).scalar() == 1
    run = _save(store, a, 3)
    store.close()
    again = Store(store_url)  # migrations at start are idempotent; the run is still there
    got = again.get_run(run)
    assert got is not None and got.edits[0]["value"] == 3.0 and got.text == "meta: x\n"
    again.close()


def test_url_from_option_environment_or_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.web.store import resolve_url

    monkeypatch.setenv("DETENTE_DB", "postgresql://team-db/detente")
    assert resolve_url(None) == "postgresql://team-db/detente"
    assert resolve_url(str(tmp_path / "x.sqlite")) == f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.delenv("DETENTE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if sys.platform.startswith("linux"):
        assert resolve_url(None) == f"sqlite:///{tmp_path / 'data' / 'detente' / 'runs.sqlite'}"


def test_concurrent_saves_all_kept(store_url: str) -> None:
    from detente.web.store import Store

    store = Store(store_url)
    sha = store.put_scenario("text", "yaml", "t.yaml")
    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(lambda n: _save(store, sha, n), range(1, 501)))
    assert len(set(ids)) == 500
    assert {r.seed for r in store.list_runs(10_000)} == set(range(1, 501))
    store.close()


def test_the_same_scenario_stored_at_once_by_two_requests(store_url: str) -> None:
    """Two saves of one scenario at once: both see no row, both insert; the second insert's
    IntegrityError means the text is stored (the full suite's 20-client test hit this)."""
    from sqlalchemy.orm import Session

    from detente.web.store import ScenarioText, Store

    store = Store(store_url)
    sha = store.put_scenario("same text", "yaml", "a.yaml")
    real_get = Session.get

    def check_misses(self, entity, ident, **kw):  # as if the other insert had not committed
        return None if entity is ScenarioText else real_get(self, entity, ident, **kw)

    Session.get = check_misses
    try:
        # the pk conflict is raised as IntegrityError and taken as "already stored"
        assert store.put_scenario("same text", "yaml", "b.yaml") == sha
    finally:
        Session.get = real_get
    assert store.get_scenario(sha).source == "a.yaml"
    with ThreadPoolExecutor(20) as pool:
        assert set(pool.map(lambda n: store.put_scenario("t2", "yaml", f"{n}"), range(40))) == {
            store.put_scenario("t2", "yaml", "x")
        }
    store.close()


KILLED_WRITER = """
import sys
from detente.web.store import Store
store = Store(sys.argv[1])
sha = store.put_scenario("text", "yaml", "t.yaml")
n = 0
while True:
    n += 1
    rid = store.save_run(command="t", scenario_sha256=sha, edits=[], options={}, seed=n,
                         version="0", outputs="{}", elapsed_s=0.0)
    print(rid, flush=True)  # printed only after the commit returned
"""


def test_sigkill_during_saves_loses_no_committed_run(store_url: str, tmp_path: Path) -> None:
    from detente.web.store import Store

    env = {**os.environ, "PYTHONPATH": str(repo_root() / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, store_url],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    committed = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            committed.append(int(line))
            if len(committed) >= 50:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(committed) >= 50
    store = Store(store_url)
    kept = {r.id for r in store.list_runs(100_000)}
    assert set(committed) <= kept
    store.close()


def test_twenty_clients_fifty_requests_each(server: Server) -> None:
    import http.client

    sha = server.app.bench.start_sha
    before = {r.id for r in server.store.list_runs(100_000)}
    saved: list[int] = []
    lock = threading.Lock()

    def client(k: int) -> list[int]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        statuses = []
        for i in range(50):
            path = "/runs" if i % 5 == 4 else "/whatif"
            body = urlencode({"s": sha, "samples": 64, "seed": 0})
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Origin": server.url,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            resp = conn.getresponse()
            page = resp.read().decode()
            statuses.append(resp.status)
            if path == "/runs":
                run = int(page.split('data-run="', 1)[1].split('"', 1)[0])
                with lock:
                    saved.append(run)
        conn.close()
        return statuses

    with ThreadPoolExecutor(20) as pool:
        statuses = [s for ss in pool.map(client, range(20)) for s in ss]
    assert statuses == [200] * 1000
    assert len(saved) == 200
    after = {r.id for r in server.store.list_runs(100_000)}
    assert set(saved) <= after and len(after - before) == 200


def test_runs_cli_list_show_and_rerun_detects_a_change(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from detente.web import workbench as wb
    from detente.web.store import Store

    text, kind = wb.bundled_text("ec-emissions-1994")
    opened = wb.open_text("x", text, kind, "ec-emissions-1994")
    out, elapsed = wb.run_forecast(opened.loaded, 8, 1)
    store = Store(store_url)
    sha = store.put_scenario(text, kind, "ec-emissions-1994")
    good = wb.forecast_json(out)
    ids = []
    for outputs in (good, good.replace('"seed": 1', '"seed": 2', 1)):
        ids.append(
            store.save_run(
                command="workbench",
                scenario_sha256=sha,
                edits=[],
                options={"samples": 8},
                seed=1,
                version="0.0.1",
                outputs=outputs,
                elapsed_s=elapsed,
            )
        )
    store.close()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return detente(capsys, "runs", *args, "--db", store_url)

    done = cli("list", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [r["id"] for r in listed] == ids[::-1]
    assert cli("show", str(ids[0]), "--json").stdout == good
    ok = cli("rerun", str(ids[0]))
    assert ok.returncode == 0 and "byte-identical" in ok.stdout
    bad = cli("rerun", str(ids[1]))
    assert bad.returncode == 1
    assert "DIFFERS" in bad.stdout and "saved by detente 0.0.1" in bad.stdout
    assert "outcome.seed: 2 -> 1" in bad.stdout
    compared = cli("diff", str(ids[0]), str(ids[1]))
    assert compared.returncode == 0
    assert "1 output value(s) differ" in compared.stdout
    assert "outcome.seed: 1 -> 2" in compared.stdout
    missing = cli("show", "999")
    assert missing.returncode == 2 and "no such run" in missing.stderr


def test_an_unusable_database_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need("sqlalchemy")
    (tmp_path / "dir.sqlite").mkdir()
    for url in (f"sqlite:///{tmp_path / 'dir.sqlite'}", "nosuchdialect://x/y"):
        done = detente(capsys, "runs", "list", "--db", url)
        assert done.returncode == 2
        assert done.stderr.startswith("detente: --db: ") and len(done.stderr.splitlines()) == 1
