"""Timing of the ratification analyses on a treaty-sized form (not run by the test suite).

The form follows models.md D.4: a 100-member Senate (67 needed), 30 national parliaments of 200
members each (simple majority) and a 450-member Duma (simple majority): 32 bodies, 6550 members,
10 issues. Run: ``python benchmarks/ratification_bench.py [samples]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from detente.analyses.ratification import (
    form_votes,
    nearest_ratifiable,
    ratification_probability,
)
from detente.scenario.ratification import CompiledBody


def make_form(samples: int, rng: np.random.Generator, d: int = 10) -> list[CompiledBody]:
    sq = np.full((samples, d), 50.0)

    def body(m: int, q: int, centre: float, spread: float, name: str) -> CompiledBody:
        z = np.clip(rng.normal(centre, spread, (samples, m, d)), 0, 100)
        return CompiledBody.from_points(z, sq, q, weight=np.ones((samples, m, d)), id=name)

    out = [body(100, 67, 65, 8, "senate"), body(450, 226, 60, 8, "duma")]
    out += [body(200, 101, 60 + 3 * rng.standard_normal(), 8, f"p{k}") for k in range(30)]
    return out


def main(samples: int = 2000) -> None:
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    bodies = make_form(samples, rng)
    print(f"compiled {len(bodies)} bodies x {samples} samples: {time.perf_counter() - t:.2f} s")
    x = np.full((1, 10), 56.0)
    t = time.perf_counter()
    v = form_votes(x, bodies)
    p, se = ratification_probability(x, bodies)
    dt = time.perf_counter() - t
    print(f"votes + P(ratified) = {float(p):.3f} (se {float(se):.3f}): {dt:.2f} s")
    print(f"  blocking body in sample 0: {v.blocking[0]}, short {v.short[0]}")
    point = [CompiledBody.from_points(b.ideal[:1], b.reversion[:1], b.threshold) for b in bodies]
    t = time.perf_counter()
    near = nearest_ratifiable(np.full(10, 20.0), point, np.zeros(10), np.full(10, 100.0), rng)
    dt = time.perf_counter() - t
    print(f"nearest ratifiable package (1 sample): distance {near.distance[0]:.4f}, {dt:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
