"""Timing of the vectorised BDM expected-utility model (a script that prints figures, not a test).

Run from the repository root: ``python benchmarks/bench_bdm.py [--draws 10000] [--rounds 10]``.

Compares, on one 30-actor issue with random positions, saliences and capabilities per draw:

- the batched call: all draws in one ``simulate`` call;
- (a) a per-draw loop calling the same model with one sample at a time (on fewer draws, scaled);
- (b) a straightforward pure-Python per-draw implementation with loops over actors
  (``reference_run`` in ``tests/models/test_bdm.py``), on a few draws, scaled.

All three run the same number of rounds (``stopping="fixed"``) so that they do the same work; the
default stopping rule is timed separately. Also times the default 10-actor EC example.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.models.test_bdm import NAMES as EC_NAMES  # noqa: E402
from tests.models.test_bdm import C as EC_C  # noqa: E402
from tests.models.test_bdm import S as EC_S  # noqa: E402
from tests.models.test_bdm import X as EC_X  # noqa: E402
from tests.models.test_bdm import reference_run  # noqa: E402

from detente.arrays import ScenarioArrays  # noqa: E402
from detente.models import get_model  # noqa: E402


def random_issue(draws: int, actors: int, seed: int) -> ScenarioArrays:
    """``draws`` samples of one issue on 0..100 with random positions, saliences, capabilities."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, 100.0, (draws, actors, 1))
    sal = rng.uniform(0.1, 1.0, (draws, actors, 1))
    cap = rng.uniform(0.1, 1.0, (draws, actors, 1))
    return ScenarioArrays.from_table(pos, sal, cap, scale_min=0.0, scale_max=100.0)


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--actors", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--loop-draws", type=int, default=200, help="draws for the per-draw loop (a)")
    ap.add_argument("--python-draws", type=int, default=3, help="draws for pure Python (b)")
    ap.add_argument("--variant", default="paper", choices=["paper", "scholz"])
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    arrays = random_issue(args.draws, args.actors, args.seed)
    fixed = get_model("bdm", variant=args.variant, stopping="fixed", max_rounds=args.rounds)
    o = fixed.options
    print(f"BDM expected utility, variant={args.variant}, {args.actors} actors, 1 issue")
    print(f"fixed {args.rounds} rounds for the comparison; options: {o.model_dump()}")

    t_batch, sim = timed(lambda: fixed.simulate(arrays, None, rng))
    per_draw_batch = t_batch / args.draws
    print(
        f"\nbatched:             {args.draws:>6} draws  {t_batch:9.3f} s  "
        f"({per_draw_batch * 1e6:9.1f} us/draw)"
    )

    k = min(args.loop_draws, args.draws)
    t_loop, loop_out = timed(
        lambda: [fixed.simulate(arrays.take_samples(i), None, rng) for i in range(k)]
    )
    per_draw_loop = t_loop / k
    print(
        f"(a) per-draw model:  {k:>6} draws  {t_loop:9.3f} s  "
        f"({per_draw_loop * 1e6:9.1f} us/draw) -> {per_draw_loop * args.draws:9.1f} s "
        f"scaled to {args.draws}"
    )
    loop_pos = np.concatenate([s.positions[-1] for s in loop_out])
    diff_a = np.abs(loop_pos - sim.positions[-1, :k]).max()

    m = min(args.python_draws, args.draws)

    def pure_python():
        return [
            reference_run(
                arrays.position[i, :, 0],
                arrays.capability[i, :, 0],
                arrays.salience[i, :, 0],
                args.rounds,
                probability=o.probability,
                capitulation=o.capitulation,
                offer_choice=o.offer_choice,
                perception=o.perception,
                q=o.q,
                t=o.t,
                mu=o.mu,
            )
            for i in range(m)
        ]

    t_py, py_out = timed(pure_python)
    per_draw_py = t_py / m
    print(
        f"(b) pure Python:     {m:>6} draws  {t_py:9.3f} s  "
        f"({per_draw_py * 1e6:9.1f} us/draw) -> {per_draw_py * args.draws:9.1f} s "
        f"scaled to {args.draws}"
    )
    diff_b = max(
        np.abs(np.array(py_out[i][-1]) - sim.positions[-1, i, :, 0]).max() for i in range(m)
    )
    print("\nspeed-up of the batched call (per draw):")
    print(f"  vs (a) per-draw model loop: {per_draw_loop / per_draw_batch:8.1f} x")
    print(f"  vs (b) pure-Python loop:    {per_draw_py / per_draw_batch:8.1f} x  (target >= 100 x)")
    print(f"agreement of final positions: (a) max |diff| {diff_a:.2e}, (b) max |diff| {diff_b:.2e}")

    default = get_model("bdm", variant=args.variant)
    t_def, sim_def = timed(lambda: default.simulate(arrays, None, rng))
    changed = np.any(sim_def.positions[1:] != sim_def.positions[:-1], axis=(2, 3))  # (T, S)
    last_move = np.where(changed.any(axis=0), changed.shape[0] - np.argmax(changed[::-1], 0), 0)
    print(
        f"\ndefault stopping rule (max move <= {default.options.tol} x width, "
        f"<= {default.options.max_rounds} rounds): {t_def:.3f} s for {args.draws} draws; "
        f"{sim_def.rounds} rounds until the last draw stopped, converged={sim_def.converged}; "
        f"round of the last move: median {np.median(last_move):.0f}, max {last_move.max()}"
    )

    ec = ScenarioArrays.from_table(
        EC_X[:, None],
        EC_S[:, None],
        EC_C,
        scale_min=0.0,
        scale_max=10.0,
        actor_ids=EC_NAMES,
        issue_ids=["ec"],
    )
    for variant in ("paper", "scholz"):
        model = get_model("bdm", variant=variant)
        t_ec, sim_ec = timed(lambda model=model: model.simulate(ec, None, rng), repeat=20)
        print(
            f"EC example (10 actors), default options, variant={variant}: "
            f"{t_ec * 1e3:7.2f} ms ({sim_ec.rounds} rounds, forecast {sim_ec.final[0, 0]:.4f})"
        )


if __name__ == "__main__":
    main()
