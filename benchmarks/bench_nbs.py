"""Batched vs per-sample timing of the Nash bargaining solution.

Runs the ``nbs`` model on 10,000 Monte Carlo draws of a 12-actor x 10-issue scenario, once as a
single batched call and once as a Python loop over the samples (one call per draw), and prints
both timings and their ratio. The loop is timed on a subset of draws and scaled up, since it is
the slow path being measured against.

Usage::

    PYTHONPATH=src python benchmarks/bench_nbs.py [--samples 10000] [--loop-samples 500]

``--blocks K`` (alone): CPU per Monte Carlo block of the default scenario, now and at a baseline
commit (see ``bench_smp.py``, section 5), both in this process.

``--mc-blocks K`` (alone): the same figure measured in child processes, one tree per child: the
current ``src/`` and ``--baseline``'s (``git archive``-d to a folder under the temporary
directory, kept between runs so that its Numba cache stays warm), alternately, ``--repeat``
times each. Each child compiles Monte Carlo blocks ``0 .. K-1`` of the default scenario as
``detente montecarlo --seed 0`` does, runs ``NashBargaining.simulate`` on them once untimed
(imports, Numba cache, first calls), then ``--rounds`` times timed with ``time.process_time``
(CPU, one BLAS thread); it reports the CPU per block of its fastest round and a hash of the
forecasts. The parent prints the medians over children, the ratio and whether both trees gave
the same bytes::

    PYTHONPATH=src python benchmarks/bench_nbs.py --mc-blocks 12 --baseline 0ec2630 --repeat 5
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


CHILD = r"""
import hashlib, json, sys, time
import numpy as np
from detente.analyses import montecarlo as mc
from detente.models.nbs import NashBargaining
from detente.scenario import load_scenario
from detente.scenario.parameters import compile_all, draw_values, uncertain_parameters

n_blocks, rounds = int(sys.argv[1]), int(sys.argv[2])
sc = load_scenario("russia-nato-2021")  # the blocks as bench_smp.mc_blocks compiles them
params = uncertain_parameters(sc)
b = mc.BLOCK_SIZE
values = draw_values(params, b * n_blocks, mc.inputs_rng(0))
pie_zero = mc.CrisisOptions().pie_zero
blocks = [
    compile_all(sc, params, values[:, k * b : (k + 1) * b], mc.block_rng(0, k), pie_zero, "x")
    .arrays
    for k in range(n_blocks)
]
model = NashBargaining()
h = hashlib.sha256()
for a in blocks:  # untimed: imports, Numba cache, first calls
    h.update(np.ascontiguousarray(model.simulate(a, None, None).final).tobytes())
best = float("inf")
for _ in range(rounds):
    t0 = time.process_time()
    for a in blocks:
        model.simulate(a, None, None)
    best = min(best, (time.process_time() - t0) / len(blocks))
print(json.dumps({"cpu": best, "hash": h.hexdigest(), "module": NashBargaining.__module__,
                  "file": sys.modules[NashBargaining.__module__].__file__}))
"""


def mc_blocks_children(args) -> None:
    """``--mc-blocks``: NBS CPU per block, current tree against ``--baseline``, in children."""
    import json
    import os
    import statistics
    import subprocess
    import tempfile

    from bench_mc_block import ROOT, export

    folder = Path(tempfile.gettempdir()) / f"detente-bench-mc-block-{args.baseline}"
    trees = {"now": ROOT / "src", args.baseline: export(args.baseline, folder)}
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", DETENTE_COMPILE="now")
    for _ in range(args.repeat):
        for name, src in trees.items():
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(args.mc_blocks), str(args.rounds)],
                env=dict(env, PYTHONPATH=str(src)),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            res = json.loads(out.strip().splitlines()[-1])
            if not res["file"].startswith(str(src)):
                raise SystemExit(f"{name}: imported {res['file']}, not the tree's {src}")
            runs[name].append(res)
    now = statistics.median(r["cpu"] for r in runs["now"])
    old = statistics.median(r["cpu"] for r in runs[args.baseline])
    same = len({r["hash"] for rs in runs.values() for r in rs}) == 1
    load = os.getloadavg()
    print(
        f"nbs simulate, {args.mc_blocks} blocks of 256 draws of the default scenario, CPU ms per "
        f"block, median of {args.repeat} children per tree (each the best of {args.rounds} "
        f"rounds; load average {load[0]:.2f})"
    )
    print(f"  now {now * 1e3:7.2f}   {args.baseline} {old * 1e3:7.2f}   ratio {old / now:5.2f}x")
    print("  forecasts:", "same bytes" if same else "DIFFER")


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
    parser.add_argument("--mc-blocks", type=int, default=0, help="see the module docstring")
    parser.add_argument("--baseline", default="0ec2630", help="commit for --mc-blocks")
    parser.add_argument("--repeat", type=int, default=5, help="children per tree (--mc-blocks)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per child")
    args = parser.parse_args()
    if args.mc_blocks:
        mc_blocks_children(args)
        return
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
