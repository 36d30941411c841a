"""Benchmark of the batched KTAB SMP (``detente.models.smp``): prints figures, asserts nothing.

1. Batched SMP on ``--draws`` Monte Carlo draws (default 10,000) of a 30-actor x 1-issue case
   (the first 30 actors of KTAB's ``dummyData-a040.csv``) and of the 13 x 2 SOE case
   (``SOE-Pol-Comp.csv``), against a per-draw Python loop over the same model. Each draw
   perturbs positions (normal, sd 5 points, clipped to 0..100), saliences (x U(0.8, 1.2), total
   capped at 100) and capabilities (x lognormal, sd 0.1). Both sides run ``--turns`` BCN turns
   per draw (default 1, so that the 30-actor case fits the time budget on a small machine; the
   cost is linear in turns). The loop is timed on ``--loop-draws`` draws and extrapolated; the
   batched and looped results of those draws are compared.
2. Single deterministic runs to KTAB's stop rule on 27 x 6 (``dummyData_6Dim.csv``), 40 x 1
   (``dummyData-a040.csv``) and 13 x 2 (``SOE-Pol-Comp.csv``), for comparison with KTAB 1.4's
   published single-run times (27 x 6: 2.3 s, 40 x 1: 5.4 s, 13 x 2: 0.34 s).

3. The same batched runs with the baseline module, ``detente.models.smp`` as of commit
   1e6a57a (read from git and imported in this process; skipped with ``--no-baseline`` or
   outside a git checkout): the ratio baseline / current and the largest difference of the
   final positions (expected 0).

Usage: ``python benchmarks/bench_smp.py [--draws 10000] [--turns 1] [--loop-draws 100]
[--no-baseline]``.
The shared data folder is ``$DETENTE_SHARED`` or ``../shared`` next to the repository root.
Total runtime on a 2-core shared machine: about 2 minutes with the defaults.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from baseline import module_at_commit  # noqa: E402

from detente.arrays import ScenarioArrays  # noqa: E402
from detente.io.ktab import read_ktab  # noqa: E402
from detente.models import get_model  # noqa: E402

SHARED = Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared"))
SMP_DIR = SHARED / "data" / "ktab" / "smp"
KTAB_PUBLISHED = {"27x6": 2.3, "40x1": 5.4, "13x2": 0.34}
BASELINE_COMMIT = "496d0a4"


def baseline_model():
    """The SMP model of ``BASELINE_COMMIT``, imported under another name (or None)."""
    module = module_at_commit(BASELINE_COMMIT, "src/detente/models/smp.py", "smp_baseline")
    return None if module is None else module.SMP()


def draws(base: ScenarioArrays, n: int, rng: np.random.Generator) -> ScenarioArrays:
    """``n`` perturbed copies of a one-sample scenario."""
    a = base.take_samples(np.zeros(n, dtype=int))
    pos = np.clip(a.position + rng.normal(0.0, 5.0, a.position.shape), 0.0, 100.0)
    sal = a.salience * rng.uniform(0.8, 1.2, a.salience.shape)
    tot = sal.sum(axis=2, keepdims=True)
    sal = np.where(tot > 1.0, sal / tot, sal)
    cap = a.capability * rng.lognormal(0.0, 0.1, (n, a.n_actors, 1))
    return ScenarioArrays.from_table(
        pos,
        sal,
        cap,
        mask=a.mask,
        scale_min=a.scale_min,
        scale_max=a.scale_max,
        actor_ids=a.actor_ids,
        issue_ids=a.issue_ids,
    )


def batch_vs_loop(label: str, base: ScenarioArrays, args: argparse.Namespace, old) -> None:
    model = get_model("smp")
    many = draws(base, args.draws, np.random.default_rng(2024))
    t0 = time.perf_counter()
    together = model.simulate(many, args.turns, np.random.default_rng(0))
    t_batch = time.perf_counter() - t0
    if old is not None:
        t0 = time.perf_counter()
        before = old.simulate(many, args.turns, np.random.default_rng(0))
        t_old = time.perf_counter() - t0
        print(
            f"{label:>5}: {args.draws} draws batched: baseline {BASELINE_COMMIT} {t_old:7.2f} s, "
            f"now {t_batch:7.2f} s, baseline / now = {t_old / t_batch:4.2f}; "
            f"max |now - baseline| = {np.abs(before.final - together.final).max():.1e}",
            flush=True,
        )
    k = min(args.loop_draws, args.draws)
    t0 = time.perf_counter()
    alone = [
        model.simulate(many.take_samples(s), args.turns, np.random.default_rng(0)).final
        for s in range(k)
    ]
    t_loop = (time.perf_counter() - t0) / k * args.draws
    diff = np.abs(np.concatenate(alone) - together.final[:k]).max()
    print(
        f"{label:>5}: {args.draws} draws x {args.turns} turn(s): batched {t_batch:7.2f} s "
        f"({1e3 * t_batch / args.draws:6.2f} ms/draw); per-draw loop {t_loop:7.2f} s "
        f"(timed on {k} draws, extrapolated; {1e3 * t_loop / args.draws:6.2f} ms/draw); "
        f"speed-up x{t_loop / t_batch:4.1f}; max |batched - looped| = {diff:.1e}",
        flush=True,
    )


def single_runs() -> None:
    model = get_model("smp")
    cases = {
        "27x6": SMP_DIR / "dummyData_6Dim.csv",
        "40x1": SMP_DIR / "dummyData-a040.csv",
        "13x2": SMP_DIR / "SOE-Pol-Comp.csv",
    }
    for label, path in cases.items():
        a = read_ktab(path).arrays
        model.simulate(a, 1, np.random.default_rng(0))  # warm-up (imports, caches)
        t0 = time.perf_counter()
        sim = model.simulate(a, None, np.random.default_rng(0))
        dt = time.perf_counter() - t0
        ktab = KTAB_PUBLISHED[label]
        print(
            f"{label:>5}: single run to the stop rule, {int(sim.turns[0])} turns: {dt:6.3f} s "
            f"(KTAB 1.4 published: {ktab} s; KTAB / detente = {ktab / dt:.1f})",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--turns", type=int, default=1)
    ap.add_argument("--loop-draws", type=int, default=100)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    if not SMP_DIR.is_dir():
        sys.exit(f"KTAB data not found under {SMP_DIR} (set DETENTE_SHARED)")
    start = time.perf_counter()
    print(f"numpy {np.__version__}, {os.cpu_count()} CPU(s) visible", flush=True)
    old = None if args.no_baseline else baseline_model()
    if old is None and not args.no_baseline:
        print(f"baseline {BASELINE_COMMIT} not found in git: no before/after ratio")
    single_runs()
    soe = read_ktab(SMP_DIR / "SOE-Pol-Comp.csv").arrays
    batch_vs_loop("13x2", soe, args, old)
    a30 = read_ktab(SMP_DIR / "dummyData-a040.csv").arrays.take_actors(np.arange(30))
    batch_vs_loop("30x1", a30, args, old)
    print(f"total benchmark time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
