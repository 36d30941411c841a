"""A small hand-written mutation run over the crisis and ratification analyses (issue 24).

    PYTHONPATH=src python benchmarks/mutation_run.py

Each mutant is one deliberate defect (a flipped comparison, a dropped body, a swapped term),
applied as a text replacement to ``src/detente/analyses/{crisis,ratification}.py``. The script
runs ``tests/analyses/test_crisis.py`` and ``tests/analyses/test_ratification.py`` (not the
modules' doctests), reports whether the mutant was killed (some test failed) or survived, and
always restores the file. A mutant whose text no
longer occurs in the source is reported as stale. Not run by the test suite.

Survivors at the time of writing (3 of 37), all without an observable effect on results:
widening the offer search to ``p + high`` (only the grid resolution changes), ``>=`` -> ``>`` in
``signal_belief`` (the boundary values coincide), ``gap > 0`` -> ``>=`` in
``audience_threshold`` (division by a zero gap gives inf either way).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAT = "src/detente/analyses/ratification.py"
CRI = "src/detente/analyses/crisis.py"
TESTS = ["tests/analyses/test_crisis.py", "tests/analyses/test_ratification.py"]

MUTANTS = [
    (
        RAT,
        'ok = (g > 0) | tie if body.ties == "yes" else (g > 0) & ~tie',
        'ok = (g > 0) | tie if body.ties == "yes" else (g < 0) & ~tie',
        "approvals: flip the strict-preference comparison",
    ),
    (
        RAT,
        "return yes_counts(x, body) >= body.threshold",
        "return yes_counts(x, body) > body.threshold",
        "passes: >= threshold -> >",
    ),
    (
        RAT,
        "    for b in bodies:\n        out = out & passes(x, b)",
        "    for b in bodies[:1]:\n        out = out & passes(x, b)",
        "form_passes: drop every body but the first",
    ),
    (
        RAT,
        "        out = out & passes(x, b)",
        "        out = out | passes(x, b)",
        "form_passes: AND -> OR over bodies",
    ),
    (
        RAT,
        "    ratified = passed.all(-1)",
        "    ratified = passed.any(-1)",
        "form_votes: all -> any",
    ),
    (
        RAT,
        "    gain = a @ wt - 2 * (b @ wzt)",
        "    gain = a @ wt + 2 * (b @ wzt)",
        "_gain_terms: sign of the cross term",
    ),
    (RAT, "    m = d_r - d_x\n", "    m = d_x - d_r\n", "margins: swap distances"),
    (
        RAT,
        "        p_right = z_right[:, n - q]\n",
        "        p_right = z_right[:, max(n - q - 1, 0)]\n",
        "winset_1d: wrong right pivot",
    ),
    (
        RAT,
        "    ok_r = p_right >= sq if closed else p_right > sq",
        "    ok_r = p_right >= sq if closed else p_right >= sq",
        "winset_1d: open end -> closed",
    ),
    (
        RAT,
        "        low = np.maximum(low, np.sort(lower, axis=1)[:, q - 1])",
        "        low = np.maximum(low, np.sort(lower, axis=1)[:, 0])",
        "winset_box: q-th -> first lower end",
    ),
    (
        RAT,
        "    return order[..., body.threshold - 1]",
        "    return order[..., 0]",
        "pivot: first instead of q-th",
    ),
    (
        RAT,
        "    return (rank >= yes) & (rank < body.threshold)",
        "    return (rank > yes) & (rank < body.threshold)",
        "to_win_over: off by one",
    ),
    (
        CRI,
        "    return p - _f(c_a), p + _f(c_b)",
        "    return p - _f(c_a), p + _f(c_a)",
        "bargaining_range: c_b -> c_a",
    ),
    (
        CRI,
        "    return _f(low) > _f(high)",
        "    return _f(low) >= _f(high)",
        "range_is_empty: > -> >=",
    ),
    (
        CRI,
        "    low = np.maximum(war, (war + a * d) / (1 + a))",
        "    low = np.minimum(war, (war + a * d) / (1 + a))",
        "audience_range: max -> min",
    ),
    (
        CRI,
        "    return low, np.broadcast_to(p_b + c_a, np.shape(low)).copy()",
        "    return low, np.broadcast_to(p_b + c_b, np.shape(low)).copy()",
        "audience_range: A's max uses c_b",
    ),
    (
        CRI,
        "    return np.minimum(x, ((x[:, None] + a * e) / (1.0 + a)).min(axis=1))",
        "    return np.minimum(x, ((x[:, None] - a * e) / (1.0 + a)).min(axis=1))",
        "_threshold_inverse: sign of a*e",
    ),
    (
        CRI,
        "    return np.minimum(x, ((x[:, None] + a * e) / (1.0 + a)).min(axis=1))",
        "    return x",
        "_threshold_inverse: ignore the audience shift (the old bug)",
    ),
    (
        CRI,
        "    peace = accepted & ((x_acc >= p - c_a - 1e-12) | (x_thr >= 1.0))",
        "    peace = accepted & ((x_acc >= p + c_a - 1e-12) | (x_thr >= 1.0))",
        "_point_offer: war payoff sign",
    ),
    (
        CRI,
        "    y = np.clip(np.maximum(lo, (hi - c_a) / 2.0), None, hi)",
        "    y = np.clip(np.maximum(lo, (hi + c_a) / 2.0), None, hi)",
        "optimal_offer_uniform: stationary point",
    ),
    (
        CRI,
        "    return (a * np.maximum(0.0, x[..., None] - e)).max(axis=-1)",
        "    return (a * np.maximum(0.0, x[..., None] - e)).min(axis=-1)",
        "_audience_shift: max -> min over responders",
    ),
    (
        CRI,
        "    y = x2 - p2 + _audience_shift(x2, audience, edge)",
        "    y = x2 - p2 - _audience_shift(x2, audience, edge)",
        "war_probability: shift sign",
    ),
    (
        CRI,
        "    better = v_ref > best_v  # keep",
        "    better = v_ref < best_v  # keep",
        "optimal_offer: keep the worse of grid and refinement",
    ),
    (
        CRI,
        "    hi = np.clip(_threshold_inverse(b_hi, p, audience, edge), lo, 1.0)",
        "    hi = np.clip(p + b_hi, lo, 1.0)",
        "optimal_offer: upper end without the shift",
    ),
    (
        CRI,
        "        high = (1 - t_min).min(axis=1)",
        "        high = (1 - t_min).max(axis=1)",
        "crisis_range: every target -> any target",
    ),
    (
        CRI,
        "    return np.where(vf >= v, 0.0, np.where(k >= vf, 1.0, np.clip(mid, 0.0, 1.0)))",
        "    return np.where(vf > v, 0.0, np.where(k > vf, 1.0, np.clip(mid, 0.0, 1.0)))",
        "signal_belief: >= -> >",
    ),
    (
        CRI,
        "    possible = (p + c_a > 1.0) & (v_f < v)",
        "    possible = (p + c_a >= 1.0) & (v_f < v)",
        "costly_signal: p + c_a > 1 -> >=",
    ),
    (
        CRI,
        "    credible = possible & (sunk >= k_star * (1 - 1e-12))",
        "    credible = possible & (sunk > k_star * (1 + 1e-12))",
        "costly_signal: credible at K* -> strictly above",
    ),
    (
        CRI,
        "    peace_value = 1 + d * (p1 / (1 - d) - c)",
        "    peace_value = 1 + d * (p1 / (1 - d) + c)",
        "preventive_war: sign of cost in peace value",
    ),
    (
        CRI,
        "    return PowerShiftResult(war_value, peace_value, war_value > peace_value, critical)",
        "    return PowerShiftResult(war_value, peace_value, war_value >= peace_value, critical)",
        "preventive_war: > -> >=",
    ),
    (
        CRI,
        "    return -np.expm1(-_f(hazard) * _f(months))",
        "    return -np.expm1(-_f(hazard) * _f(months) / 12)",
        "brinkmanship_risk: wrong time unit",
    ),
    (
        CRI,
        "        return np.where(gap > 0, (c_a + c_b) / gap, np.inf)",
        "        return np.where(gap >= 0, (c_a + c_b) / gap, np.inf)",
        "audience_threshold: gap > 0 -> >=",
    ),
    (
        CRI,
        "    return x, surplus >= 0",
        "    return x, surplus > 0",
        "nbs_pie_split: agreement at zero surplus",
    ),
    (
        CRI,
        "    x = np.clip(d_a + w_a / (w_a + w_b) * surplus, 0.0, 1.0)",
        "    x = np.clip(d_a + w_b / (w_a + w_b) * surplus, 0.0, 1.0)",
        "nbs_pie_split: swap weights",
    ),
    (
        RAT,
        "    return np.asarray(u_x) * keep + np.asarray(u_sq) * (1 - keep)",
        "    return np.asarray(u_x) * (1 - keep) + np.asarray(u_sq) * keep",
        "durable_value: swap the survival weights",
    ),
    (
        RAT,
        '    loss = gap if kind == "linear" else gap**2',
        '    loss = gap**2 if kind == "linear" else gap',
        "spatial_utility: swap losses",
    ),
    (
        RAT,
        "        worst = np.argmin(margin, axis=-1)  # first of the bodies furthest short",
        "        worst = np.argmax(margin, axis=-1)  # first of the bodies furthest short",
        "form_votes: blocking body = least short",
    ),
]


def run_one(path: str, old: str, new: str) -> tuple[str, str]:
    """Apply one mutant, run the tests, restore the file; (status, first failing test)."""
    f = ROOT / path
    orig = f.read_text(encoding="utf-8")
    if orig.count(old) != 1:
        return "stale", ""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "pytest", "-x", "-p", "no:warnings", "-p", "no:cacheprovider"]
    try:
        f.write_text(orig.replace(old, new), encoding="utf-8")
        r = subprocess.run(
            [*cmd, "--hypothesis-seed=0", *TESTS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        f.write_text(orig, encoding="utf-8")
    first = next((ln for ln in r.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))), "")
    return ("killed" if r.returncode != 0 else "SURVIVED"), first


def main() -> None:
    counts: dict[str, int] = {}
    for path, old, new, label in MUTANTS:
        status, first = run_one(path, old, new)
        counts[status] = counts.get(status, 0) + 1
        print(f"{status:9s} {label} | {first[:120]}", flush=True)
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), f"of {len(MUTANTS)}")


if __name__ == "__main__":
    main()
