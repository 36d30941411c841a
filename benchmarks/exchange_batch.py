"""Time the exchange model against its pre-rewrite implementation (not run by the tests).

    python benchmarks/exchange_batch.py [--samples 1 10 100] [--rounds 10] [--no-baseline]
        [--cases russia cop21] [--deu PATH/TO/deu-train.tsv]

Cases: the bundled russia-nato-2021 scenario (11 actors x 10 issues) as a point forecast and as
Monte Carlo compiles of ``--samples`` draws, and the Decide COP21 input with saliences perturbed
by N(0, 0.02) per sample. Each case is timed with the current ``detente.models.exchange`` and
with the baseline, the module as of commit 1e6a57a (before the performance rewrite), read from
git and imported in this same process; the script prints both times, their ratio and the
largest difference between the two forecasts (expected 0: the rewrite must not change results).
Baseline runs on many samples take minutes (about 0.1-0.15 s per draw): give small ``--samples``
or ``--no-baseline``.

``--deu PATH`` also times the backtest's use: the 95 kept DEU training proposals (treaty
capabilities) through ``Exchange.forecast_many`` (stacked along the sample axis) against one
``forecast`` per proposal, with the NumPy computation and, when Numba is installed, the compiled
kernel (warmed up first), and the largest difference between the two ways (expected 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from baseline import module_at_commit  # noqa: E402

from detente.arrays import ScenarioArrays  # noqa: E402
from detente.io.decide import read_decide  # noqa: E402
from detente.models import get_model  # noqa: E402
from detente.scenario import compile_scenario, load_scenario  # noqa: E402

BASELINE_COMMIT = "1e6a57a"


def baseline_module():
    """The exchange module of ``BASELINE_COMMIT``, imported under another name (or None)."""
    return module_at_commit(BASELINE_COMMIT, "src/detente/models/exchange.py", "exchange_baseline")


def cop21(samples: int) -> ScenarioArrays:
    a = read_decide(ROOT / "tests" / "fixtures" / "decide" / "cop21.csv")
    rng = np.random.default_rng(0)
    sal = np.clip(a.salience + rng.normal(0, 0.02, (samples, *a.salience.shape[1:])), 0, 1)
    return ScenarioArrays.from_table(
        np.broadcast_to(a.position, sal.shape),
        np.where(a.mask, sal, 0.0),
        np.broadcast_to(a.capability, sal.shape),
        mask=a.mask,
        actor_ids=a.actor_ids,
        issue_ids=a.issue_ids,
    )


def russia(samples: int) -> ScenarioArrays:
    scenario = load_scenario("russia-nato-2021")
    return compile_scenario(scenario, samples=samples, rng=np.random.default_rng(0))


def deu_proposals(path: Path) -> list[ScenarioArrays]:
    from detente.analyses.power import deu_capabilities
    from detente.io.deu import load_deu

    data = load_deu(path)
    cap = deu_capabilities(data, "treaty")
    groups = data.proposal_groups()
    return [
        data.subset(idx).arrays(cap[idx], blank_salience="exclude")
        for idx in (np.flatnonzero(groups == g) for g in np.unique(groups))
    ]


def deu(path: Path, rounds: int) -> None:
    from detente.models import exchange

    parts = deu_proposals(path)
    model = get_model("exchange", max_rounds=rounds)
    t = time.perf_counter()
    alone = [model.forecast(p, np.random.default_rng(0)) for p in parts]
    t_alone = time.perf_counter() - t
    paths = {"numpy": 10**9}
    if exchange._compiled_kernel() is not None:
        paths["numba"] = 0
        exchange.NUMBA_MIN_SAMPLES = 0
        model.forecast_many(parts[:20], 0)  # compile or load the kernel
    for label, threshold in paths.items():
        exchange.NUMBA_MIN_SAMPLES = threshold
        t = time.perf_counter()
        many = model.forecast_many(parts, 0)
        t_many = time.perf_counter() - t
        diff = max(float(np.abs(a - b).max()) for a, b in zip(many, alone, strict=True))
        print(
            f"DEU {len(parts)} proposals, {rounds} rounds: one call each {t_alone:6.2f} s; "
            f"forecast_many ({label}) {t_many:6.2f} s; x{t_alone / t_many:4.1f}; "
            f"max |difference| = {diff:.1e}",
            flush=True,
        )


def timed(model, arrays: ScenarioArrays) -> tuple[float, np.ndarray]:
    t = time.perf_counter()
    out = model.forecast(arrays, np.random.default_rng(0))
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, nargs="*", default=[1, 10, 100])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--cases", nargs="*", choices=["russia", "cop21"], default=["russia", "cop21"])
    ap.add_argument("--deu", type=Path, help="DEU training file: also time forecast_many on it")
    args = ap.parse_args()
    if args.deu is not None:
        deu(args.deu, args.rounds)
    now = get_model("exchange", max_rounds=args.rounds)
    old = None if args.no_baseline else baseline_module()
    if old is not None:
        before = old.Exchange(max_rounds=args.rounds)
    elif not args.no_baseline:
        print(f"baseline {BASELINE_COMMIT} not found in git: current implementation only")
    cases = {"russia": ("russia-nato-2021", russia), "cop21": ("COP21 perturbed", cop21)}
    for label, make in (cases[c] for c in args.cases):
        for s in args.samples:
            arrays = make(s)
            timed(now, arrays.take_samples(0))  # warm-up
            t_new, f_new = timed(now, arrays)
            line = (
                f"{label:>16}, {s:5d} sample(s), {args.rounds} rounds: now {t_new:7.3f} s "
                f"({t_new / s * 1e3:7.1f} ms/sample)"
            )
            if old is not None:
                t_old, f_old = timed(before, arrays)
                diff = np.abs(f_new - f_old).max()
                line += f"; baseline {t_old:7.3f} s; speed-up x{t_old / t_new:5.1f}"
                line += f"; max |now - baseline| = {diff:.1e}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
