"""Start-up of ``detente --help`` and ``detente forecast``: what they import, from
``python -X importtime``, against Python's own start-up. Prints figures, asserts nothing.

For each command it runs ``python -X importtime -m detente ...`` ``--repeat`` times and prints
the median total import time (the sum of the top-level imports' cumulative times), the largest
top-level imports, whether NumPy, SciPy's ``special``, Numba and any ``detente.commands.*``
module were imported, and the wall time of the whole command against ``python -c pass``.
Target (issue 23): ``--help`` and the default forecast start in under 0.15 s plus the models'
own work; ``forecast --samples 0`` is the point forecast, ``forecast`` adds the outcome
model's 200 Monte Carlo draws.

Usage: ``python benchmarks/bench_startup.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LIGHT = {"detente.commands"}  # the package holds the --save/--db options
COMMANDS = {
    "--help": ["--help"],
    "forecast --samples 0": ["forecast", "--samples", "0", "--json"],
    "forecast": ["forecast", "--json"],
}


def importtime(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, float], set[str]]:
    """Total import seconds, top-level imports' cumulative seconds, and every module imported."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "detente", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    top: dict[str, float] = {}
    mods: set[str] = set()
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = (p.strip() for p in line[len("import time:") :].split("|"))
        if not cum.isdigit():
            continue  # the header line
        mods.add(name.strip())
        depth = len(line.split("|")[2]) - len(line.split("|")[2].lstrip())
        if depth <= 1:  # a top-level import (one space after the bar)
            top[name.strip()] = top.get(name.strip(), 0.0) + int(cum) / 1e6
    return sum(top.values()), top, mods


def wall(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    base = wall([sys.executable, "-c", "pass"], env, args.repeat)
    print(f"python -c pass: {base * 1000:6.0f} ms wall (baseline)")
    for name, cmd in COMMANDS.items():
        runs = [importtime(cmd, env) for _ in range(args.repeat)]
        total = statistics.median(r[0] for r in runs)
        top, mods = runs[-1][1], runs[-1][2]
        w = wall([sys.executable, "-m", "detente", *cmd], env, args.repeat)
        heavy = ", ".join(
            f"{k} {v * 1000:.0f} ms" for k, v in sorted(top.items(), key=lambda kv: -kv[1])[:4]
        )
        flags = {
            "numpy": "numpy" in mods,
            "scipy.special": "scipy.special" in mods,
            "numba": "numba" in mods,
            "other commands' modules": any(
                m.startswith("detente.commands.") and m not in LIGHT for m in mods
            ),
        }
        print(
            f"detente {name:22s} imports {total * 1000:6.0f} ms; wall {w * 1000:6.0f} ms "
            f"({w / base:4.1f}x python); largest: {heavy}"
        )
        print("    imported: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in flags.items()))


if __name__ == "__main__":
    main()
