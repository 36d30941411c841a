"""CPU time of one Monte Carlo block outside the model kernels, current tree against a baseline.

A block (``run_block``, called through ``run_chunk`` as a worker calls it: 256 draws of the
default scenario) compiles the draws, runs every model, adds the models' validated error,
analyses the crisis, votes every body on every package and form, and runs the outcome
model's signing rule. This script times each phase of every block in CPU seconds
(``time.process_time``, one thread: the model kernels run with ``KERNEL_THREADS = 1`` and
``OPENBLAS_NUM_THREADS=1``) by wrapping the functions ``run_block`` calls through the names of
:mod:`detente.analyses.montecarlo` (``compile_all``, ``analyse_crisis``, ``passes``,
``_outcome_block``, ``with_model_error``) and every model's ``simulate``/``forecast``;
``outside models`` is the block's total less the models' time.

The current checkout (``src/``) and a baseline commit (``git archive``-d to a folder under
the temporary directory, kept between runs so that its Numba cache stays warm) run alternately
as child processes, ``--repeat`` times each; the medians over runs of the per-block means are
printed, with the ratio baseline / current. Each child first runs one untimed block (imports,
Numba cache, first-call costs), then ``--blocks`` blocks. The children also hash their
per-block results, and the script says whether both trees gave the same bytes.

Usage: ``python benchmarks/bench_mc_block.py [--baseline COMMIT] [--blocks 8] [--repeat 3]
[--scenario russia-nato-2021]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "ada617f"  # main before the block-cost work

CHILD = r"""
import hashlib, json, sys, time
import numpy as np

import detente.analyses.montecarlo as mc
import detente.models.bdm as bdm
import detente.models.smp as smp
import detente.models.spec as spec_mod
from detente.scenario import load_scenario
from detente.scenario.parameters import draw_values, uncertain_parameters
from detente.analyses.outcome import OutcomeOptions, signatories
from detente.analyses.crisis import CrisisOptions

bdm.KERNEL_THREADS = smp.KERNEL_THREADS = 1
if hasattr(mc, "retain_freed_memory"):  # as the workers and the CLI run blocks
    mc.retain_freed_memory()
scenario_name, blocks = sys.argv[1], int(sys.argv[2])
timers = {}

def timed(name, fn):
    def inner(*a, **k):
        t = time.process_time()
        try:
            return fn(*a, **k)
        finally:
            timers[name] = timers.get(name, 0.0) + time.process_time() - t
    return inner

for name in ("compile_all", "analyse_crisis", "passes", "_outcome_block", "with_model_error"):
    setattr(mc, name, timed(name, getattr(mc, name)))
real_make = spec_mod.make_model

def make_model(spec):
    m = real_make(spec)
    for meth in ("simulate", "forecast"):
        setattr(m, meth, timed("models", getattr(m, meth)))
    return m

spec_mod.make_model = make_model
sc = load_scenario(scenario_name)
params = uncertain_parameters(sc)
b = mc.BLOCK_SIZE
values = draw_values(params, b * (blocks + 1), mc.inputs_rng(0))
from detente.models.base import monte_carlo_models
plan = mc.Plan(scenario=sc, params=tuple(params), models=tuple(monte_carlo_models()), seed=0,
               crisis_options=CrisisOptions(), name=scenario_name,
               outcome_options=OutcomeOptions(), signers=tuple(signatories(sc)))
mc.run_chunk(plan, values[:, :b], 0)  # warm: imports, Numba cache, first-call costs
timers.clear()
h = hashlib.sha256()
t0 = time.process_time()
for k in range(1, blocks + 1):
    res, _ = mc.run_chunk(plan, values[:, k * b:(k + 1) * b], k)  # one block, as workers do
    for key in sorted(res):
        h.update(key.encode()); h.update(np.ascontiguousarray(res[key]).tobytes())
total = time.process_time() - t0
out = {k: v / blocks for k, v in timers.items()}
out["total"] = total / blocks
out["outside models"] = (total - timers.get("models", 0.0)) / blocks
out["hash"] = h.hexdigest()
print(json.dumps(out))
"""

PHASES = (
    "total",
    "models",
    "outside models",
    "compile_all",
    "with_model_error",
    "analyse_crisis",
    "passes",
    "_outcome_block",
)


def export(commit: str, into: Path) -> Path:
    """``src/`` of ``commit`` under ``into`` (kept between runs: Numba caches by file path, so
    a fixed folder lets the baseline's compiled kernels be reused)."""
    if (into / "src").is_dir():
        return into / "src"
    into.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True)
    return into / "src"


def child(src: Path, scenario: str, blocks: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src), OPENBLAS_NUM_THREADS="1")
    res = subprocess.run(
        [sys.executable, "-c", CHILD, scenario, str(blocks)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenario", default="russia-nato-2021")
    args = ap.parse_args()
    folder = Path(tempfile.gettempdir()) / f"detente-bench-mc-block-{args.baseline}"
    trees = {"now": ROOT / "src", args.baseline: export(args.baseline, folder)}
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for _ in range(args.repeat):
        for name, src in trees.items():
            runs[name].append(child(src, args.scenario, args.blocks))
    load = os.getloadavg()
    print(
        f"{args.scenario}: CPU s per block of {args.blocks} blocks of 256 draws, median of "
        f"{args.repeat} runs (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )
    base = args.baseline
    print(f"{'phase':<18} {'now':>8} {base:>8} {'ratio':>7}")
    for phase in PHASES:
        now = statistics.median(r.get(phase, 0.0) for r in runs["now"])
        old = statistics.median(r.get(phase, 0.0) for r in runs[base])
        ratio = f"{old / now:7.2f}" if now > 0 else "      -"
        print(f"{phase:<18} {now:8.4f} {old:8.4f} {ratio}")
    hashes = {r["hash"] for rs in runs.values() for r in rs}
    print("block results:", "same bytes" if len(hashes) == 1 else "DIFFER")


if __name__ == "__main__":
    main()
