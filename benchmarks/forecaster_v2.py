"""Reproduce the forecaster v2 section of docs/validation.md (issue 21).

Usage: ``python benchmarks/forecaster_v2.py [PATH] [--seeds N] [--json OUT]`` (default path:
``$DETENTE_SHARED`` or ``../shared``, then ``data/deu/deu-train.tsv``; default 20 seeds). About
12 minutes for 20 seeds on two busy cores. ``detente backtest deu PATH --cv`` prints the same
tables.

The tables (:func:`detente.analyses.calibrate.validation_markdown`): the fit on the whole
training file; grouped 10-fold CV per split seed, v1 and slot2 side by side with the paired
proposal-bootstrap CI of the MAE difference to the compromise model; the slot2 predictive
distribution per seed (interval coverage, CRPS against the compromise model dressed with its
own training-fold errors, PIT histogram); leave-one-era-out per era and pooled with its CI;
and a power table.

``--issue21 [--nested]`` prints instead the table of every slot-model variant measured for
issue 21 (docs/validation.md, "What else was tried for issue 21"; benchmarks/issue21_variants.py).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from detente.analyses.calibrate import validation_markdown, validation_report
from detente.io.deu import load_deu


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    default = Path(os.environ.get("DETENTE_SHARED", root.parent / "shared"))
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(default / "data/deu/deu-train.tsv"))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--json", default=None, help="also write the full report as JSON")
    ap.add_argument("--issue21", action="store_true", help="the variants tried for issue 21")
    ap.add_argument("--nested", action="store_true", help="with --issue21: nested selections")
    args = ap.parse_args()
    if args.issue21:
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from issue21_variants import main as variants

        rest = [args.path, "--seeds", str(args.seeds)] + (["--nested"] if args.nested else [])
        variants(rest + (["--json", args.json] if args.json else []))
        return
    report = validation_report(load_deu(args.path), seeds=args.seeds)
    print("fit on the whole training file:", json.dumps(report["fit"]), "\n")
    print(validation_markdown(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
