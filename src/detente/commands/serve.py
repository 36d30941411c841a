"""``detente serve``: the what-if workbench in the browser (needs the ``web`` extra).

Only typer is imported here; the web stack is imported when the command runs, so that
``detente --help`` stays fast.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from detente.errors import InputError, Problem

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (or SQLite file) of the run history; default $DETENTE_DB, else "
        "runs.sqlite in the user's data directory.",
    ),
]


def need_web(what: str = "detente serve") -> None:
    """Fail with one line if the ``web`` extra is not installed; ``what`` needs it."""
    try:
        import alembic  # noqa: F401
        import sqlalchemy  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise InputError(
            Problem(
                what,
                f"the workbench and its run history need the web extra ({exc.name} is missing); "
                "install it with: pip install 'detente[web]'",
            )
        ) from None


def serve(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="Scenario file or bundled name to open first (default russia-nato-2021)."
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; other than loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")
    ] = 8765,
    db: DbOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Secret the page must carry (open it as /?token=...); required off loopback. "
            "'auto' makes one up and prints it.",
        ),
    ] = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples", min=1, max=2000, help="Draws behind the page's P(...) (default 64)."
        ),
    ] = 64,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.01, max=50, help="Request body cap (413).")
    ] = 2.0,
) -> None:
    """The what-if workbench: edit stances in a browser page and watch every model update."""
    need_web()
    from pathlib import Path

    import uvicorn

    from detente.scenario.loading import bundled_scenarios, load, read_text
    from detente.web.app import Settings, create_app
    from detente.web.security import is_loopback
    from detente.web.workbench import bundled_text, kind_of

    if token == "auto":
        token = secrets.token_urlsafe(24)
    if not is_loopback(host) and not token:
        raise InputError(
            Problem(
                "--host", f"binding to {host} (not loopback) needs --token SECRET or --token auto"
            )
        )
    start = None
    if scenario is not None:
        loaded = load(scenario)  # the CLI's own checks and messages
        path = Path(scenario)
        if not path.exists() and scenario in bundled_scenarios():
            text, kind = bundled_text(scenario)
        else:
            text, kind = read_text(path, scenario), kind_of(path.name)
        start = (text, kind, loaded.source)
    settings = Settings(
        host=host,
        port=port,
        db=db,
        token=token,
        max_body=int(max_upload_mb * 1024 * 1024),
        samples=samples,
        start=start,
    )
    app = create_app(settings)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    typer.echo(f"detente workbench on {url}" + (f"?token={token}" if token else ""))
    typer.echo(f"run history: {app.bench.store.display_url()}")
    # no proxy headers: X-Forwarded-* must not change the scheme the Origin check compares
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
