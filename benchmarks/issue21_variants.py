"""Every slot-model variant measured for issue 21 (docs/validation.md, "What else was tried").

Usage: ``python benchmarks/forecaster_v2.py --issue21 [--nested] [--seeds N]`` (or this file
directly, same options). Without ``--nested`` it measures the fixed variants (about 2 s of CPU
each for 20 seeds); ``--nested`` adds the nested forward selections (10 to 25 min each on one
core).

Every variant is the two-stage slot2 model (:mod:`detente.models.slot2`): P(compromise) is a
logistic of weight-free issue terms, the held positions share the rest by a softmax, and the
forecast is the median of the slot probabilities. Variants add columns to the design of
:func:`detente.analyses.calibrate.slot2_design`:

- an *issue* feature (prefix ``c:``) enters the compromise stage only (it is constant over the
  held positions, so it would cancel in their softmax);
- a *slot* feature enters the positions' softmax only.

All added features are weight-free (functions of positions, counts, roles, the voting rule and
the procedure), except ``support_unan`` and ``support_cod``: the log support times an
indicator, with a coefficient bounded at 0, so every weight-dependent logit still has a
coefficient >= 0. Every variant is therefore monotone in capability and salience by the
argument of :mod:`detente.models.slot2`.

Each variant is fitted by :func:`detente.analyses.calibrate.newton_bounded` on the soft-target
cross-entropy (convex) inside every fold of a grouped 10-fold split (split seeds 0..N-1), and
scored by :func:`detente.analyses.calibrate._compare` (ratio to the compromise model; paired
proposal bootstrap, 2000 draws, generator seed + 1).

Two kinds of rows: *screen* rows are fixed feature sets, each measured on the same outer
folds. Picking the best screen row would be tuning on the evaluation, so its number is
optimistic. *nested* rows run a forward selection inside every outer training fold (inner
grouped 5-fold CV, repeated over inner split seeds 0..R-1, out-of-fold MAE of the median; a
feature enters while it lowers the inner MAE by at least the given gain, up to a maximum
count); their numbers are honest estimates of what the selection procedure delivers.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from detente.analyses import calibrate as cal
from detente.analyses.backtest import group_kfold
from detente.io.deu import DEUData, load_deu
from detente.models import slot2
from detente.models.central import actor_weights, weighted_mean

#: Weight-free issue features of the compromise stage.
ISSUE_FEATURES: dict[str, str] = {
    "cod": "procedure is codecision (COD)",
    "lognact": "log number of actors with a position",
    "logndist": "log number of distinct positions",
    "spread": "mean |position - unweighted mean|",
    "range": "largest - smallest position",
    "modal": "share of actors at the modal position",
    "com_ep_same": "Commission and Parliament hold the same position",
    "rp_dist": "|reference point - unweighted mean| (0 where unknown)",
    "has_rp": "the reference point is known",
    "plain_extreme": "|unweighted mean - scale midpoint|",
    "unan_cod": "unanimity x codecision",
}
#: Weight-free slot features of the positions' softmax (``support_*``: bounded at 0).
SLOT_FEATURES: dict[str, str] = {
    "com": "the Commission holds the slot",
    "com_only": "the slot is the Commission's own entry (not its co-holders')",
    "rp": "the slot is at the reference point",
    "extreme": "the slot is the smallest or largest held position",
    "sqdist": "squared distance to the unweighted mean",
    "logcount": "log number of actors at the slot",
    "endpoint": "the slot is at an end of the scale",
    "ep_cod": "the Parliament holds the slot x codecision",
    "ep_unan": "the Parliament holds the slot x unanimity",
    "com_cod": "the Commission holds the slot x codecision",
    "dist_unan": "distance x unanimity",
    "dist_cod": "distance x codecision",
    "ep_at": "the slot's position is the Parliament's (all co-holders)",
    "support_unan": "log support x unanimity (coefficient >= 0)",
    "support_cod": "log support x codecision (coefficient >= 0)",
    "dist_rp": "|slot - reference point| (0 where unknown)",
}
NONNEGATIVE = {"support", "support_unan", "support_cod"}
#: Candidates of the nested selections that use only generic features (no reference point).
GENERIC_ISSUE = (
    "cod",
    "lognact",
    "logndist",
    "spread",
    "range",
    "modal",
    "com_ep_same",
    "plain_extreme",
    "unan_cod",
)
GENERIC_SLOT = (
    "com",
    "extreme",
    "sqdist",
    "logcount",
    "endpoint",
    "ep_cod",
    "ep_unan",
    "com_cod",
    "dist_unan",
    "dist_cod",
    "support_unan",
    "support_cod",
)


class Design:
    """The slot2 design of a DEU file plus every candidate feature (issues first)."""

    def __init__(self, data: DEUData) -> None:
        arrays, self.slots, feats, self.offset, self.valid = cal.slot2_design(data)
        # the base features of slot2 (slot2_base); every variant adds its own columns
        self.feats = feats[..., : len(slot2.BASE_FEATURES)]
        self.y = data.outcome
        self.groups = data.proposal_groups()
        self.base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
        d, k, _ = self.feats.shape
        self.d, self.k = d, k
        x = self.slots[:, :-1]
        m = self.valid[:, :-1]
        actors = list(data.actors)
        iep, icom = actors.index("ep"), actors.index("com")
        unan = (data.column("voting_rule") == "Unan").astype(float)
        cod = (data.column("procedure") == "COD").astype(float)
        rp = data.reference_point / 100.0
        has_rp = np.isfinite(rp).astype(float)
        rp0 = np.where(np.isfinite(rp), rp, 0.5)
        nact = m.sum(1)
        plain = np.where(m, x, 0.0).sum(1) / nact
        same = (
            (np.abs(x[:, :, None] - x[:, None, :]) < slot2.SAME_POSITION)
            & m[:, :, None]
            & m[:, None, :]
        )
        mult = same.sum(2)
        xmin = np.where(m, x, np.inf).min(1)
        xmax = np.where(m, x, -np.inf).max(1)
        dist = np.abs(x - plain[:, None])
        at_com = (same[:, :, icom] & m[:, icom][:, None]).astype(float)
        at_ep = (same[:, :, iep] & m[:, iep][:, None]).astype(float)
        is_com = np.zeros_like(x)
        is_com[:, icom] = 1.0
        near = slot2.SAME_POSITION
        support = self.feats[:, :-1, slot2.BASE_FEATURES.index("support")]
        self.issue = {
            "cod": cod,
            "lognact": np.log(nact),
            "logndist": np.log(np.where(m, 1.0 / np.maximum(mult, 1), 0.0).sum(1)),
            "spread": np.where(m, dist, 0.0).sum(1) / nact,
            "range": xmax - xmin,
            "modal": np.where(m, mult, 0).max(1) / nact,
            "com_ep_same": (
                m[:, iep] & m[:, icom] & (np.abs(x[:, iep] - x[:, icom]) < near)
            ).astype(float),
            "rp_dist": has_rp * np.abs(rp0 - plain),
            "has_rp": has_rp,
            "plain_extreme": np.abs(plain - 0.5),
            "unan_cod": unan * cod,
        }
        self.slot = {
            "com": at_com,
            "com_only": is_com,
            "rp": has_rp[:, None] * (np.abs(x - rp0[:, None]) < near),
            "extreme": (
                (np.abs(x - xmin[:, None]) < near) | (np.abs(x - xmax[:, None]) < near)
            ).astype(float),
            "sqdist": dist**2,
            "logcount": np.log(np.maximum(mult, 1)),
            "endpoint": ((x < near) | (x > 1.0 - near)).astype(float),
            "ep_cod": at_ep * cod[:, None],
            "ep_unan": at_ep * unan[:, None],
            "com_cod": at_com * cod[:, None],
            "dist_unan": dist * unan[:, None],
            "dist_cod": dist * cod[:, None],
            "ep_at": at_ep,
            "support_unan": support * unan[:, None],
            "support_cod": support * cod[:, None],
            "dist_rp": has_rp[:, None] * np.abs(x - rp0[:, None]),
        }

    def build(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Features (D, K, 6 + len(names)) and lower bounds; ``c:`` names are issue features."""
        cols = [self.feats]
        for name in names:
            col = np.zeros((self.d, self.k, 1))
            if name.startswith("c:"):
                col[:, -1, 0] = self.issue[name[2:]]
            else:
                col[:, :-1, 0] = np.where(self.valid[:, :-1], self.slot[name], 0.0)
            cols.append(col)
        all_names = [*slot2.BASE_FEATURES, *names]
        lower = np.array([0.0 if n in NONNEGATIVE else -np.inf for n in all_names])
        return np.concatenate(cols, axis=2), lower

    def fit(self, feats, lower, train, ridge=cal.SLOT2_RIDGE, scale=cal.SLOT2_TARGET_SCALE):
        """Fit A (soft-target cross-entropy, projected Newton from zero) on ``train``."""
        t = cal._soft_targets(
            self.slots[train], self.y[train] / 100.0, self.offset[train], self.valid[train],
            scale / 100.0,
        )  # fmt: skip
        f, o, v = feats[train], self.offset[train], self.valid[train]
        coef, _ = cal.newton_bounded(
            lambda c: cal.slot2_objective(c, f, o, v, t, ridge),
            lambda c: cal.slot2_hessian(c, f, o, v, t, ridge),
            np.zeros(feats.shape[-1]),
            lower,
        )
        return coef

    def predict(self, feats, coef, test) -> np.ndarray:
        """The slot median (0..100) on ``test``."""
        p = slot2.slot_probabilities(feats[test], self.offset[test], self.valid[test], coef)
        return 100.0 * slot2.weighted_median(self.slots[test], p)

    def score(self, oof: np.ndarray, seed: int) -> dict[str, Any]:
        return cal._compare(oof, self.base, self.y, self.groups, seed + 1, 2000)


