"""Run the README's Quickstart as written, line by line, in a fresh folder.

The folder gets the example inputs the README names: ``talks.csv`` and ``ktab-scenario.csv`` from
``src/detente/examples/`` and ``cases.tsv``, a copy of the bundled DEU training file. The Dask
line's example address ``tcp://host:8786`` is replaced by a scheduler started here. Each line
runs through :func:`detente.cli.main` in one process (the console script calls the same
function), with stdout and stderr captured, so that the glossary test can read the outputs too.

The suite starts that process as soon as it has collected a test that needs the Quickstart
(:func:`start_in_background`, from ``tests/conftest.py``): its minute of commands then runs on
the second CPU while the tests before it run, and the ``quickstart`` fixture collects it
(:func:`collect`). ``python -m tests.cli.quickstart FOLDER RESULT`` is that process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
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


@dataclass
class Background:
    """The Quickstart running in a child process: its folder, result file and process."""

    folder: Path
    result: Path
    proc: subprocess.Popen[str]


def start_in_background() -> Background:
    """Start ``python -m tests.cli.quickstart`` on a fresh folder (see the module docstring)."""
    folder = Path(tempfile.mkdtemp(prefix="detente-quickstart-"))
    result = folder.parent / f"{folder.name}.json"  # beside the folder: it holds only the run's
    paths = [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.cli.quickstart", str(folder), str(result)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Background(folder, result, proc)


def collect(bg: Background) -> Quickstart:
    """Wait for the background Quickstart and read its runs (an error if the process failed)."""
    _, err = bg.proc.communicate(timeout=1800)
    assert bg.proc.returncode == 0, f"the Quickstart process failed:\n{err[-4000:]}"
    runs = [Run(**r) for r in json.loads(bg.result.read_text(encoding="utf-8"))]
    return Quickstart(bg.folder, runs)


def discard(bg: Background) -> None:
    """Stop the background Quickstart if it still runs, and remove its folder and result."""
    if bg.proc.poll() is None:
        bg.proc.kill()
        bg.proc.communicate()
    shutil.rmtree(bg.folder, ignore_errors=True)
    bg.result.unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    """``FOLDER RESULT``: run the Quickstart in FOLDER and write its runs to RESULT as JSON."""
    folder, result = map(Path, argv)
    runs = run_quickstart(folder)
    result.write_text(json.dumps([dataclasses.asdict(r) for r in runs]), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
