"""Run history: SQLAlchemy over SQLite (WAL) by default, any SQLAlchemy URL on request.

A run records the scenario text (stored once per SHA-256 of its bytes), the edits, the command
and options, the seed, the detente version, the outputs as JSON, the timing and the time. The
schema is created and upgraded by the Alembic migrations shipped in
``detente/web/migrations``, which run when a store is opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

#: environment variable naming the store's SQLAlchemy URL (``--db`` wins over it)
DB_ENV = "DETENTE_DB"


class Base(DeclarativeBase):
    """Declarative base of the run-history tables."""


class ScenarioText(Base):
    """A scenario's text, stored once per content hash."""

    __tablename__ = "scenario_texts"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "yaml" or "csv"
    source: Mapped[str] = mapped_column(String(200))  # label (bundled name or file name)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Run(Base):
    """One run: inputs, options and outputs, enough to reproduce it."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    command: Mapped[str] = mapped_column(String(40))
    scenario_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("scenario_texts.sha256"), index=True
    )
    edits: Mapped[str] = mapped_column(Text)  # JSON list of edits
    options: Mapped[str] = mapped_column(Text)  # JSON mapping
    seed: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(40))
    outputs: Mapped[str] = mapped_column(Text)  # the JSON text exactly as `--json` prints it
    elapsed_s: Mapped[float] = mapped_column(Float)


def content_hash(text: str) -> str:
    """SHA-256 hex digest of a scenario's UTF-8 text.

    >>> content_hash("a")[:12]
    'ca978112ca1b'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_db_path() -> Path:
    """``runs.sqlite`` in the user's data directory (XDG on Linux, the platform's elsewhere)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "detente" / "runs.sqlite"


def resolve_url(url: str | None) -> str:
    """The store's URL: ``url``, else ``$DETENTE_DB``, else SQLite in the user's data dir.

    A bare path (no ``://``) is read as a SQLite file.

    >>> resolve_url("/tmp/x.sqlite")
    'sqlite:////tmp/x.sqlite'
    >>> resolve_url("postgresql+psycopg://host/db")
    'postgresql+psycopg://host/db'
    """
    url = url or os.environ.get(DB_ENV) or None
    if url is None:
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # durable at each commit's WAL write in WAL mode
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest Alembic revision shipped with the package."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("detente.web") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@dataclass(frozen=True)
class RunRecord:
    """A stored run, detached from the database session."""

    id: int
    created_at: dt.datetime
    command: str
    scenario_sha256: str
    source: str
    kind: str
    text: str
    edits: list[dict[str, Any]]
    options: dict[str, Any]
    seed: int
    version: str
    outputs: str
    elapsed_s: float


class Store:
    """The run history behind ``detente serve`` and ``detente runs``."""

    def __init__(self, url: str | None = None) -> None:
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

        from detente.errors import InputError, Problem

        self.url = resolve_url(url)
        kwargs: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        try:
            self.engine = create_engine(self.url, **kwargs)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise InputError(
                Problem("--db", f"cannot use {self.url!r}: {exc}; install its database driver")
            ) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            migrate(self.engine)
        except SQLAlchemyError as exc:
            where = self.display_url()
            why = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise InputError(
                Problem("--db", f"cannot open the run history at {where}: {why}")
            ) from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def display_url(self) -> str:
        """The URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def put_scenario(self, text: str, kind: str, source: str) -> str:
        """Store a scenario's text once per content hash; return the hash."""
        from sqlalchemy.exc import IntegrityError

        digest = content_hash(text)
        try:
            with self._session() as s, s.begin():
                if s.get(ScenarioText, digest) is None:
                    s.add(
                        ScenarioText(
                            sha256=digest,
                            kind=kind,
                            source=source[:200],
                            text=text,
                            created_at=dt.datetime.now(dt.UTC),
                        )
                    )
        except IntegrityError:
            # another request stored the same text between this one's check and its insert
            # (two saves of one scenario at once): the row is there, with the same text
            with self._session() as s:
                found = s.scalar(select(ScenarioText.sha256).where(ScenarioText.sha256 == digest))
            if found is None:
                raise
        return digest

    def get_scenario(self, digest: str) -> ScenarioText | None:
        """A stored scenario text by hash, or None."""
        with self._session() as s:
            return s.get(ScenarioText, digest)

    def save_run(
        self,
        *,
        command: str,
        scenario_sha256: str,
        edits: list[dict[str, Any]],
        options: dict[str, Any],
        seed: int,
        version: str,
        outputs: str,
        elapsed_s: float,
    ) -> int:
        """Record a run (committed before returning); return its id."""
        with self._session() as s, s.begin():
            run = Run(
                created_at=dt.datetime.now(dt.UTC),
                command=command,
                scenario_sha256=scenario_sha256,
                edits=json.dumps(edits, sort_keys=True),
                options=json.dumps(options, sort_keys=True),
                seed=seed,
                version=version,
                outputs=outputs,
                elapsed_s=elapsed_s,
            )
            s.add(run)
            s.flush()
            return run.id

    def _record(self, run: Run, sc: ScenarioText) -> RunRecord:
        return RunRecord(
            id=run.id,
            created_at=run.created_at,
            command=run.command,
            scenario_sha256=run.scenario_sha256,
            source=sc.source,
            kind=sc.kind,
            text=sc.text,
            edits=json.loads(run.edits),
            options=json.loads(run.options),
            seed=run.seed,
            version=run.version,
            outputs=run.outputs,
            elapsed_s=run.elapsed_s,
        )

    def get_run(self, run_id: int) -> RunRecord | None:
        """A stored run with its scenario text, or None."""
        with self._session() as s:
            row = s.execute(
                select(Run, ScenarioText)
                .join(ScenarioText, Run.scenario_sha256 == ScenarioText.sha256)
                .where(Run.id == run_id)
            ).first()
            return None if row is None else self._record(*row)

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        """The newest runs first."""
        with self._session() as s:
            rows = s.execute(
                select(Run, ScenarioText)
                .join(ScenarioText, Run.scenario_sha256 == ScenarioText.sha256)
                .order_by(Run.id.desc())
                .limit(limit)
            ).all()
            return [self._record(*r) for r in rows]

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()