def cv_rows(design: Design, seeds: int, fold_forecast) -> list:
    """Grouped 10-fold CV over ``seeds`` split seeds: ``fold_forecast(te)`` forecasts the test
    rows ``te`` from a fit on the others; one score row per seed."""
    rows = []
    for seed in range(seeds):
        folds = group_kfold(design.groups, 10, np.random.default_rng(seed))
        oof = np.empty_like(design.y)
        for f in range(10):
            te = folds == f
            oof[te] = fold_forecast(te)
        rows.append(design.score(oof, seed))
    return rows


def screen(design: Design, names: tuple[str, ...], seeds: int, ridge: float = cal.SLOT2_RIDGE):
    """Grouped 10-fold CV over ``seeds`` split seeds of one fixed feature set."""
    feats, lower = design.build(names)
    return cv_rows(
        design, seeds, lambda te: design.predict(feats, design.fit(feats, lower, ~te, ridge), te)
    )


def inclusive_value(design: Design, seeds: int, names: tuple[str, ...] = ()):
    """Two-step nested logit: the weight-free inclusive value of the positions' stage (the log
    of the sum of their exp logits without the support terms, from a first fit) enters the
    compromise stage of a second fit."""
    feats, lower = design.build(names)
    weighted = [i for i, n in enumerate([*slot2.BASE_FEATURES, *names]) if n in NONNEGATIVE]

    def fold_forecast(te: np.ndarray) -> np.ndarray:
        coef = design.fit(feats, lower, ~te)
        coef[weighted] = 0.0
        z = feats[:, :-1, :] @ coef + design.offset[:, :-1]
        z = np.where(design.valid[:, :-1], z, -np.inf)
        top = z.max(1)
        col = np.zeros((design.d, design.k, 1))
        col[:, -1, 0] = top + np.log(np.exp(z - top[:, None]).sum(1))
        f2 = np.concatenate([feats, col], axis=2)
        l2 = np.append(lower, -np.inf)
        return design.predict(f2, design.fit(f2, l2, ~te), te)

    return cv_rows(design, seeds, fold_forecast)


