"""Run the README's Quickstart as written, line by line, in a fresh folder.

The folder gets the example inputs the README names: ``talks.csv`` and ``ktab-scenario.csv`` from
``src/detente/examples/`` and ``cases.tsv``, a copy of the bundled DEU training file. The Dask
line's example address ``tcp://host:8786`` is replaced by a scheduler started here. Each line
runs through :func:`detente.cli.main` in this process (the console script calls the same
function), with stdout and stderr captured, so that the glossary test can read the outputs too.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PACKAGE = ROOT / "src" / "detente"
PLACEHOLDER_SCHEDULER = "tcp://host:8786"


@dataclass
class Quickstart:
    """The folder the Quickstart ran in and its runs, in README order."""

    folder: Path
    runs: list[Run]


@dataclass
class Run:
    """One Quickstart line (as the README writes it) and what it did."""

    line: str
    code: int
    stdout: str
    stderr: str


def quickstart_lines(readme: Path = README) -> list[str]:
    """The command lines of the README's Quickstart code block, comments removed."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("\n## Quickstart\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block, "README: no ```bash block under ## Quickstart"
    lines = []
    for raw in block.group(1).splitlines():
        words = shlex.split(raw, comments=True)
        if words:
            lines.append(shlex.join(words))
    return lines


def prepare(folder: Path) -> None:
    """Put the example inputs the README names into ``folder``."""
    for name in ("talks.csv", "ktab-scenario.csv"):
        shutil.copyfile(PACKAGE / "examples" / name, folder / name)
    shutil.copyfile(PACKAGE / "data" / "deu" / "deu-train.tsv", folder / "cases.tsv")


@contextlib.contextmanager
def dask_scheduler() -> Iterator[str]:
    """A one-worker Dask cluster in this process, listening on TCP; yields its address."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def run_line(line: str, scheduler: str | None = None) -> Run:
    """Run one ``detente ...`` line through the CLI's entry point, in the current folder."""
    from detente.cli import main

    argv = shlex.split(
        line if scheduler is None else line.replace(PLACEHOLDER_SCHEDULER, scheduler)
    )
    assert argv[0] == "detente", f"not a detente command: {line}"
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv[1:])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Run(line, code, out.getvalue(), err.getvalue())


def run_quickstart(folder: Path) -> list[Run]:
    """Every Quickstart line, in order, run in ``folder`` after :func:`prepare`."""
    prepare(folder)
    lines = quickstart_lines()
    here = os.getcwd()
    os.chdir(folder)
    try:
        if any(PLACEHOLDER_SCHEDULER in ln for ln in lines):
            with dask_scheduler() as address:
                return [run_line(ln, address) for ln in lines]
        return [run_line(ln) for ln in lines]
    finally:
        os.chdir(here)
