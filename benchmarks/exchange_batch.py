"""Time the exchange model on the COP21 input replicated over samples (not run by the tests).

    python benchmarks/exchange_batch.py [samples ...]

Each sample gets saliences perturbed by N(0, 0.02), so the samples trade differently.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from detente.arrays import ScenarioArrays
from detente.io.decide import read_decide
from detente.models import get_model

ROOT = Path(__file__).resolve().parents[1]


def batch(samples: int) -> ScenarioArrays:
    a = read_decide(ROOT / "tests" / "fixtures" / "decide" / "cop21.csv")
    rng = np.random.default_rng(0)
    sal = np.clip(a.salience + rng.normal(0, 0.02, (samples, *a.salience.shape[1:])), 0, 1)
    return ScenarioArrays.from_table(
        np.broadcast_to(a.position, sal.shape),
        sal,
        np.broadcast_to(a.capability, sal.shape),
        mask=a.mask,
        actor_ids=a.actor_ids,
        issue_ids=a.issue_ids,
    )


def main() -> None:
    sizes = [int(x) for x in sys.argv[1:]] or [1, 10, 100]
    model = get_model("exchange", max_rounds=1)
    for s in sizes:
        arrays = batch(s)
        t = time.perf_counter()
        model.forecast(arrays, np.random.default_rng(0))
        dt = time.perf_counter() - t
        print(f"COP21, 1 round, {s:5d} samples: {dt:7.2f} s ({dt / s * 1e3:7.1f} ms per sample)")


if __name__ == "__main__":
    main()
