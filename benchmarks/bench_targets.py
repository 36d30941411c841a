"""Issue 23's targets, each against a baseline commit run in the same process: prints figures,
asserts nothing.

For every command below, the current checkout (``src/``) and the baseline commit (exported
with ``git archive`` to a temporary folder) are run alternately as child processes of this
script, ``--repeat`` times each, for two installs:

- ``default``: Numba present (the compiled kernels run where batches are large enough);
- ``numpy``: ``DETENTE_NO_NUMBA=1`` for the current code; for the baseline, which has no such
  switch, Numba is hidden from it by a ``numba`` stub package that fails to import.

For each it prints the median wall time and the median CPU time (user + system of the child,
all its threads, and of the processes it waited for: Monte Carlo workers, the report's figure
renderers), the child's own share of it (``own``), and the ratio baseline / current of each.
The machine is shared, so CPU time is the steadier figure; wall time includes waiting for a
core. ``idle >=`` is a lower bound on the wall time on an idle machine: the larger of the own
CPU time and the total CPU time over the CPUs (work in child processes overlaps the command's
own only where there is a free core). Every command runs once untimed
first, so that both trees' Numba caches are compiled (the first-run cost is measured
separately with ``--first-run``: a fresh ``NUMBA_CACHE_DIR``).

Targets (issue 23, 2-core machine, default install): ``crisis`` <= 1 s, ``ratify --form
treaty --nearest`` <= 1 s, ``report`` <= 3 s, ``montecarlo --samples 10000`` <= 5 s wall,
``--help`` and ``forecast --samples 0`` start in 0.15 s plus the models' own work (start-up
itself: ``benchmarks/bench_startup.py``).

Usage: ``python benchmarks/bench_targets.py [--baseline 546c41b] [--repeat 3] [--mc]
[--installs default,numpy] [--first-run]``. ``--mc`` adds the 10,000-draw Monte Carlo run
(minutes). The JSON outputs of both trees are compared and the result printed (``same`` or
``differs``), so that a change of output shows up next to the time it bought.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "546c41b"  # main before issue 23's work

COMMANDS: dict[str, tuple[list[str], float | None]] = {
    "--help": (["--help"], None),
    "forecast --samples 0": (["forecast", "--samples", "0", "--json"], None),
    "forecast": (["forecast", "--json"], None),
    "crisis": (["crisis", "--json"], 1.0),
    "ratify --form treaty --nearest": (["ratify", "--form", "treaty", "--nearest", "--json"], 1.0),
    "report": (["report", "-o", "{tmp}/report.html", "--force"], 3.0),
}
MC = ("montecarlo --samples 10000", (["montecarlo", "--samples", "10000", "--json"], 5.0))
MC_LOCAL = (
    "montecarlo 10000 --backend local",
    (["montecarlo", "--samples", "10000", "--json", "--backend", "local"], None),
)

#: Runs ``detente`` as ``python -m detente`` does, and reports the process's own CPU time and
#: that of the processes it waited for on the last line of stderr.
WRAPPER = """
import atexit, json, resource, runpy, sys

def _report():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    own, kids = s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime
    sys.stderr.write("\\nBENCH-RUSAGE " + json.dumps([own, kids]) + "\\n")

atexit.register(_report)
sys.argv = ["detente", *sys.argv[1:]]
runpy.run_module("detente", run_name="__main__", alter_sys=True)
"""

NO_NUMBA_STUB = (
    """raise ImportError("numba hidden by benchmarks/bench_targets.py (NumPy-only install)")\n"""
)


def export(commit: str, into: Path) -> Path | None:
    """``src/`` of ``commit`` under ``into`` (None outside a git checkout)."""
    try:
        tar = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "src"], check=True, capture_output=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True)
    compile_bytecode(into / "src")
    return into / "src"


def compile_bytecode(src: Path) -> None:
    """Write ``src``'s ``.pyc`` files, as ``pip install`` does: without them (a checkout run
    with ``PYTHONDONTWRITEBYTECODE``) every start compiles the changed modules again."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=False)


def run(src: Path, args: list[str], env: dict[str, str]) -> tuple[float, float, bytes, float]:
    """Wall and CPU seconds of ``python -m detente ARGS`` with ``src`` first on the path, its
    output, and the CPU seconds of the command's own process."""
    env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH")) if p)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args], capture_output=True, env=env, check=False
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if res.returncode != 0:
        raise RuntimeError(f"detente {' '.join(args)} failed: {res.stderr.decode()[-400:]}")
    marks = re.findall(rb"BENCH-RUSAGE (\[[^\]]*\])", res.stderr)
    own = float(json.loads(marks[-1])[0]) if marks else cpu
    out = res.stdout
    if "-o" in args:  # the report: its file, without the SVGs' date and random ids
        text = Path(args[args.index("-o") + 1]).read_text(encoding="utf-8")
        text = re.sub(r"<dc:date>[^<]*</dc:date>", "", text)
        out = re.sub(r"\b([mp])[0-9a-f]{8,12}\b", r"\1ID", text).encode()
    # the NumPy-only baseline finds the numba stub and says "kernels": "numba": not compared
    out = re.sub(rb'"kernels": "[a-z]+",', b"", out)
    return wall, cpu, out, own