def forward_select(
    design: Design,
    train: np.ndarray,
    candidates: tuple[str, ...],
    *,
    min_gain: float,
    max_add: int,
    repeats: int,
) -> tuple[str, ...]:
    """Forward selection on ``train`` by inner grouped 5-fold CV MAE of the slot median."""
    idx = np.flatnonzero(train)
    inners = [
        group_kfold(design.groups[train], 5, np.random.default_rng(r)) for r in range(repeats)
    ]

    def inner_mae(names: tuple[str, ...]) -> float:
        feats, lower = design.build(names)
        total = 0.0
        for inner in inners:
            for j in range(5):
                itr = np.zeros(design.d, dtype=bool)
                itr[idx[inner != j]] = True
                ite = np.zeros(design.d, dtype=bool)
                ite[idx[inner == j]] = True
                coef = design.fit(feats, lower, itr)
                total += np.abs(design.predict(feats, coef, ite) - design.y[ite]).sum()
        return total / (len(idx) * len(inners))

    chosen: tuple[str, ...] = ()
    best = inner_mae(chosen)
    for _ in range(max_add):
        scored = sorted((inner_mae((*chosen, c)), c) for c in candidates if c not in chosen)
        if not scored or best - scored[0][0] < min_gain:
            break
        best, pick = scored[0]
        chosen = (*chosen, pick)
    return chosen


