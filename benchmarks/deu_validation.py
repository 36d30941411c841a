"""Reproduce docs/validation.md: backtest table and nested cross-validation on deu-train.tsv.

Usage: ``python benchmarks/deu_validation.py [PATH]`` (default: ``$DETENTE_SHARED`` or
``../shared``, then ``data/deu/deu-train.tsv``). Takes a few minutes on one core: 20
cross-validations with 10 Powell fits each.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from detente.analyses.backtest import run_backtest
from detente.analyses.calibrate import cross_validate_detente, fit_detente
from detente.io.deu import load_deu


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    default = Path(os.environ.get("DETENTE_SHARED", root.parent / "shared"))
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default / "data/deu/deu-train.tsv"
    data = load_deu(path)
    print(data.summary())
    result = run_backtest(data)
    print(
        "| model | capability | issues | MAE | RMSE | MedAE | <=10 | <=20 "
        "| vs compromise [95% CI] |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in result["results"]:
        vs = r["vs_compromise"]
        cmp_text = (
            "baseline"
            if r["model"] == "compromise"
            else f"{vs['mae_difference']:+.2f} [{vs['ci95'][0]:+.2f}, {vs['ci95'][1]:+.2f}]"
        )
        print(
            f"| {r['model']} | {r['capability']} | {r['n']} | {r['mae']:.2f} | {r['rmse']:.2f} | "
            f"{r['median_ae']:.2f} | {100 * r['within_10']:.0f}% | {100 * r['within_20']:.0f}% "
            f"| {cmp_text} |"
        )
    print("skipped:", result["skipped"])
    for sq in ("ignore", "slot"):
        fit = fit_detente(data, status_quo=sq)
        print(f"\nfit (status_quo={sq}):", fit)
        print(f"nested 10-fold CV by proposal, status_quo={sq} (treaty capabilities)")
        print("| split seed | detente MAE | compromise MAE | change | 95% CI of difference |")
        print("|---|---|---|---|---|")
        for seed in range(10):
            cv = cross_validate_detente(data, seed=seed, status_quo=sq)
            print(
                f"| {seed} | {cv['detente']['mae']:.2f} | {cv['compromise']['mae']:.2f} | "
                f"{100 * cv['relative']:+.1f}% | {cv['ci95'][0]:+.2f} to {cv['ci95'][1]:+.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
