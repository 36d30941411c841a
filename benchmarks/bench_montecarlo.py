"""Monte Carlo figures of issue 7 (a script that prints figures, not a test).

Run from the repository root: ``python benchmarks/bench_montecarlo.py [--draws 10000]``.

Three figures, each as a ratio against a baseline run in the same process:

1. ``draws`` draws of the default scenario with every Monte Carlo model and every analysis
   (crisis escalation, ratification per form), local backend and processes backend: wall
   time, and the speed-up over a per-draw loop (the same engine with one-sample blocks, timed
   on a few draws and scaled).
2. One 30-actor issue with BDM for ``draws`` draws (positions, saliences and capabilities
   uncertain): the batched run (one call; and through the Monte Carlo engine in blocks)
   against a per-draw loop of one-sample BDM calls (timed on fewer draws, scaled).
3. The Dask LocalCluster's overhead: the same run on ``--backend dask`` (start-up included and
   excluded) against ``local``.

Wall and CPU time are both printed because the machine is shared: wall time includes waiting
for a core, CPU time (this process only) does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from detente.analyses.montecarlo import run_montecarlo  # noqa: E402
from detente.models import get_model  # noqa: E402
from detente.models.base import monte_carlo_models  # noqa: E402
from detente.scenario import load_scenario  # noqa: E402
from detente.scenario.schema import Scenario  # noqa: E402


def timed(fn) -> tuple[float, float, object]:
    """Wall time and CPU time (this process) of one call, and its result."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def thirty_actors(seed: int = 0) -> Scenario:
    """One issue, 30 actors, every position, salience and capability a range."""
    rng = np.random.default_rng(seed)
    actors, stances = [], []
    for k in range(30):
        c = float(rng.uniform(10, 100))
        actors.append({"id": f"A{k}", "capability": [round(0.8 * c, 1), round(1.2 * c, 1)]})
        x, s = float(rng.uniform(10, 90)), float(rng.uniform(20, 80))
        stances.append(
            {
                "actor": f"A{k}",
                "issue": "x",
                "position": [round(x - 10, 1), round(x + 10, 1)],
                "salience": [round(s - 15, 1), round(s + 15, 1)],
            }
        )
    doc = {"meta": {"title": "30 actors"}, "actors": actors, "issues": [{"id": "x"}]}
    return Scenario.model_validate({**doc, "stances": stances})


def figure_default(draws: int, loop_draws: int) -> None:
    sc = load_scenario("russia-nato-2021")
    models = monte_carlo_models()
    print(f"\n1. default scenario, {draws} draws, models {models} + crisis + ratification")
    w1, c1, _ = timed(lambda: run_montecarlo(sc, draws, 0, models))
    print(f"   local:               wall {w1:7.2f} s  cpu {c1:7.2f} s  (target <= 10 s wall)")
    w2, _, _ = timed(lambda: run_montecarlo(sc, draws, 0, models, backend="processes", workers=2))
    print(f"   processes, 2 workers: wall {w2:7.2f} s  ({w1 / w2:.2f}x local)")
    wl, _, _ = timed(lambda: run_montecarlo(sc, loop_draws, 0, models, block_size=1))
    scale = draws / loop_draws
    print(
        f"   per-draw loop (block size 1), {loop_draws} draws scaled x{scale:.0f}: "
        f"wall {wl * scale:7.1f} s -> batched local is {wl * scale / w1:.1f}x faster"
    )


def figure_fast(draws: int) -> None:
    """Figure 1 without the two iterated models whose cost per draw dominates (bdm, smp)."""
    sc = load_scenario("russia-nato-2021")
    models = [m for m in monte_carlo_models() if m not in ("bdm", "smp")]
    print(f"\n1b. default scenario, {draws} draws, models {models} + crisis + ratification")
    w1, _, _ = timed(lambda: run_montecarlo(sc, 256, 0, models))
    w, c, _ = timed(lambda: run_montecarlo(sc, draws, 0, models))
    print(f"   local: wall {w:7.2f} s  cpu {c:7.2f} s; 256 draws: wall {w1:.2f} s")


def figure_bdm(draws: int, loop_draws: int) -> None:
    sc = thirty_actors()
    print(f"\n2. one 30-actor issue, BDM, {draws} draws")
    from detente.scenario.parameters import compile_all, draw_values, uncertain_parameters

    params = uncertain_parameters(sc)
    values = draw_values(params, draws, np.random.default_rng(0))
    arrays = compile_all(sc, params, values, np.random.default_rng(1)).arrays
    bdm = get_model("bdm")
    wb, cb, _ = timed(lambda: bdm.forecast(arrays, np.random.default_rng(0)))
    print(f"   batched, one call:         wall {wb:7.2f} s  cpu {cb:7.2f} s")
    we, ce, _ = timed(lambda: run_montecarlo(sc, draws, 0, ["bdm"]))
    print(f"   montecarlo engine (blocks): wall {we:7.2f} s  cpu {ce:7.2f} s")

    def loop() -> None:
        for s in range(loop_draws):
            bdm.forecast(arrays.take_samples(s), np.random.default_rng(0))

    wl, _, _ = timed(loop)
    per_draw = wl / loop_draws * draws
    print(
        f"   per-draw loop, {loop_draws} draws scaled to {draws}: wall {per_draw:7.1f} s -> "
        f"one call {per_draw / wb:.0f}x, engine {per_draw / we:.0f}x faster (target >= 100x)"
    )


def figure_dask(draws: int) -> None:
    sc = load_scenario("russia-nato-2021")
    models = ["compromise", "median", "nbs", "detente"]
    print(f"\n3. Dask LocalCluster overhead: default scenario, {draws} draws, models {models}")
    wl, _, ref = timed(lambda: run_montecarlo(sc, draws, 0, models))
    print(f"   local:                           wall {wl:7.2f} s")
    wd, _, out = timed(lambda: run_montecarlo(sc, draws, 0, models, backend="dask", workers=2))
    print(
        f"   dask LocalCluster, 2 workers:    wall {wd:7.2f} s  ({wd / wl:.2f}x local, "
        f"start-up included); identical results: {out == ref}"
    )
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
        dashboard_address=None,
    )  # fmt: skip
    try:
        wc, _, _ = timed(
            lambda: run_montecarlo(
                sc, draws, 0, models, backend="dask", scheduler=cluster.scheduler_address
            )
        )
        print(f"   dask, cluster already running:   wall {wc:7.2f} s  ({wc / wl:.2f}x local)")
    finally:
        cluster.close()
        Client  # noqa: B018  (imported for users reading this as an example)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--loop-draws", type=int, default=50)
    ap.add_argument("--only", choices=("default", "fast", "bdm", "dask"), default=None)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    if args.only in (None, "bdm"):
        figure_bdm(args.draws, args.loop_draws)
    if args.only in (None, "dask"):
        figure_dask(max(args.draws // 5, 256))
    if args.only in (None, "fast"):
        figure_fast(args.draws)
    if args.only in (None, "default"):
        figure_default(args.draws, args.loop_draws)


if __name__ == "__main__":
    main()
