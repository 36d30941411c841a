"""Time the crisis analyses over Monte Carlo samples (not run by the tests).

    PYTHONPATH=src python benchmarks/crisis_batch.py [samples ...]

Times the numeric optimal offer (normal beliefs, each sample its own mean and sd) and a whole
``analyse_crisis`` run on a two-issue scenario with every crisis input uncertain.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from detente.analyses.crisis import analyse_crisis, optimal_offer
from detente.models import get_model, registry
from detente.scenario.crisis import CostBelief, compile_crisis, scenario_arrays
from detente.scenario.schema import Scenario

DOC = {
    "meta": {"title": "benchmark"},
    "actors": [
        {"id": "C", "capability": [20, 40], "audience_sensitivity": [0.2, 1.0]},
        {"id": "T1", "capability": 100, "audience_sensitivity": 0.8},
        {"id": "T2", "capability": 40},
    ],
    "issues": [{"id": "a", "status_quo": 100}, {"id": "b", "status_quo": 70}],
    "stances": [
        {
            "actor": "C",
            "issue": "a",
            "position": [0, 10],
            "salience": 95,
            "demand": 0,
            "publicity": 1,
        },
        {
            "actor": "T1",
            "issue": "a",
            "position": 90,
            "salience": 80,
            "demand": 100,
            "publicity": 0.5,
        },
        {"actor": "T2", "issue": "a", "position": 80, "salience": 60},
        {"actor": "C", "issue": "b", "position": 10, "salience": 80},
        {"actor": "T1", "issue": "b", "position": 70, "salience": 50},
    ],
    "crisis": {
        "challenger": "C",
        "targets": ["T1", "T2"],
        "proposer": "T1",
        "stakes": {"a": 0.5, "b": [0.2, 0.4]},
        "p_win": [0.55, 0.75],
        "cost_challenger": [0.1, 0.3],
        "cost_target": [0.1, 0.2],
        "private_cost": {"dist": "triangular", "low": 0, "mode": 0.15, "high": 0.5},
        "mobilisation": {"cost_per_month": 0.02, "months": [6, 12], "value_max": 1.5},
        "deadline_months": 2,
        "power_shift": {"p_future": 0.5, "discount": 0.9},
        "brinkmanship": {"hazard_per_month": [0.01, 0.05]},
    },
}


def main(sizes: list[int]) -> None:
    sc = Scenario.model_validate(DOC)
    for s in sizes:
        rng = np.random.default_rng(0)
        belief = CostBelief.normal(rng.uniform(0.05, 0.3, s), rng.uniform(0.02, 0.1, s))
        t0 = time.perf_counter()
        optimal_offer(rng.uniform(0.3, 0.7, s), 0.1, belief)
        t1 = time.perf_counter()
        arrays = scenario_arrays(sc, s, rng)
        cr = compile_crisis(sc, arrays, s, rng)
        fc = {n: get_model(n).forecast(arrays, rng) for n in registry()}
        t2 = time.perf_counter()
        analyse_crisis(cr, arrays, fc)
        t3 = time.perf_counter()
        print(
            f"samples {s:>7}: optimal_offer (normal) {t1 - t0:7.3f} s; "
            f"compile + forecasts {t2 - t1:7.3f} s; analyse_crisis {t3 - t2:7.3f} s"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000])
