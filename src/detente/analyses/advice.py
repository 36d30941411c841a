"""Strategy advice: which move of one actor changes the expected result, and through what.

For an actor, :func:`advise` builds candidate moves from the scenario's data (focus on a subset
of issues, moderate a public demand or lower its publicity, offer reciprocity on an issue,
propose a package that links issues or table a proposal, choose an agreement form or a forum,
extend or shorten the deadline, stop the costly signal), re-runs the forecast, ratification and
crisis analysis for each one over Monte Carlo draws of the uncertain inputs, and ranks the moves
by the change in the actor's expected utility.

The actor's expected utility (docs/advice.md) in one draw is

``EU = -M + E * V_war + (1 - E) * [A * R * (DV - AC) + (1 - A * R) * U(SQ)]``

- ``U`` is the actor's spatial utility (salience-weighted, 0..1) under its *true* positions and
  saliences; a move changes what the actor says and does, not what it wants;
- ``A`` (agreement): 1 where every principal at the table (the crisis challenger and proposer,
  or the two largest actors at the table without a crisis section) prefers the forecast deal,
  valued durably and net of its own audience cost, to no deal;
- ``R`` (ratification): 1 where every body of the agreement form passes the deal, on the draw's
  ratifiers (models.md D.1, D.4);
- ``E`` (escalation): the crisis P(escalation) at the deal's challenger share (B.2, B.5);
- ``DV`` (durable value): ``U(x) (1-h)^T + U(SQ) (1 - (1-h)^T)`` with the form's revision hazard
  ``h`` and horizon ``T`` (D.4);
- ``AC`` (achievement gap): the actor's audience cost ``lambda * gap`` of accepting the deal
  short of its public demands (C.2); Fearon's (1994) cost of backing down is paid only when a
  deal is accepted (option ``audience_cost_at``);
- ``V_war``: with probability ``p`` the challenger's ideal, otherwise the status quo, less the
  war cost of the actor's side (the pie's units read as utility);
- ``M``: the challenger's mobilisation cost until the deadline while the signal continues.

The change of ``EU`` from the baseline is shared among ``A``, ``R``, ``E``, ``AC``, ``DV`` and
"other" (the values of war and of no deal, the mobilisation cost) by Shapley values, so the
shares add up to the change. The same draws (common random numbers) serve every move, so a move that
changes nothing has a change of exactly zero in every draw and is never recommended.

Moves that only change the actors' arrays are stacked along the sample axis and every model
runs once on the whole stack (one batch per forum).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.analyses.crisis import CrisisOptions, achievement_gap
from detente.analyses.outcome import (
    OutcomeOptions,
    form_terms,
    public_stakes,
    signatories,
    signing,
    status_quo,
)
from detente.analyses.ratification import durable_value, form_passes, spatial_utility
from detente.arrays import ScenarioArrays
from detente.scenario.crisis import CrisisArrays, compile_crisis
from detente.scenario.ratification import CompiledRatification
from detente.scenario.schema import Scenario

MoveKind = Literal[
    "focus",
    "moderate",
    "publicity",
    "reciprocity",
    "package",
    "proposal",
    "form",
    "forum",
    "deadline",
    "signal",
]
COMPONENTS = ("agreement", "ratification", "escalation", "achievement_gap", "durable_value")


class AdviceOptions(BaseModel):
    """Named choices of the advisor; recorded in every output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: tuple[str, ...] | None = Field(
        default=None,
        description="models whose forecasts are the deal; the actor's EU is averaged over them. "
        "Default: the scenario's headline model (detente.api.headline_model)",
    )
    samples: int = Field(default=200, ge=1, description="Monte Carlo draws of the inputs")
    utility: Literal["linear", "quadratic"] = Field(
        default="linear", description="loss of distance in the spatial utility"
    )
    audience_cost_at: Literal["deal_only", "always"] = Field(
        default="deal_only",
        description="audience cost paid only when a deal short of the demand is accepted "
        "(Fearon 1994: the cost of backing down), or also under no deal",
    )
    concession: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="share of the distance moved by a moderated demand, a reciprocal offer or "
        "the concession inside a package",
    )
    publicity_factor: float = Field(
        default=0.5, ge=0, lt=1, description="publicity is multiplied by this when lowered"
    )
    focus_residual: float = Field(
        default=0.25,
        ge=0,
        lt=1,
        description="share of salience an actor still shows on issues it drops when focusing; "
        "the rest moves to the kept issues (capped at 1)",
    )
    deadline_factor: float = Field(
        default=2.0, gt=1, description="a deadline is multiplied (extended) or divided by this"
    )
    pivot_step: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="share of the scale width the outcome moves toward the actor when finding "
        "the pivotal issue",
    )
    baseline_form: str | None = Field(
        default=None, description="agreement form of the baseline; default the scenario's first"
    )
    recommend_z: float = Field(
        default=2.0,
        ge=0,
        description="a move is recommended when its mean gain exceeds this many standard "
        "errors (over the draws)",
    )
    min_effect: float = Field(
        default=0.005,
        ge=0,
        description="and when its mean gain exceeds this minimum practical effect, in utility "
        "units (0..1, the scale of a whole issue package); smaller changes are ties",
    )
    crisis: CrisisOptions = Field(default_factory=CrisisOptions)

    def describe(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass
class Move:
    """One candidate move: how it edits the arrays and the setting of the talks."""

    kind: MoveKind
    label: str
    issues: tuple[str, ...] = ()
    edit: Callable[[ScenarioArrays], ScenarioArrays] | None = None
    forum: str | None = None
    form: str | None = None
    package: str | None = None  # a proposal id: the deal is that package
    deadline_factor: float = 1.0
    signal_off: bool = False
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Array edits (all keep shapes; each returns new arrays)


def _with(arrays: ScenarioArrays, **kw: np.ndarray) -> ScenarioArrays:
    return replace(arrays, **kw)


def _public(arrays: ScenarioArrays) -> tuple[np.ndarray, np.ndarray]:
    s, n, d = arrays.position.shape
    dem = arrays.demand if arrays.demand is not None else np.full((s, n, d), np.nan)
    pub = arrays.publicity if arrays.publicity is not None else np.zeros((s, n, d))
    return dem, pub


def others_mean(arrays: ScenarioArrays, a: int) -> np.ndarray:
    """Capability x salience weighted mean position of every actor but ``a``, (S, D).

    Where no other actor takes part, the actor's own position (no concession possible).
    """
    w = arrays.weights().copy()
    w[:, a, :] = 0.0
    tot = w.sum(axis=1)
    mean = (w * arrays.position).sum(axis=1) / np.where(tot > 0, tot, 1.0)
    return np.where(tot > 0, mean, arrays.position[:, a, :])


def edit_focus(a: int, keep: list[int], residual: float):
    """The actor shows ``residual`` of its salience on dropped issues and drops their demands.

    The salience taken off moves to the kept issues in proportion to their salience (each
    capped at 1), so the actor 'hits precisely at this point' with the same total effort.
    """

    def f(arr: ScenarioArrays) -> ScenarioArrays:
        sal = arr.salience.copy()
        dem, pub = (x.copy() for x in _public(arr))
        own = sal[:, a, :] * arr.mask[a]
        kept = np.zeros(arr.n_issues, dtype=bool)
        kept[keep] = True
        freed = (own * ~kept).sum(axis=1, keepdims=True) * (1 - residual)
        base = np.where(kept, own, 0.0)
        share = base / np.where(base.sum(1, keepdims=True) > 0, base.sum(1, keepdims=True), 1)
        sal[:, a, :] = np.where(kept, np.minimum(1.0, own + freed * share), own * residual)
        drop = ~kept & arr.mask[a]
        dem[:, a, drop] = np.nan
        pub[:, a, drop] = 0.0
        return _with(arr, salience=sal, demand=dem, publicity=pub)

    return f


def edit_moderate(a: int, d: int, share: float):
    """Move the actor's public demand on issue ``d`` by ``share`` toward its private position."""

    def f(arr: ScenarioArrays) -> ScenarioArrays:
        dem = _public(arr)[0].copy()
        dem[:, a, d] = dem[:, a, d] + share * (arr.position[:, a, d] - dem[:, a, d])
        return _with(arr, demand=dem)

    return f


def edit_publicity(a: int, issues: list[int], factor: float):
    """Multiply the actor's publicity on ``issues`` by ``factor`` (a quieter demand)."""

    def f(arr: ScenarioArrays) -> ScenarioArrays:
        pub = _public(arr)[1].copy()
        pub[:, a, issues] = pub[:, a, issues] * factor
        return _with(arr, publicity=pub)

    return f


def edit_concede(a: int, d: int, share: float, boost: int | None = None):
    """Move the actor's position (and a public demand beyond it) toward the others' mean.

    With ``boost``, half the actor's salience on ``d`` moves to issue ``boost``: the concession
    is traded for insistence elsewhere (a package linking the two issues).
    """

    def f(arr: ScenarioArrays) -> ScenarioArrays:
        pos = arr.position.copy()
        dem = _public(arr)[0].copy()
        target = others_mean(arr, a)[:, d]
        old = pos[:, a, d]
        new = old + share * (target - old)
        pos[:, a, d] = new
        # a public demand farther from the others than the new position follows it
        beyond = np.isfinite(dem[:, a, d]) & (np.abs(dem[:, a, d] - target) > np.abs(new - target))
        dem[:, a, d] = np.where(beyond, new, dem[:, a, d])
        out = _with(arr, position=pos, demand=dem)
        if boost is not None:
            sal = arr.salience.copy()
            moved = sal[:, a, d] / 2
            sal[:, a, d] -= moved
            sal[:, a, boost] = np.minimum(1.0, sal[:, a, boost] + moved)
            out = _with(out, salience=sal)
        return out

    return f


# --------------------------------------------------------------------------------------------
# Candidate moves


def _sal_order(arrays: ScenarioArrays, a: int) -> list[int]:
    """The actor's issues by salience (centre sample), highest first."""
    own = [d for d in range(arrays.n_issues) if arrays.mask[a, d]]
    sal = arrays.salience[:, a, :].mean(axis=0)
    return sorted(own, key=lambda d: (-sal[d], d))


def candidate_moves(
    sc: Scenario,
    arrays: ScenarioArrays,
    actor: str,
    options: AdviceOptions,
    baseline_form: str | None,
    ratif: CompiledRatification | None = None,
    sq: np.ndarray | None = None,
) -> list[Move]:
    """Every move open to ``actor`` that can change something, built from the scenario's data.

    Moves that are no-ops by construction are not generated: moderating a demand already at
    the private position, lowering a publicity of zero, focusing with a single issue, a form or
    forum that is already the baseline, a deadline or signal without the crisis inputs.
    """
    a = arrays.actor_ids.index(actor)
    iids = arrays.issue_ids
    own = _sal_order(arrays, a)
    dem, pub = _public(arrays)
    width = arrays.scale_width
    moves: list[Move] = []
    # focus on the top 1, 2, 3 issues, and on each single issue
    subsets: list[list[int]] = [[d] for d in own]
    subsets += [own[:k] for k in (2, 3) if k < len(own)]
    if len(own) > 1:
        for keep in subsets:
            names = tuple(iids[d] for d in keep)
            moves.append(
                Move(
                    "focus",
                    f"focus on {', '.join(names)}; drop the other demands",
                    names,
                    edit=edit_focus(a, keep, options.focus_residual),
                )
            )
    staked = []
    for d in own:
        has_demand = np.isfinite(dem[:, a, d]).any()
        if has_demand and np.any(np.abs(dem[:, a, d] - arrays.position[:, a, d]) > 1e-9 * width[d]):
            moves.append(
                Move(
                    "moderate",
                    f"moderate the public demand on {iids[d]} toward the private position",
                    (iids[d],),
                    edit=edit_moderate(a, d, options.concession),
                )
            )
        if np.any(pub[:, a, d] > 0):
            staked.append(d)
            moves.append(
                Move(
                    "publicity",
                    f"lower the publicity of the demand on {iids[d]}",
                    (iids[d],),
                    edit=edit_publicity(a, [d], options.publicity_factor),
                )
            )
    if len(staked) > 1:
        moves.append(
            Move(
                "publicity",
                "lower the publicity of every public demand (drop the ultimatum)",
                tuple(iids[d] for d in staked),
                edit=edit_publicity(a, staked, options.publicity_factor),
            )
        )
    om = others_mean(arrays, a)
    movable = [d for d in own if np.any(np.abs(om[:, d] - arrays.position[:, a, d]) > 1e-9)]
    for d in movable:
        moves.append(
            Move(
                "reciprocity",
                f"offer reciprocity on {iids[d]}: move toward the others' position",
                (iids[d],),
                edit=edit_concede(a, d, options.concession),
            )
        )
    hi = own[:2]
    lo = [d for d in reversed(own) if d not in hi and d in movable][:2]
    for h in hi:
        for lw in lo:
            moves.append(
                Move(
                    "package",
                    f"package: give on {iids[lw]} for {iids[h]}",
                    (iids[h], iids[lw]),
                    edit=edit_concede(a, lw, options.concession, boost=h),
                )
            )
    for p, prop in enumerate(sc.proposals):
        pkg = ratif.packages[:, p] if ratif is not None else None
        near_sq = (
            np.abs(pkg.mean(axis=0) - sq.mean(axis=0)) <= 0.05 * width if pkg is not None else None
        )
        if near_sq is not None and near_sq.all():
            continue  # "no agreement" is not a deal to table
        if prop.by in (None, actor):
            moves.append(
                Move(
                    "proposal",
                    f"table the proposal {prop.id}",
                    tuple(prop.values),
                    package=prop.id,
                    form=prop.form,  # in the form its author proposes
                    note=prop.name or "",
                )
            )
    for form in sc.forms:
        if form.id != baseline_form:
            moves.append(Move("form", f"choose the form {form.id}", form=form.id, note=form.name))
    for forum in sc.forums:
        if actor in forum.members:
            moves.append(
                Move("forum", f"take the talks to {forum.id}", forum=forum.id, note=forum.name)
            )
    cr = sc.crisis
    if cr is not None and actor in (cr.challenger, *cr.targets):
        timed = cr.deadline_months is not None and (
            cr.brinkmanship is not None
            or cr.talks_months is not None
            or (cr.mobilisation is not None and actor == cr.challenger)
        )
        if timed:
            f = options.deadline_factor
            parts = []
            if cr.talks_months is not None:
                parts.append(
                    "the time the talks have to agree a text (a deal exists only where they "
                    "finish by the deadline, crisis.talks_months)"
                )
            if cr.mobilisation is not None and actor == cr.challenger:
                parts.append("the months of mobilisation paid for")
            if cr.brinkmanship is not None:
                parts.append(
                    "the exposure to an accident before the deadline (the risk that also presses "
                    "the targets to concede: Schelling's threat that leaves something to chance)"
                )
            note = "changes " + "; ".join(parts)
            moves.append(
                Move("deadline", f"extend the deadline x{f:g}", deadline_factor=f, note=note)
            )
            moves.append(
                Move("deadline", f"shorten the deadline /{f:g}", deadline_factor=1 / f, note=note)
            )
        if actor == cr.challenger and (cr.mobilisation is not None or cr.brinkmanship is not None):
            moves.append(
                Move(
                    "signal",
                    "stop the costly signal (stand the forces down)",
                    signal_off=True,
                    note="saves the mobilisation cost to the deadline and the accident risk; "
                    "loses what the build-up buys at the table (the targets' belief that it "
                    "would fight falls to its prior, Fearon 1997) and makes force dearer (the "
                    "forces must be massed again at the cost already paid)",
                )
            )
    return moves


# --------------------------------------------------------------------------------------------
# Evaluation


def _stack(parts: list[ScenarioArrays]) -> ScenarioArrays:
    """Concatenate arrays of the same actors along the sample axis."""
    first = parts[0]

    def cat(name: str) -> np.ndarray | None:
        vals = [getattr(p, name) for p in parts]
        return None if vals[0] is None else np.concatenate(vals, axis=0)

    return replace(
        first,
        position=cat("position"),
        salience=cat("salience"),
        capability=cat("capability"),
        status_quo=cat("status_quo"),
        demand=cat("demand"),
        publicity=cat("publicity"),
        audience_sensitivity=cat("audience_sensitivity"),
    )


@dataclass
class Setting:
    """Everything one evaluation needs, shared by all moves (the same draws)."""

    sc: Scenario
    base: ScenarioArrays
    actor: int
    ratif: CompiledRatification | None
    crisis_seed: int
    options: AdviceOptions
    baseline_form: str | None
    sq: np.ndarray  # (S, D) status quo, scale midpoint where unknown
    principals: tuple[int, ...]
    sub: Scenario | None = None  # the scenario with the draws' crisis values (compile_all)
    crisis: CrisisArrays | None = None  # the baseline crisis section of the draws
    models: tuple[str, ...] = ()
    signers: list[str] | None = None  # the outcome model's signatories (docs/outcome.md)


def _crisis_for(st: Setting, arr: ScenarioArrays, move: Move) -> CrisisArrays | None:
    if st.sc.crisis is None:
        return None
    if arr is st.base and st.crisis is not None:
        cr = st.crisis
    else:
        # the draws' crisis values are fixed in ``st.sub``; only what the move's arrays say
        # (positions, public demands, publicity) is recompiled
        cr = compile_crisis(
            st.sub if st.sub is not None else st.sc,
            arrays=arr,
            samples=arr.n_samples,
            rng=np.random.default_rng(st.crisis_seed),  # the same draws for every move
            pie_zero=st.options.crisis.pie_zero,
        )
    if move.deadline_factor != 1.0:
        cr = replace(cr, deadline_months=cr.deadline_months * move.deadline_factor)
    if move.signal_off:
        # forces stood down: no more monthly cost or accident risk, nothing sunk to signal
        # with (the targets' belief falls back to its prior, Fearon 1997), and fighting later
        # means massing the forces again at the cost already paid ('removing troops and then
        # returning them is too expensive', Frolov)
        again = np.nan_to_num(cr.cost_per_month * cr.months, nan=0.0)
        cr = replace(
            cr,
            hazard_per_month=np.zeros_like(cr.hazard_per_month),
            cost_per_month=np.zeros_like(cr.cost_per_month),
            months=np.zeros_like(cr.months),
            cost_challenger=cr.cost_challenger + again,
        )
    return cr


def move_form(st: Setting, move: Move) -> str | None:
    """The form a move's deal takes: its own, else the baseline if its forum can produce it."""
    form_id = move.form or st.baseline_form
    if move.forum is not None and st.ratif is not None:
        forum = next(g for g in st.ratif.forums if g.id == move.forum)
        if form_id not in forum.forms:
            form_id = forum.forms[0] if forum.forms else None
    return form_id


def carried(st: Setting, form_id: str | None, x: np.ndarray) -> np.ndarray:
    """The deal(s) ``x`` as the form carries them (what it fixes or bounds, e.g. a treaty's
    legal form); unchanged without a form."""
    if form_id is None or st.ratif is None:
        return x
    return st.ratif.form(form_id).carry(x)


def ratified_batch(st: Setting, form_id: str | None, x: np.ndarray) -> np.ndarray:
    """Whether every body of the form passes each deal, for deals ``x`` (S, K, D): (S, K)."""
    bodies = form_terms(st.ratif, form_id, st.base.n_samples)[0]
    if not bodies:
        return np.ones(x.shape[:2], dtype=bool)
    return form_passes(carried(st, form_id, x), bodies)


def evaluate(
    st: Setting,
    move: Move,
    arr: ScenarioArrays,
    x: np.ndarray,
    ratified: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-draw terms of the actor's EU for the deal ``x`` (S, D) under a move's arrays ``arr``.

    ``ratified`` (S,) may be passed when computed in a batch (:func:`ratified_batch`).
    """
    base, a, opt = st.base, st.actor, st.options
    form_id = move_form(st, move)
    x = carried(st, form_id, x)
    _, hazard, horizon = form_terms(st.ratif, form_id, st.base.n_samples)
    u_x = spatial_utility(base, x, opt.utility)  # (S, N): true preferences
    u_sq = spatial_utility(base, st.sq, opt.utility)
    dv = durable_value(u_x, u_sq, hazard[:, None], horizon[:, None])
    cr = _crisis_for(st, arr, move)
    kappa = 1.0 if cr is None else cr.kappa
    stakes = public_stakes(arr)
    ach = achievement_gap(base, stakes, x, kappa=kappa, rule=opt.crisis.victory_rule)
    ac = ach.cost  # (S, N)
    ac_sq = achievement_gap(base, stakes, st.sq, kappa=kappa).cost
    if opt.audience_cost_at == "deal_only":
        ac_sq = np.zeros_like(ac_sq)
    nodeal = u_sq - ac_sq  # (S, N)
    s, n = base.n_samples, base.n_actors
    v_war = np.zeros((s, n))
    mob = np.zeros(s)
    if cr is not None:
        ch = base.actor_ids.index(cr.challenger)
        ideal = np.where(base.mask[ch], base.position[:, ch, :], st.sq)
        u_win = spatial_utility(base, ideal, opt.utility)
        lottery = cr.p_win[:, None] * u_win + (1 - cr.p_win[:, None]) * u_sq
        side = np.array(
            [
                cr.cost_challenger
                if aid == cr.challenger
                else cr.target_costs()[:, cr.targets.index(aid)]
                if aid in cr.targets
                else np.zeros(s)
                for aid in base.actor_ids
            ]
        ).T
        v_war = lottery - side
        if base.actor_ids[a] == cr.challenger:
            months = np.nan_to_num(cr.deadline_months, nan=0.0)
            mob = np.nan_to_num(cr.cost_per_month, nan=0.0) * months
    # who signs, and the escalation where no deal is in force: the one outcome model
    sig = signing(
        base,
        x,
        crisis=cr,
        hazard=hazard,
        horizon=horizon,
        options=OutcomeOptions(audience_cost_at=opt.audience_cost_at, utility=opt.utility),
        stakes=stakes,
        required=st.signers,
    )
    if ratified is None:
        ratified = ratified_batch(st, form_id, x[:, None, :])[:, 0]
    return {
        "agreement": sig["signed"].astype(float),
        "ratification": np.asarray(ratified, dtype=float),
        "escalation": np.nan_to_num(sig["escalation_no_deal"], nan=0.0),
        "achievement_gap": ac[:, a],
        "durable_value": dv[:, a],
        "no_deal": nodeal[:, a],
        "war": v_war[:, a],
        "mobilisation": mob,
        "outcome": x,
        "form": form_id,
        "accepts": sig["accepts"],
        "ready": sig["ready"],
        "signatories": sig["signatories"],
    }


def expected_utility(t: dict[str, np.ndarray]) -> np.ndarray:
    """The actor's EU per draw from the terms of :func:`evaluate` (module docstring).

    The branches of the outcome model (docs/outcome.md): a deal in force (signed and
    ratified) is worth its durable value less the audience cost; otherwise the crisis goes on
    at the status quo and escalates with the no-deal probability ``E_0`` (the ``escalation``
    term).
    """
    deal = t["agreement"] * t["ratification"]
    e0 = t["escalation"]
    no_deal_world = e0 * t["war"] + (1 - e0) * t["no_deal"]
    return (
        -t["mobilisation"]
        + deal * (t["durable_value"] - t["achievement_gap"])
        + (1 - deal) * no_deal_world
    )


#: The factors the change of EU is shared among; "other" is the value of war and of no deal and
#: the mobilisation cost (what a move changes besides the five named components).
FACTORS: dict[str, tuple[str, ...]] = {
    **{c: (c,) for c in COMPONENTS},
    "other": ("no_deal", "war", "mobilisation"),
}


def decompose(base: dict[str, np.ndarray], moved: dict[str, np.ndarray]) -> dict[str, float]:
    """Change of mean EU shared among the components by their Shapley values.

    Each factor's share is its marginal effect (baseline -> move) averaged over the orders in
    which the factors could change, so the shares add up exactly to the total change.

    The mean EU of every subset of changed factors is computed in one (subsets, draws) array:
    row by row the same numbers as one subset at a time (the mean of a row is summed in the
    same order).
    """
    names = list(FACTORS)
    k = len(names)
    subsets = np.arange(1 << k)
    t: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        changed = (subsets >> j & 1).astype(bool)[:, None]  # (2^k, 1)
        for key in FACTORS[name]:
            b = np.asarray(base[key], dtype=float)
            t[key] = np.where(changed, np.asarray(moved[key], dtype=float), b)
    value = expected_utility(t).mean(axis=1)  # (2^k,)
    out = dict.fromkeys(names, 0.0)
    for j, name in enumerate(names):
        for subset in range(1 << k):
            if subset >> j & 1:
                continue
            size = bin(subset).count("1")
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            out[name] += weight * (float(value[subset | 1 << j]) - float(value[subset]))
    return out


def _principals(sc: Scenario, arrays: ScenarioArrays) -> tuple[int, ...]:
    if sc.crisis is not None:
        ids = {sc.crisis.challenger, sc.crisis.proposer_id}
        return tuple(arrays.actor_ids.index(i) for i in sorted(ids))
    clout = arrays.weights()[0].sum(axis=1)
    return tuple(int(i) for i in np.argsort(-clout, kind="stable")[:2])


def _forecast_batches(
    st: Setting, moves: list[Move], rng: np.random.Generator, done: Callable[[int], None]
) -> tuple[dict[int, dict[str, np.ndarray]], dict[int, str]]:
    """Every model's deal (S, D) for every move; models run once per forum on stacked moves.

    ``done(n)`` is called after each model's batch with the number of moves it forecast.
    """
    from detente.models.spec import make_model

    base, s = st.base, st.base.n_samples
    groups: dict[str | None, list[int]] = {}
    for k, m in enumerate(moves):
        groups.setdefault(m.forum, []).append(k)
    out: dict[int, dict[str, np.ndarray]] = {}
    failed: dict[int, str] = {}
    forum_members = {g.id: g.members for g in st.sc.forums}
    for forum, idx in groups.items():
        parts = [moves[k].edit(base) if moves[k].edit else base for k in idx]
        stacked = _stack(parts)
        if forum is not None:
            keep = [i for i, aid in enumerate(base.actor_ids) if aid in forum_members[forum]]
            stacked = stacked.take_actors(keep)
        for name in st.models:
            try:
                fc = make_model(name).forecast(stacked, rng)
            except ValueError as exc:
                for k in idx:
                    failed[k] = f"{name}: {exc}"
                continue
            fc = fc.reshape(len(idx), s, base.n_issues)
            for j, k in enumerate(idx):
                out.setdefault(k, {})[name] = fc[j]
            done(len(idx))
    return out, failed


def _summary(t: dict[str, Any]) -> dict[str, float]:
    deal = t["agreement"] * t["ratification"]
    return {
        "p_agreement": float(np.mean(t["agreement"])),
        "p_ratification": float(np.mean(t["ratification"])),
        "p_deal": float(np.mean(deal)),
        "p_escalation": float(np.mean((1 - deal) * t["escalation"])),
        "p_escalation_no_deal": float(np.mean(t["escalation"])),
        "achievement_gap": float(np.mean(t["achievement_gap"])),
        "durable_value": float(np.mean(t["durable_value"])),
        "eu": float(np.mean(expected_utility(t))),
        "value_war": float(np.mean(t["war"])),
        "value_no_deal": float(np.mean(t["no_deal"])),
        "p_talks_in_time": float(np.mean(t["ready"])),
        "mobilisation_cost": float(np.mean(t["mobilisation"])),
    }


def _mean_terms(ts: list[dict[str, Any]]) -> dict[str, Any]:
    """Average the terms over models (each model equally likely)."""
    keys = [*COMPONENTS, "no_deal", "war", "mobilisation", "ready"]
    out: dict[str, Any] = {k: np.mean([t[k] for t in ts], axis=0) for k in keys}
    return out


def make_setting(
    sc: Scenario, actor: str, options: AdviceOptions, rng: np.random.Generator, seed: int = 0
) -> Setting:
    """Draw the inputs once (core arrays, ratifiers, crisis) for every move to share.

    The draws are the Monte Carlo engine's (:mod:`detente.analyses.montecarlo`): the same seed
    and number of samples give the same inputs as ``detente montecarlo`` and every other
    command, so the baseline's P(agreement), P(ratification) and P(escalation) are the
    outcome model's (exactly, up to one block of samples; beyond it all samples are compiled
    as one block).
    """
    from detente.analyses.montecarlo import block_rng, inputs_rng
    from detente.scenario.parameters import (
        compile_all,
        draw_values,
        uncertain_parameters,
        with_values,
    )

    if actor not in sc.actor_ids():
        raise KeyError(actor)
    s = options.samples
    params = uncertain_parameters(sc)
    values = draw_values(params, s, inputs_rng(seed))
    comp = compile_all(sc, params, values, block_rng(seed, 0), options.crisis.pie_zero)
    base, ratif = comp.arrays, comp.ratification
    a = base.actor_ids.index(actor)
    forms = [f.id for f in sc.forms]
    baseline_form = options.baseline_form or (forms[0] if forms else None)
    sq = status_quo(base)
    models = options.models
    if not models:
        from detente.analyses.outcome import headline_model
        from detente.models.base import monte_carlo_models

        lead, _ = headline_model(sc, monte_carlo_models())
        models = (lead,) if lead else ("compromise",)
    return Setting(
        sc=sc,
        base=base,
        actor=a,
        ratif=ratif,
        crisis_seed=int(rng.integers(2**62)),
        options=options,
        baseline_form=baseline_form,
        sq=sq,
        principals=_principals(sc, base),
        sub=with_values(sc, params, values),
        crisis=comp.crisis,
        models=tuple(models),
        signers=signatories(sc),
    )


def advise(
    sc: Scenario,
    actor: str,
    options: AdviceOptions | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Rank the moves open to ``actor`` by the change in its expected utility.

    Parameters
    ----------
    sc
        A validated scenario.
    actor
        The actor's id.
    options
        :class:`AdviceOptions` (recorded in the result).
    seed
        Seed of the one generator behind every draw.
    progress
        Called with (steps done, steps in all), in units of one move through one model: the
        inputs drawn, each model's deals of every move, their votes, then each move's terms.
        It may raise to stop the run.

    Returns
    -------
    dict
        JSON-ready: ``baseline`` (P(agreement), P(ratification), P(escalation), achievement
        gap, durable value, EU), ``moves`` ranked by ``delta_eu`` with the breakdown,
        ``recommended`` (labels), ``pivotal`` (issue, numbers and why), ``no_effect`` (moves
        that changed nothing, never recommended), ``options``.
    """
    options = options or AdviceOptions()
    rng = np.random.default_rng(seed)
    st = make_setting(sc, actor, options, rng, seed)
    base, ratif, baseline_form = st.base, st.ratif, st.baseline_form
    moves = candidate_moves(sc, base, actor, options, baseline_form, ratif, st.sq)
    all_moves = [Move("focus", "baseline"), *moves]
    # work units of one move through one model: the setting (counted as one move), the deals,
    # the votes, then each move's terms; the bar moves with the work, not only with the moves
    steps = (3 * len(all_moves) + 1) * len(st.models)
    tick = progress or (lambda _done, _total: None)
    done = [len(st.models)]

    def advance(n: int) -> None:
        done[0] = min(done[0] + n, steps)
        tick(done[0], steps)

    tick(done[0], steps)
    deals, failed = _forecast_batches(st, all_moves, rng, advance)
    if 0 not in deals:
        raise ValueError(f"no model could forecast the baseline: {failed.get(0, '')}")
    models = list(deals[0])

    def deal(k: int, name: str) -> np.ndarray:
        m = all_moves[k]
        return ratif.package(m.package) if m.package is not None else deals[k][name]

    # ratification of every move's deal, one batched vote per form and model
    ok = [k for k in range(len(all_moves)) if k in deals and set(deals[k]) == set(models)]
    by_form: dict[str | None, list[int]] = {}
    for k in ok:
        by_form.setdefault(move_form(st, all_moves[k]), []).append(k)
    passed: dict[tuple[int, str], np.ndarray] = {}
    for form_id, ks in by_form.items():
        for name in models:
            xs = np.stack([deal(k, name) for k in ks], axis=1)
            votes = ratified_batch(st, form_id, xs)
            for j, k in enumerate(ks):
                passed[k, name] = votes[:, j]
            advance(len(ks))

    def terms_for(k: int) -> tuple[list[dict[str, Any]], np.ndarray]:
        m = all_moves[k]
        arr = m.edit(base) if m.edit else base
        ts = []
        for name in models:
            x = deals[k][name]
            if m.package is not None:
                x = ratif.package(m.package)
            ts.append(evaluate(st, m, arr, x, passed[k, name]))
        eu = np.mean([expected_utility(t) for t in ts], axis=0)
        return ts, eu

    base_ts, base_eu = terms_for(0)
    base_terms = _mean_terms(base_ts)
    advance(len(models))
    ranked, no_effect, skipped, unchanged = [], [], [], []
    for k, m in enumerate(all_moves[1:], start=1):
        if k in failed or k not in deals or set(deals[k]) != set(models):
            skipped.append({"move": m.label, "why": failed.get(k, "a model did not run")})
            continue
        ts, eu = terms_for(k)
        advance(len(models))
        delta = eu - base_eu
        parts = np.mean(
            [list(decompose(b, t).values()) for b, t in zip(base_ts, ts, strict=True)], 0
        )
        breakdown = dict(zip([*COMPONENTS, "other"], (float(v) for v in parts), strict=True))
        mean_t = _mean_terms(ts)
        mean_t["outcome"] = np.mean([t["outcome"] for t in ts], axis=0)
        changed = bool(np.any(np.abs(delta) > 1e-12))
        se = float(np.std(delta, ddof=1) / math.sqrt(delta.size)) if delta.size > 1 else 0.0
        entry = {
            "kind": m.kind,
            "move": m.label,
            "issues": list(m.issues),
            "note": m.note,
            "form": ts[0]["form"],
            "forum": m.forum,
            "delta_eu": float(np.mean(delta)),
            "se": se,
            "breakdown": breakdown,
            **_summary(mean_t),
            "outcome": {
                iid: float(v)
                for iid, v in zip(base.issue_ids, mean_t["outcome"].mean(axis=0), strict=True)
            },
        }
        if not changed:
            no_effect.append(m.label)
            entry["recommended"] = entry["tie"] = False
            unchanged.append(entry)
            continue
        bar = max(options.recommend_z * se, options.min_effect)
        entry["recommended"] = bool(entry["delta_eu"] > bar)
        # within the noise or below the minimum practical effect: a tie with the baseline
        entry["tie"] = bool(abs(entry["delta_eu"]) <= bar)
        ranked.append(entry)
    tick(steps, steps)
    ranked.sort(key=lambda e: -e["delta_eu"])
    pivotal = pivotal_issue(st, base_ts, deals[0], models)
    base_summary = _summary(base_terms)
    base_summary["by_model"] = {}
    for name, bt in zip(models, base_ts, strict=True):
        sm = _summary(bt)
        signed = bt["agreement"] > 0
        k = int(signed.sum())
        sm["p_ratified_given_agreement"] = (
            float((bt["ratification"][signed] > 0).sum() / k) if k else None
        )
        base_summary["by_model"][name] = {
            key: sm[key]
            for key in ("p_agreement", "p_ratified_given_agreement", "p_escalation", "eu")
        }
    base_summary["outcome"] = {
        iid: float(np.mean([deals[0][n][:, j] for n in models]))
        for j, iid in enumerate(base.issue_ids)
    }
    accepts = np.mean([bt["accepts"].mean(axis=0) for bt in base_ts], axis=0)
    base_summary["p_accepts"] = {
        who: float(v) for who, v in zip(base_ts[0]["signatories"], accepts, strict=True)
    }
    base_summary["p_talks_in_time"] = float(np.mean(base_ts[0]["ready"]))
    result = {
        "scenario": sc.meta.title,
        "actor": actor,
        "actor_name": sc.actor(actor).name or actor,
        "models": models,
        "baseline_form": baseline_form,
        "principals": [base.actor_ids[p] for p in st.principals],
        "samples": base.n_samples,
        "seed": seed,
        "options": options.describe(),
        "baseline": base_summary,
        "moves": ranked,
        "recommended": [e["move"] for e in ranked if e["recommended"]],
        "ties": [e["move"] for e in ranked if e["tie"]],
        "no_effect": no_effect,
        # their figures all the same: a move can change what the actor claims (achievement
        # gap) or whether the bodies ratify without changing its expected utility in any draw
        "no_effect_moves": unchanged,
        "skipped": skipped,
        "pivotal": pivotal,
    }
    result["assessment"] = assessment(result)
    return result


def assessment(r: dict[str, Any]) -> list[str]:
    """The advice in sentences an analyst can check: the branch the talks end in, what binds,
    which moves change P(agreement), and which gains are within the noise."""
    b = r["baseline"]
    out = []
    rat = b["p_ratification"]
    out.append(
        f"Baseline ({', '.join(r['models'])}'s package, form {r['baseline_form'] or 'none'}, "
        f"{r['samples']} draws): P(agreement) {b['p_agreement']:.0%}, P(the form's bodies "
        f"ratify) {rat:.0%}, P(escalation) {b['p_escalation']:.0%} "
        f"({b['p_escalation_no_deal']:.0%} with no deal in force)."
    )
    refusers = sorted(b["p_accepts"].items(), key=lambda kv: kv[1])
    if refusers and b["p_agreement"] < 0.5:
        low = [f"{a} signs in {v:.0%} of draws" for a, v in refusers[:3]]
        if b.get("p_talks_in_time", 1.0) < 1.0:
            low.append(f"the talks finish by the deadline in {b['p_talks_in_time']:.0%}")
        out.append(
            "What binds: every signatory must sign, and " + "; ".join(low) + " (docs/outcome.md)."
        )
    moved = sorted(r["moves"], key=lambda m: -(m["p_agreement"] - b["p_agreement"]))
    gains = [m for m in moved if m["p_agreement"] - b["p_agreement"] > 0.005][:3]
    if gains:
        out.append(
            "Moves that raise P(agreement) most: "
            + "; ".join(
                f"{m['move']} ({b['p_agreement']:.0%} to {m['p_agreement']:.0%}, dEU "
                f"{m['delta_eu']:+.4f}{', a tie' if m['tie'] else ''})"
                for m in gains
            )
            + "."
        )
    else:
        out.append("No move raises P(agreement) by more than half a point.")
    ties = len(r.get("ties", []))
    if r["moves"]:
        out.append(
            f"{ties} of {len(r['moves'])} moves are ties: their gain is within "
            f"{r['options']['recommend_z']:g} standard errors or below the minimum practical "
            f"effect of {r['options']['min_effect']:g} in expected utility."
        )
    return out


def pivotal_issue(
    st: Setting, base_ts: list[dict[str, Any]], deals: dict[str, np.ndarray], models: list[str]
) -> dict[str, Any]:
    """The issue whose movement changes the actor's expected outcome most.

    The baseline deal moves ``pivot_step`` of the scale width toward the actor's position on
    one issue at a time (not past it); the change of the actor's EU, with its breakdown, is
    computed for each. The pivotal issue has the largest absolute change.
    """
    base, a = st.base, st.actor
    nomove = Move("focus", "pivot")
    rows = []
    base_eu = np.mean([expected_utility(t) for t in base_ts], axis=0)
    own = [d for d in range(base.n_issues) if base.mask[a, d]]
    shifted: dict[str, np.ndarray] = {}
    passed: dict[str, np.ndarray] = {}
    for name in models:
        xs = np.repeat(deals[name][:, None, :], len(own), axis=1)  # (S, K, D)
        for j, d in enumerate(own):
            step = st.options.pivot_step * base.scale_width[d]
            gap = base.position[:, a, d] - xs[:, j, d]
            xs[:, j, d] += np.sign(gap) * np.minimum(np.abs(gap), step)
        shifted[name] = xs
        passed[name] = ratified_batch(st, st.baseline_form, xs)  # one batched vote
    for j, d in enumerate(own):
        iid = base.issue_ids[d]
        ts = [
            evaluate(st, nomove, base, shifted[name][:, j], passed[name][:, j]) for name in models
        ]
        eu = np.mean([expected_utility(t) for t in ts], axis=0)
        parts = np.mean(
            [list(decompose(b, t).values()) for b, t in zip(base_ts, ts, strict=True)], 0
        )
        rows.append(
            {
                "issue": iid,
                "delta_eu": float(np.mean(eu - base_eu)),
                "breakdown": dict(zip([*COMPONENTS, "other"], map(float, parts), strict=True)),
                "salience": float(base.salience[:, a, d].mean()),
                "value_war": float(np.mean([t["war"] for t in base_ts])),
                "value_no_deal": float(np.mean([t["no_deal"] for t in base_ts])),
                "p_agreement": float(np.mean([t["agreement"] for t in ts])),
                "p_agreement_baseline": float(np.mean([t["agreement"] for t in base_ts])),
                "distance": float(
                    np.mean(
                        np.abs(
                            base.position[:, a, d] - np.mean([deals[n][:, d] for n in models], 0)
                        )
                    )
                    / base.scale_width[d]
                ),
            }
        )
    if not rows:
        return {"issue": None, "issues": [], "why": "the actor takes part in no issue"}
    rows.sort(key=lambda r: -abs(r["delta_eu"]))
    top = rows[0]
    by_agreement = max(rows, key=lambda r: r["p_agreement"] - r["p_agreement_baseline"])
    return {
        "issue": top["issue"],
        # False where even the largest change is below the minimum practical effect: then no
        # issue is pivotal, and ``issue`` is only the one with the largest (negligible) change
        "pivotal": bool(abs(top["delta_eu"]) >= st.options.min_effect),
        "issues": rows,
        "why": _why_pivotal(st, top, rows),
        "for_agreement": {
            "issue": by_agreement["issue"],
            "p_agreement": by_agreement["p_agreement"],
            "p_agreement_baseline": by_agreement["p_agreement_baseline"],
        },
    }


def _why_pivotal(st: Setting, top: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    b = top["breakdown"]
    channels = sorted(((v, k) for k, v in b.items() if k != "other"), key=lambda t: -abs(t[0]))
    words = {
        "agreement": "whether the principals accept the deal",
        "ratification": "whether the form is ratified",
        "escalation": "the risk of escalation",
        "achievement_gap": "the gap between public demands and the result",
        "durable_value": "the value of the deal itself, discounted for revision",
    }
    main = [f"{words[k]} ({v:+.4f})" for v, k in channels[:2] if abs(v) > 1e-6]
    second = rows[1] if len(rows) > 1 else None
    actor = st.base.actor_ids[st.actor]
    step = st.options.pivot_step
    negligible = abs(top["delta_eu"]) < st.options.min_effect
    text = (
        f"Moving the outcome on {top['issue']} by {step:.0%} of its scale toward {actor}'s "
        f"position changes {actor}'s expected utility by {top['delta_eu']:+.4f}"
    )
    if second is not None:
        # "more than any other" reads as a finding; for changes that are all negligible it
        # would rank noise, so it then says only that no issue changes it more
        text += (
            f", no less than any other issue (next: {second['issue']}, {second['delta_eu']:+.4f})"
            if negligible
            else f", more than any other issue (next: {second['issue']}, {second['delta_eu']:+.4f})"
        )
    text += (
        f". {actor} weighs it at salience {top['salience']:.2f} and the forecast deal stands "
        f"{top['distance']:.0%} of the scale from its position"
    )
    text += "; the change runs mostly through " + ", ".join(main) + "." if main else "."
    if negligible:
        text += (
            f" That is below the minimum practical effect ({st.options.min_effect:g}): no issue "
            f"is pivotal for {actor}'s expected utility under these inputs, because the deal "
            f"is signed in only {top['p_agreement_baseline']:.0%} of draws."
        )
    if top["delta_eu"] < 0 and b["agreement"] < 0:
        text += (
            f" The sign is negative: a step toward {actor} makes the other signatories refuse "
            f"more often than it wins {actor}'s own signature."
        )
    return text


def move_edits(
    sc: Scenario, actor: str, move: str, options: AdviceOptions | None = None
) -> list[dict[str, Any]]:
    """The edits of the scenario's inputs that a move amounts to, at the centre of the inputs.

    The move is built as :func:`advise` builds it (same options) on the point compile and its
    array edit is read back as stance fields on the scenario's own scales (salience 0-100):
    ``{"stance", "actor", "issue", "field", "value"}``; a deadline move is
    ``{"path": "crisis.deadline_months", "value"}``. A dropped public demand shows as its
    publicity set to 0 (what the audience cost depends on). An uncertain input becomes a point.

    Raises
    ------
    ValueError
        The move is not open to the actor on these inputs, or it changes the setting of the
        talks (a form, forum, proposal or standing the forces down), not an input.
    """
    from detente.scenario.compile import compile_scenario
    from detente.scenario.ratification import compile_ratification

    options = options or AdviceOptions()
    if actor not in sc.actor_ids():
        raise ValueError(f"unknown actor {actor!r}; known: {', '.join(sc.actor_ids())}")
    point = compile_scenario(sc)
    forms = [f.id for f in sc.forms]
    baseline_form = options.baseline_form or (forms[0] if forms else None)
    ratif = compile_ratification(sc, status_quo=point.status_quo[:1]) if sc.forms else None
    moves = candidate_moves(sc, point, actor, options, baseline_form, ratif, status_quo(point))
    m = next((m for m in moves if m.label == move), None)
    if m is None:
        raise ValueError(f"{move!r} is not a move open to {actor} at the centre of these inputs")
    if m.kind == "deadline" and sc.crisis is not None and sc.crisis.deadline_months is not None:
        value = sc.crisis.deadline_months.centre * m.deadline_factor
        return [{"path": "crisis.deadline_months", "value": float(value)}]
    if m.edit is None:
        raise ValueError(
            f"{move!r} changes the setting of the talks ({m.kind}), not an input; "
            "run the analysis in that setting instead"
        )
    new = m.edit(point)
    a = point.actor_ids.index(actor)
    stance_of = {(st.actor, st.issue): n for n, st in enumerate(sc.stances)}
    old_dem, old_pub = _public(point)
    new_dem, new_pub = _public(new)
    fields = (
        ("position", point.position, new.position, 1.0),
        ("salience", point.salience, new.salience, 100.0),
        ("demand", old_dem, new_dem, 1.0),
        ("publicity", old_pub, new_pub, 1.0),
    )
    out = []
    for d, iid in enumerate(point.issue_ids):
        n = stance_of.get((actor, iid))
        if n is None:
            continue
        for name, before, after, unit in fields:
            x0, x1 = float(before[0, a, d]), float(after[0, a, d])
            if x0 == x1 or math.isnan(x1):  # unchanged, or a demand dropped (publicity shows it)
                continue
            out.append(
                {
                    "stance": n,
                    "actor": actor,
                    "issue": iid,
                    "field": name,
                    "value": x1 * unit,  # unrounded: the page applies the very move evaluated
                }
            )
    return out