def nested(design: Design, seeds: int, candidates, *, min_gain, max_add, repeats):
    """Grouped 10-fold CV of the forward selection, run inside every outer training fold."""
    picks = []

    def fold_forecast(te: np.ndarray) -> np.ndarray:
        names = forward_select(
            design, ~te, candidates, min_gain=min_gain, max_add=max_add, repeats=repeats
        )
        picks.append(names)
        feats, lower = design.build(names)
        return design.predict(feats, design.fit(feats, lower, ~te), te)

    rows = cv_rows(design, seeds, fold_forecast)
    full = forward_select(
        design,
        np.ones(design.d, dtype=bool),
        candidates,
        min_gain=min_gain,
        max_add=max_add,
        repeats=repeats,
    )
    return rows, picks, full


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [r["ratio"] for r in rows]
    return {
        "mean_ratio": float(np.mean(ratios)),
        "min_ratio": float(np.min(ratios)),
        "max_ratio": float(np.max(ratios)),
        "excludes_zero": int(sum(r["excludes_zero"] for r in rows)),
        "mean_mae": float(np.mean([r["mae"] for r in rows])),
        "seeds": len(rows),
    }


def fixed_variants() -> list[tuple[str, tuple[str, ...], float]]:
    """(label, feature names, ridge) of every screen row."""
    out: list[tuple[str, tuple[str, ...], float]] = [("slot2_base (the first slot2)", (), 1e-3)]
    out += [(f"+ c:{n}", (f"c:{n}",), 1e-3) for n in ISSUE_FEATURES]
    out += [(f"+ {n}", (n,), 1e-3) for n in SLOT_FEATURES]
    out += [
        (f"+ c:logndist, c:{n}", ("c:logndist", f"c:{n}"), 1e-3)
        for n in ISSUE_FEATURES
        if n != "logndist"
    ]
    out += [(f"+ c:logndist, {n}", ("c:logndist", n), 1e-3) for n in SLOT_FEATURES]
    out += [(f"+ c:logndist, ridge {r:g}", ("c:logndist",), r) for r in (3e-3, 1e-2, 3e-2)]
    greedy = ("extreme", "c:logndist", "c:unan_cod")
    out += [(f"+ {', '.join(greedy)}, ridge {r:g}", greedy, r) for r in (1e-3, 3e-3, 1e-2)]
    every = tuple(f"c:{n}" for n in GENERIC_ISSUE) + GENERIC_SLOT
    out += [(f"+ all 21 generic features, ridge {r:g}", every, r) for r in (1e-3, 1e-2, 0.1)]
    return out


def run(data: DEUData, *, seeds: int = 20, with_nested: bool = False) -> dict[str, Any]:
    """Every variant's summary over ``seeds`` split seeds (JSON-ready)."""
    design = Design(data)
    table: list[dict[str, Any]] = []
    for label, names, ridge in fixed_variants():
        t = time.process_time()
        row = summarise(screen(design, names, seeds, ridge))
        table.append({"variant": label, "kind": "screen", "monotone": True, **row})
        print(json.dumps({**table[-1], "cpu_s": round(time.process_time() - t, 1)}), flush=True)
    for label, names in (
        ("two-step nested logit (inclusive value in the compromise stage)", ()),
        ("two-step nested logit + c:unan_cod", ("c:unan_cod",)),
        ("two-step nested logit + extreme", ("extreme",)),
    ):
        row = summarise(inclusive_value(design, seeds, names))
        table.append({"variant": label, "kind": "screen", "monotone": True, **row})
        print(json.dumps(table[-1]), flush=True)
    if with_nested:
        issue_only = tuple(f"c:{n}" for n in GENERIC_ISSUE)
        shipped = tuple(c for c in issue_only if c not in ("c:cod", "c:unan_cod"))
        every = issue_only + GENERIC_SLOT
        for label, cands, gain, most, reps in (
            ("forward selection, 7 compromise-stage features (shipped slot2)", shipped, 0.05, 3, 2),
            (
                "forward selection, 9 compromise-stage features (with the procedure)",
                issue_only,
                0.05,
                3,
                2,
            ),
            ("forward selection, 21 generic features", every, 0.1, 3, 3),
            ("forward selection, 21 generic features, one inner split", every, 0.1, 4, 1),
        ):
            t = time.process_time()
            rows, picks, full = nested(
                design, seeds, cands, min_gain=gain, max_add=most, repeats=reps
            )
            table.append(
                {
                    "variant": f"{label} (inner gain >= {gain} points, <= {most}, "
                    f"{reps} inner split{'s' if reps > 1 else ''})",
                    "kind": "nested",
                    "monotone": True,
                    **summarise(rows),
                    "picked_per_fold": Counter(" + ".join(p) or "none" for p in picks).most_common(
                        6
                    ),
                    "picked_on_all_data": list(full),
                }
            )
            print(json.dumps({**table[-1], "cpu_s": round(time.process_time() - t)}), flush=True)
    return {"seeds": seeds, "variants": table}