def envs(install: str, stub: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Environments of the current and the baseline tree for an install."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DETENTE_NO_NUMBA")}
    if install == "default":
        return base, dict(base)
    return {**base, "DETENTE_NO_NUMBA": "1"}, {**base, "PYTHONPATH": str(stub)}


def bench(name: str, args: list[str], target: float | None, trees, env_pair, repeat: int) -> None:
    (cur_src, old_src), (cur_env, old_env) = trees, env_pair
    out = {}
    for label, src, env in (("now", cur_src, cur_env), ("baseline", old_src, old_env)):
        if src is not None:
            # untimed, compiling any kernel missing from the cache in the command itself: a
            # background compiler would still be at work during the timed runs
            out[label] = run(src, args, {**env, "DETENTE_COMPILE": "now"})[2]
    times: dict[str, list[tuple[float, float, float]]] = {k: [] for k in out}
    for _ in range(repeat):
        for label, src, env in (("now", cur_src, cur_env), ("baseline", old_src, old_env)):
            if src is not None:
                w, c, _, own = run(src, args, env)
                times[label].append((w, c, own))
    med = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in times.items()}
    wall, cpu, own = med["now"]
    idle = max(own, cpu / (os.cpu_count() or 1))
    line = f"  {name:32s} now {wall:6.2f} s wall {cpu:6.2f} s CPU"
    line += f" ({own:5.2f} own; idle >= {idle:5.2f})"
    if "baseline" in med:
        ow, oc, _ = med["baseline"]
        same = "same" if out["baseline"] == out["now"] else "differs"
        line += f" | baseline {ow:6.2f} / {oc:6.2f} | x{ow / wall:4.1f} wall x{oc / cpu:4.1f} CPU"
        line += f" | output {same}"
    if target is not None:
        line += f" | target <= {target:g} s wall: {'met' if wall <= target else 'NOT met'}"
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mc", action="store_true", help="also 10,000 Monte Carlo draws")
    ap.add_argument("--installs", default="default,numpy")
    ap.add_argument("--only", default="", help="comma-separated command names")
    ap.add_argument("--first-run", action="store_true", help="first-run cost of the kernels")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        stub = tmp / "stub"
        (stub / "numba").mkdir(parents=True)
        (stub / "numba" / "__init__.py").write_text(NO_NUMBA_STUB)
        (tmp / "old").mkdir()
        old_src = export(args.baseline, tmp / "old")
        if old_src is None:
            print(f"baseline {args.baseline} not available: current figures only")
        cur_src = ROOT / "src"
        compile_bytecode(cur_src)
        commands = dict(COMMANDS)
        if args.mc:
            commands[MC[0]] = MC[1]
            commands[MC_LOCAL[0]] = MC_LOCAL[1]
        if args.only:
            commands = {k: v for k, v in commands.items() if k in args.only.split(",")}
        print(
            f"{os.cpu_count()} CPU(s); load average {os.getloadavg()[0]:.1f}; "
            f"baseline {args.baseline}; median of {args.repeat}"
        )
        if args.first_run:
            first_run(cur_src, tmp)
        for install in args.installs.split(","):
            print(f"install: {install}")
            pair = envs(install, stub)
            for name, (cmd, target) in commands.items():
                cmd = [c.replace("{tmp}", tmp_name) for c in cmd]
                bench(name, cmd, target, (cur_src, old_src), pair, args.repeat)


def _background_compilers() -> int:
    """Running ``detente.models.warm`` processes (the background compiler; Linux's /proc)."""
    n = 0
    for d in Path("/proc").glob("[0-9]*"):
        try:
            n += b"detente.models.warm" in (d / "cmdline").read_bytes()
        except OSError:
            continue
    return n


def first_run(src: Path, tmp: Path) -> None:
    """CPU and wall of a command with an empty Numba cache, then again with the cache filled
    (after the background compiler a first run may start has finished)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DETENTE_NO_NUMBA")}
    for name, cmd in (
        ("crisis", ["crisis", "--json"]),
        ("ratify --nearest", ["ratify", "--form", "treaty", "--nearest", "--json"]),
        ("montecarlo 2000", ["montecarlo", "--samples", "2000", "--json"]),
    ):
        env["NUMBA_CACHE_DIR"] = str(tmp / f"numba-cache-{name.split()[0]}")
        first = run(src, cmd, env)[:2]
        for _ in range(300):
            if not _background_compilers():
                break
            time.sleep(0.5)
        again = run(src, cmd, env)[:2]
        print(
            f"  first run {name:18s} {first[0]:6.2f} s wall {first[1]:6.2f} s CPU; "
            f"cached {again[0]:6.2f} / {again[1]:6.2f}; "
            f"compile cost {first[1] - again[1]:5.1f} s CPU",
            flush=True,
        )


if __name__ == "__main__":
    main()
