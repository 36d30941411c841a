"""Fixtures of the workbench tests: a live server on a free loopback port, and a browser.

The server runs in a thread of the test process (uvicorn) with its own SQLite history in a
temporary folder, and is always stopped. The browser is Debian's ``chromium`` driven by
Playwright (its own browser download does not work here). Without the web extra, Playwright or
chromium these tests skip, except under ``CI=true``, where a missing piece is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is missing; CI must install it (see .ci/run)", pytrace=False)
    pytest.skip(f"{what} is not installed")


def need(module: str) -> Any:
    """Import ``module`` or skip (fail under CI)."""
    try:
        return __import__(module)
    except ImportError:
        _missing(f"python package {module}")


@dataclass
class Server:
    """A running workbench: its base URL, ASGI app and run-history URL."""

    url: str
    port: int
    app: Any
    db: str

    @property
    def store(self) -> Any:
        return self.app.bench.store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_web() -> None:
    """Skip (fail under CI) without the web extra."""
    for mod in ("starlette", "uvicorn", "sqlalchemy", "alembic", "jinja2"):
        need(mod)
    try:  # python-multipart, for uploads: its module was renamed in 0.0.13
        import python_multipart  # noqa: F401
    except ImportError:
        need("multipart")


@contextlib.contextmanager
def running(**settings: Any) -> Iterator[Server]:
    """A workbench on a free loopback port in a thread, stopped on exit."""
    need_web()
    import uvicorn

    from detente.web.app import Settings, create_app

    port = free_port()
    app = create_app(Settings(port=port, **settings))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, proxy_headers=False
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the workbench did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", port, app, settings["db"])
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        app.bench.store.close()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The workbench on 127.0.0.1 with a fresh history (a SQLite file in a temp folder)."""
    db = f"sqlite:///{tmp_path_factory.mktemp('history') / 'runs.sqlite'}"
    with running(db=db, max_body=1024 * 1024) as srv:
        yield srv


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Debian chromium under Playwright."""
    need("playwright")
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        _missing("Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh page (own context, so no cookies carry over) on the start scenario."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    try:
        yield pg
    finally:
        context.close()


def detente(
    capsys: pytest.CaptureFixture[str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``detente ARGS`` in this process: the console entry point, its output and exit status."""
    from detente.cli import main

    capsys.readouterr()
    before = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        os.chdir(before)
    out = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out.out, out.err)


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly when the history tests did not run on PostgreSQL."""
    from tests.web.test_store import PG_ENV, SKIPPED_PG

    if SKIPPED_PG:
        terminalreporter.write_line(
            f"run history: {len(SKIPPED_PG)} PostgreSQL variants skipped (no server given; set "
            f"{PG_ENV}=postgresql+psycopg://USER@HOST/DB to run them)"
        )
