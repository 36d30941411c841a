"""Timing of the vectorised BDM expected-utility model (a script that prints figures, not a test).

Run from the repository root: ``python benchmarks/bench_bdm.py [--draws 10000] [--rounds 10]``.

Compares, on one 30-actor issue with random positions, saliences and capabilities per draw:

- the batched call: all draws in one ``simulate`` call;
- (a) a per-draw loop calling the same model with one sample at a time (on fewer draws, scaled);
- (b) a straightforward pure-Python per-draw implementation with loops over actors
  (``reference_run`` in ``tests/models/test_bdm.py``), on a few draws, scaled.

All three run the same number of rounds (``stopping="fixed"``) so that they do the same work; the
default stopping rule is timed separately. Also times the default 10-actor EC example.

``--blocks K`` (alone): CPU per Monte Carlo block of the default scenario, now and at a baseline
commit (see ``bench_smp.py``, section 5).
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

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_smp import block_args, compare_blocks, mc_blocks  # noqa: E402


def bdm_blocks(args) -> None:
    """``--blocks``: BDM's ``simulate`` (its compiled kernel) now and at ``--block-baseline``."""
    import os

    from baseline import module_at_commit

    import detente.models.bdm as bdm

    os.environ.setdefault("DETENTE_COMPILE", "now")
    blocks = mc_blocks(args.blocks)
    bdm.KERNEL_THREADS = 1
    now = get_model("bdm")
    old = None
    if args.block_baseline != "none":
        mod = module_at_commit(args.block_baseline, "src/detente/models/bdm.py", "bdm_baseline")
        if mod is not None:
            mod.KERNEL_THREADS = 1
            old = mod.ExpectedUtility()

    def run_with(model):
        return None if model is None else (lambda a: model.simulate(a, None, None).positions)

    compare_blocks("bdm", blocks, run_with(now), run_with(old), args.block_repeat)


def random_issue(draws: int, actors: int, seed: int) -> ScenarioArrays:
    """``draws`` samples of one issue on 0..100 with random positions, saliences, capabilities."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, 100.0, (draws, actors, 1))
    sal = rng.uniform(0.1, 1.0, (draws, actors, 1))
    cap = rng.uniform(0.1, 1.0, (draws, actors, 1))
    return ScenarioArrays.from_table(pos, sal, cap, scale_min=0.0, scale_max=100.0)


def timed(fn, repeat: int = 1) -> tuple[float, float, object]:
    """Best wall time and best CPU time (this process) of ``repeat`` calls, and the last result.

    Both are printed because the benchmark machine is shared: wall time includes waiting for a
    core, CPU time does not.
    """
    wall, cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def line(label: str, draws: int, wall: float, cpu: float, scale_to: int | None = None) -> str:
    text = (
        f"{label:<22}{draws:>6} draws  wall {wall:8.3f} s  cpu {cpu:8.3f} s  "
        f"({cpu / draws * 1e6:10.1f} cpu-us/draw)"
    )
    if scale_to is not None and scale_to != draws:
        text += f"  -> {cpu / draws * scale_to:8.1f} cpu-s for {scale_to}"
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--actors", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--loop-draws", type=int, default=100, help="draws for the per-draw loop (a)")
    ap.add_argument("--python-draws", type=int, default=2, help="draws for pure Python (b)")
    ap.add_argument(
        "--default-draws", type=int, default=2000, help="draws for the default stopping rule"
    )
    ap.add_argument("--variant", default="paper", choices=["paper", "scholz"])
    ap.add_argument("--seed", type=int, default=20240601)
    block_args(ap)
    args = ap.parse_args()
    if args.blocks:
        bdm_blocks(args)
        return

    rng = np.random.default_rng(0)
    arrays = random_issue(args.draws, args.actors, args.seed)
    fixed = get_model("bdm", variant=args.variant, stopping="fixed", max_rounds=args.rounds)
    o = fixed.options
    print(f"BDM expected utility, variant={args.variant}, {args.actors} actors, 1 issue")
    print(f"fixed {args.rounds} rounds for the comparison; options: {o.model_dump()}\n")

    w_b, c_b, sim = timed(lambda: fixed.simulate(arrays, None, rng))
    print(line("batched", args.draws, w_b, c_b))

    k = min(args.loop_draws, args.draws)
    w_a, c_a, loop_out = timed(
        lambda: [fixed.simulate(arrays.take_samples(i), None, rng) for i in range(k)]
    )
    print(line("(a) per-draw model", k, w_a, c_a, args.draws))
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

    w_p, c_p, py_out = timed(pure_python)
    print(line("(b) pure Python", m, w_p, c_p, args.draws))
    diff_b = max(
        np.abs(np.array(py_out[i][-1]) - sim.positions[-1, i, :, 0]).max() for i in range(m)
    )
    print("\nspeed-up of the batched call, per draw (cpu time; wall time in brackets):")
    print(
        f"  vs (a) per-draw model loop: {c_a / k / (c_b / args.draws):8.1f} x "
        f"({w_a / k / (w_b / args.draws):.1f} x)"
    )
    print(
        f"  vs (b) pure-Python loop:    {c_p / m / (c_b / args.draws):8.1f} x "
        f"({w_p / m / (w_b / args.draws):.1f} x)   target >= 100 x"
    )
    print(f"agreement of final positions: (a) max |diff| {diff_a:.2e}, (b) max |diff| {diff_b:.2e}")

    default = get_model("bdm", variant=args.variant)
    sub = arrays.take_samples(slice(0, min(args.default_draws, args.draws)))
    w_d, c_d, sim_def = timed(lambda: default.simulate(sub, None, rng))
    changed = np.any(sim_def.positions[1:] != sim_def.positions[:-1], axis=(2, 3))  # (T, S)
    last_move = np.where(changed.any(axis=0), changed.shape[0] - np.argmax(changed[::-1], 0), 0)
    print(
        f"\ndefault options (stop when no move exceeds {default.options.tol} x width, at most "
        f"{default.options.max_rounds} rounds):"
    )
    print(line("batched, default", sub.n_samples, w_d, c_d))
    print(
        f"  all draws stopped by the rule: {sim_def.converged}; round of the last move: "
        f"median {np.median(last_move):.0f}, max {last_move.max()}"
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
    print()
    for variant in ("paper", "scholz"):
        model = get_model("bdm", variant=variant)
        w_e, c_e, sim_ec = timed(lambda model=model: model.simulate(ec, None, rng), repeat=20)
        print(
            f"EC example (10 actors), default options, variant={variant}: wall {w_e * 1e3:7.2f} ms"
            f", cpu {c_e * 1e3:7.2f} ms ({sim_ec.rounds} rounds, forecast {sim_ec.final[0, 0]:.4f})"
        )


if __name__ == "__main__":
    main()