def markdown(result: dict[str, Any]) -> str:
    """The table of docs/validation.md ("What else was tried for issue 21")."""
    n = result["seeds"]
    out = [
        "| variant | kind | monotone | mean ratio (range) | CI excludes zero | mean MAE |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["variants"]:
        out.append(
            f"| {r['variant']} | {r['kind']} | {'yes' if r['monotone'] else 'no'} | "
            f"{r['mean_ratio']:.3f} ({r['min_ratio']:.3f} to {r['max_ratio']:.3f}) | "
            f"{r['excludes_zero']} of {n} | {r['mean_mae']:.2f} |"
        )
    return "\n".join(out)


def monotone_search(scenarios: int = 8000, seed: int = 21) -> dict[str, Any]:
    """Random search for a forecast of the shipped slot2 that moves away from an actor who gains.

    Scenarios of 3-8 actors and 2 issues, positions on a coarse grid (shared positions) or
    uniform, a Commission and a Parliament half the time each, random unanimity; one actor's
    capability or salience is multiplied by 1.01-20. Even scenarios use the shipped
    coefficients, odd ones random coefficients over every feature (``support`` >= 0). Returns
    the count of moves away per kind, the largest, and how close the nearest other position
    was to the actor in those cases (the merge tolerance is 0.5 points).
    """
    from dataclasses import replace

    from detente.arrays import ScenarioArrays

    rng = np.random.default_rng(seed)
    grid = np.array([0, 10, 25, 40, 50, 60, 75, 90, 100.0])
    out: dict[str, Any] = {
        k: {"scenarios": 0, "moved_away": 0, "largest": 0.0, "nearest_other": []}
        for k in ("shipped", "random")
    }

    def forecast(a, coef):
        s, p = slot2.slot2_predict(a, coef)
        return a.from_normalised(slot2.weighted_median(s, p))[0]

    for it in range(scenarios):
        n, d = int(rng.integers(3, 9)), 2
        if rng.random() < 0.5:
            pos = rng.choice(grid, size=(n, d))
        else:
            pos = rng.uniform(0, 100, (n, d))
        ids = [f"a{i}" for i in range(n)]
        if rng.random() < 0.5:
            ids[0] = "com"
        if rng.random() < 0.5:
            ids[-1] = "ep"
        a = ScenarioArrays.from_table(
            pos, rng.uniform(0, 1, (n, d)), rng.uniform(0.01, 100, n), actor_ids=ids
        )
        a.extras["unanimity"] = rng.integers(0, 2, d).astype(float)
        kind = "shipped" if it % 2 == 0 else "random"
        coef = (
            dict(slot2.COEFFICIENTS)
            if kind == "shipped"
            else {
                f: abs(rng.normal(0, 5)) if f == "support" else rng.normal(0, 5)
                for f in slot2.FEATURES
            }
        )
        actor = int(rng.integers(n))
        what = "capability" if rng.random() < 0.5 else "salience"
        before = forecast(a, coef)
        grown = getattr(a, what).copy()
        cap = 1.0 if what == "salience" else np.inf
        grown[:, actor] = np.minimum(grown[:, actor] * rng.uniform(1.01, 20), cap)
        after = forecast(replace(a, **{what: grown}), coef)
        x = a.position[0, actor]
        away = np.abs(after - x) - np.abs(before - x)
        row = out[kind]
        row["scenarios"] += 1
        if np.any(away > 1e-9):
            row["moved_away"] += 1
            row["largest"] = max(row["largest"], float(away.max()))
            others = np.delete(a.position[0], actor, axis=0)
            row["nearest_other"].append(float(np.min(np.abs(others - x))))
    return out


def main(argv: list[str] | None = None) -> None:
    root = Path(__file__).resolve().parents[1]
    default = Path(os.environ.get("DETENTE_SHARED", root.parent / "shared"))
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(default / "data/deu/deu-train.tsv"))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--nested", action="store_true", help="also run the nested selections")
    ap.add_argument("--json", default=None, help="also write the result as JSON")
    ap.add_argument("--monotone", action="store_true", help="only the monotonicity search")
    args = ap.parse_args(argv)
    if args.monotone:
        print(json.dumps(monotone_search()))
        return
    result = run(load_deu(args.path), seeds=args.seeds, with_nested=args.nested)
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
