"""Batched vs per-sample timing of the Nash bargaining solution.

Runs the ``nbs`` model on 10,000 Monte Carlo draws of a 12-actor x 10-issue scenario, once as a
single batched call and once as a Python loop over the samples (one call per draw), and prints
both timings and their ratio. The loop is timed on a subset of draws and scaled up, since it is
the slow path being measured against.

Usage::

    PYTHONPATH=src python benchmarks/bench_nbs.py [--samples 10000] [--loop-samples 500]

``--blocks K`` (alone): CPU per Monte Carlo block of the default scenario, now and at a baseline
commit (see ``bench_smp.py``, section 5).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from detente.arrays import ScenarioArrays
from detente.models import get_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_smp import block_args, compare_blocks, mc_blocks


def nbs_blocks(args) -> None:
    """``--blocks``: the NBS model's ``simulate`` now and at ``--block-baseline``."""
    import os

    from baseline import module_at_commit

    os.environ.setdefault("DETENTE_COMPILE", "now")
    blocks = mc_blocks(args.blocks)
    now = get_model("nbs")
    old = None
    if args.block_baseline != "none":
        mod = module_at_commit(args.block_baseline, "src/detente/models/nbs.py", "nbs_baseline")
        old = None if mod is None else mod.NashBargaining()

    def run_with(model):
        return None if model is None else (lambda a: model.simulate(a, None, None).final)

    compare_blocks("nbs", blocks, run_with(now), run_with(old), args.block_repeat)


def draws(samples: int, actors: int = 12, issues: int = 10, seed: int = 2026) -> ScenarioArrays:
    """Monte Carlo draws around one base scenario on 0..100 scales."""
    rng = np.random.default_rng(seed)
    base_pos = rng.uniform(0, 100, (actors, issues))
    base_sal = rng.uniform(0.2, 1.0, (actors, issues))
    base_cap = rng.uniform(0.5, 3.0, actors)
    pos = np.clip(base_pos + rng.normal(0, 8, (samples, actors, issues)), 0, 100)
    sal = np.clip(base_sal + rng.normal(0, 0.1, (samples, actors, issues)), 0.05, 1.0)
    cap = base_cap[None, :, None] * rng.lognormal(0, 0.2, (samples, actors, 1))
    sq = np.clip(rng.uniform(0, 100, issues) + rng.normal(0, 5, (samples, issues)), 0, 100)
    return ScenarioArrays.from_table(
        pos, sal, np.broadcast_to(cap, pos.shape), status_quo=sq, name="bench"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--loop-samples", type=int, default=500)
    block_args(parser)
    args = parser.parse_args()
    if args.blocks:
        nbs_blocks(args)
        return
    arrays = draws(args.samples)
    rng = np.random.default_rng(0)
    configs = [
        {"disagreement": "status_quo", "loss": "quadratic"},
        {"disagreement": "far", "loss": "quadratic"},
        {"disagreement": "status_quo", "loss": "linear"},
        {"disagreement": "far", "loss": "linear"},
    ]
    n_loop = min(args.loop_samples, args.samples)
    print(f"{args.samples} draws, {arrays.n_actors} actors x {arrays.n_issues} issues")
    for opts in configs:
        model = get_model("nbs", **opts)
        t0 = time.perf_counter()
        sim = model.simulate(arrays, None, rng)
        batched = time.perf_counter() - t0
        t0 = time.perf_counter()
        loop_out = [model.forecast(arrays.take_samples(i), rng) for i in range(n_loop)]
        loop = (time.perf_counter() - t0) * args.samples / n_loop
        diff = np.nanmax(np.abs(np.concatenate(loop_out) - sim.final[:n_loop]))
        agree = sim.agreement[:, 0].mean()
        print(
            f"{opts['disagreement']:>10} {opts['loss']:>9}: batched {batched:7.2f} s, "
            f"loop {loop:7.2f} s (from {n_loop} draws), ratio {loop / batched:6.1f}x, "
            f"agreement {agree:.1%}, converged {sim.converged}, max |diff| {diff:.1e}"
        )


if __name__ == "__main__":
    main()
