"""The ``crisis`` section: the outside option of force, and its compilation to batched arrays.

The section names a challenger, the targets it confronts, who makes the take-it-or-leave-it offer
(Fearon 1995), how the scenario's issues add up to one pie, and the numbers of the bargaining
model of war (models.md sections B and C). Every number is a :class:`~detente.scenario.schema.
Number`, so the analyses can run on centres (a point compile) or on Monte Carlo draws.

The pie
-------
The challenger's share of the pie for outcomes ``o`` (one per issue) is

    x(o) = sum_d w_d * (1 - |o_d - z_d| / R_d)

where ``w_d`` are the stakes weights normalised to sum to 1, ``z_d`` is the challenger's ideal
point (its stance ``position``) and ``R_d`` is the issue's scale width (models.md B.1;
option ``pie_zero="farthest"`` divides by the distance from ``z_d`` to the farther scale end
instead, so that the worst outcome for the challenger is share 0). Issues not listed in
``stakes`` carry weight 0. The targets' share is ``1 - x``.

Public demands become pie shares by the same map: an actor's demand share is ``x`` evaluated at
its ``demand`` (its ``position`` where no demand is given). Its audience cost per unit of pie
(Fearon 1994; models.md C.1) is ``a = lambda * sum_d w_d * publicity_d``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from detente.scenario.schema import Identifier, Loc, Number, Strict, check_range, section_check
from detente.scenario.uncertain import Uncertain

if TYPE_CHECKING:
    from detente.arrays import ScenarioArrays
    from detente.scenario.schema import Scenario

PieZero = Literal["scale", "farthest"]


class Mobilisation(Strict):
    """Sunk costs of keeping forces in the field (Fearon 1997; models.md B.3)."""

    cost_per_month: Number = Field(description="k >= 0: pie units per month of mobilisation")
    months: Number = Field(description="months mobilised so far, >= 0")
    value_max: Number = Field(
        description="V > 0: upper bound of the challenger's private valuation of the stake"
    )
    why: str | None = None


class PowerShift(Strict):
    """Shifting power and the commitment problem (Powell 2006; models.md B.4)."""

    p_future: Number = Field(
        description="0..1: the challenger's probability of prevailing from next period on"
    )
    discount: Number = Field(description="delta in 0..1 (below 1): per-period discount factor")
    why: str | None = None


class Brinkmanship(Strict):
    """A threat that leaves something to chance (Schelling 1960; models.md B.5)."""

    hazard_per_month: Number = Field(description="h >= 0: accident/escalation hazard per month")
    why: str | None = None


class Response(Strict):
    """One target's alternative to conceding if the challenger uses force."""

    response: Literal["fight", "resist"] = Field(
        default="fight",
        description="fight the challenger, or resist without fighting (sanctions, arms for a "
        "third party): either way the target keeps 1 - p of the stake in expectation",
    )
    cost: Number = Field(description=">= 0: the target's cost of that response, pie units")
    why: str | None = None


class Crisis(Strict):
    """The outside option of force: who confronts whom, over what, and the costs of war."""

    challenger: Identifier
    targets: list[Identifier] = Field(min_length=1)
    proposer: Identifier | None = Field(
        default=None,
        description="who makes the take-it-or-leave-it offer (Fearon 1995): the challenger or "
        "one of the targets; default the first target",
    )
    stakes: dict[str, Number] = Field(
        min_length=1, description="issue -> weight >= 0 in the pie; normalised to sum to 1"
    )
    p_win: Number = Field(description="0..1: the challenger's probability of prevailing in war")
    cost_challenger: Number = Field(description=">= 0: the challenger's cost of war, pie units")
    cost_target: Number = Field(description=">= 0: the targets' cost of war, pie units")
    responses: dict[str, Response] = Field(
        default_factory=dict,
        description="target id -> its own response to force and its cost; targets left out "
        "fight at `cost_target`",
    )
    private_cost: Number | None = Field(
        default=None,
        description="the proposer's belief about the responder's cost of war (>= 0; a normal "
        "is truncated at 0); default: the responder's cost field read as the belief",
    )
    mobilisation: Mobilisation | None = None
    deadline_months: Number | None = Field(
        default=None, description=">= 0: months until the deadline (brinkmanship exposure)"
    )
    talks_months: Number | None = Field(
        default=None,
        description=">= 0: months the talks need to agree a text both sides can sign; with "
        "`deadline_months`, a deal exists only where the talks finish by the deadline (time "
        "pressure)",
    )
    power_shift: PowerShift | None = None
    brinkmanship: Brinkmanship | None = None
    audience_cost_convexity: Number | None = Field(
        default=None, description="kappa >= 1 in the achievement-gap score (default 1, linear)"
    )
    why: str | None = None

    @property
    def proposer_id(self) -> str:
        """The proposer, defaulting to the first target."""
        return self.proposer if self.proposer is not None else self.targets[0]


# --------------------------------------------------------------------------------------------
# Cross-checks


def _at_least(u: Uncertain | None, lo: float, loc: Loc, what: str) -> list[tuple[Loc, str]]:
    """Problem if ``u`` can fall below ``lo`` (for a normal: if its centre does)."""
    if u is None or not check_range(u, lo, math.inf, loc, what):
        return []
    return [(loc, f"{what} {u.describe()} can be below {lo:g}; allowed: {lo:g} or more")]


@section_check
def check_crisis(sc: Scenario) -> list[tuple[Loc, str]]:
    """Problems in the ``crisis`` section, each with its location and what is allowed."""
    cr = sc.crisis
    if cr is None:
        return []
    base: Loc = ("crisis",)
    out: list[tuple[Loc, str]] = []
    actors = sc.actor_ids()
    issues = sc.issue_ids()
    known_a = ", ".join(actors)

    if cr.challenger not in actors:
        out.append((("crisis", "challenger"), f"unknown actor {cr.challenger!r}; known: {known_a}"))
    seen: set[str] = set()
    for n, t in enumerate(cr.targets):
        if t not in actors:
            out.append((("crisis", "targets", n), f"unknown actor {t!r}; known: {known_a}"))
        elif t == cr.challenger:
            out.append(
                (("crisis", "targets", n), f"{t!r} is the challenger; it cannot also be a target")
            )
        elif t in seen:
            out.append((("crisis", "targets", n), f"target {t!r} is listed twice"))
        seen.add(t)
    for t, resp in cr.responses.items():
        loc_r: Loc = ("crisis", "responses", t)
        if t not in cr.targets:
            out.append((loc_r, f"{t!r} is not a target; known targets: {', '.join(cr.targets)}"))
        out += _at_least(resp.cost, 0, (*loc_r, "cost"), "cost of the response")
    side = [cr.challenger, *cr.targets]
    if cr.proposer is not None and cr.proposer not in side:
        out.append(
            (
                ("crisis", "proposer"),
                f"proposer {cr.proposer!r} must be the challenger or one of the targets: "
                f"{', '.join(side)}",
            )
        )

    stanced = {(s.actor, s.issue) for s in sc.stances}
    total = 0.0
    for key, w in cr.stakes.items():
        loc: Loc = ("crisis", "stakes", key)
        if key not in issues:
            out.append((loc, f"unknown issue {key!r}; known: {', '.join(issues)}"))
            continue
        bad = _at_least(w, 0, loc, "stakes weight")
        out += bad
        if not bad:
            total += w.centre
            if w.centre > 0 and (cr.challenger, key) not in stanced and cr.challenger in actors:
                out.append(
                    (
                        loc,
                        f"the challenger {cr.challenger!r} has no stance on {key!r}; its position "
                        "there is the ideal point the pie is measured from",
                    )
                )
    if total <= 0 and not any(loc[:2] == ("crisis", "stakes") for loc, _ in out):
        out.append(
            (("crisis", "stakes"), "stakes weights are all zero; give at least one weight > 0")
        )

    out += check_range(cr.p_win, 0, 1, (*base, "p_win"), "probability of prevailing")
    out += _at_least(cr.cost_challenger, 0, (*base, "cost_challenger"), "cost of war")
    out += _at_least(cr.cost_target, 0, (*base, "cost_target"), "cost of war")
    out += _at_least(cr.private_cost, 0, (*base, "private_cost"), "believed cost of war")
    out += _at_least(cr.deadline_months, 0, (*base, "deadline_months"), "months to the deadline")
    out += _at_least(cr.talks_months, 0, (*base, "talks_months"), "months of talks")
    if cr.talks_months is not None and cr.deadline_months is None:
        # the talks are timed against the deadline; alone they would change nothing
        out.append(
            (
                (*base, "talks_months"),
                "talks_months needs deadline_months (the talks are timed against the "
                "deadline); give crisis.deadline_months, or leave talks_months out",
            )
        )
    out += _at_least(
        cr.audience_cost_convexity, 1, (*base, "audience_cost_convexity"), "convexity kappa"
    )
    if cr.mobilisation is not None:
        m = cr.mobilisation
        loc = (*base, "mobilisation")
        out += _at_least(m.cost_per_month, 0, (*loc, "cost_per_month"), "cost per month")
        out += _at_least(m.months, 0, (*loc, "months"), "months mobilised")
        vmax = m.value_max
        low = vmax.centre if vmax.dist == "normal" else vmax.support[0]
        if not low > 0:
            out.append(
                (
                    (*loc, "value_max"),
                    f"value_max {vmax.describe()} must be above 0 (the top of the "
                    "challenger's private valuation, in pie units)",
                )
            )
    if cr.power_shift is not None:
        ps = cr.power_shift
        loc = (*base, "power_shift")
        out += check_range(ps.p_future, 0, 1, (*loc, "p_future"), "future probability")
        d = ps.discount
        hi = d.centre if d.dist == "normal" else d.support[1]
        lo = d.centre if d.dist == "normal" else d.support[0]
        if not (0 <= lo and hi < 1):
            out.append(
                (
                    (*loc, "discount"),
                    f"discount {d.describe()} is outside the allowed range 0 to below 1 "
                    "(at 1 the future is worth infinitely much)",
                )
            )
    if cr.brinkmanship is not None:
        out += _at_least(
            cr.brinkmanship.hazard_per_month,
            0,
            (*base, "brinkmanship", "hazard_per_month"),
            "hazard per month",
        )
    return out


# --------------------------------------------------------------------------------------------
# Compilation


@dataclass(frozen=True)
class CostBelief:
    """A belief about a cost of war, as a distribution with batched parameters.

    ``kind`` is one of point, uniform, normal (truncated at 0), triangular, beta. ``params``
    holds arrays of shape (S,): point ``value``; uniform ``low, high``; normal ``mean, sd``;
    triangular ``low, mode, high``; beta ``alpha, beta, low, high``.
    """

    kind: str
    params: dict[str, np.ndarray]

    @classmethod
    def from_number(cls, u: Uncertain, samples: int) -> CostBelief:
        """The distribution a scenario Number describes, as a belief (not a draw)."""
        kind = u.dist
        names = {
            "point": ("value",),
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "triangular": ("low", "mode", "high"),
            "beta": ("alpha", "beta", "low", "high"),
        }[kind]
        vals = {k: float(getattr(u, k)) for k in names}
        # degenerate distributions are points: their CDF is a step
        if (kind == "normal" and vals["sd"] == 0) or (
            kind in ("uniform", "triangular", "beta") and vals["low"] == vals["high"]
        ):
            return cls.point(np.full(samples, u.centre))
        return cls(kind, {k: np.full(samples, v) for k, v in vals.items()})

    @classmethod
    def point(cls, value: np.ndarray) -> CostBelief:
        """Complete information: the cost is known to be ``value``."""
        return cls("point", {"value": np.asarray(value, dtype=float)})

    @classmethod
    def uniform(cls, low: np.ndarray, high: np.ndarray) -> CostBelief:
        return cls("uniform", {"low": np.asarray(low, float), "high": np.asarray(high, float)})

    @classmethod
    def normal(cls, mean: np.ndarray, sd: np.ndarray) -> CostBelief:
        """A normal belief truncated at 0 (costs of war are not negative; models.md B.2)."""
        return cls("normal", {"mean": np.asarray(mean, float), "sd": np.asarray(sd, float)})

    @property
    def n_samples(self) -> int:
        return int(next(iter(self.params.values())).shape[0])

    def take(self, index: np.ndarray | slice) -> CostBelief:
        """The belief restricted to some samples."""
        return CostBelief(self.kind, {k: v[index] for k, v in self.params.items()})

    def describe(self) -> str:
        p = {k: float(v[0]) for k, v in self.params.items()}
        if self.kind == "normal":
            return f"normal(mean {p['mean']:g}, sd {p['sd']:g}) truncated at 0"
        return f"{self.kind}(" + ", ".join(f"{k} {v:g}" for k, v in p.items()) + ")"


@dataclass(frozen=True)
class CrisisArrays:
    """The crisis section compiled for ``S`` samples (arrays of shape (S,) unless noted).

    Shares are the challenger's share of the pie (module docstring). ``nan`` marks an input the
    scenario does not give (no mobilisation, no power shift, ...).
    """

    challenger: str
    targets: tuple[str, ...]
    proposer: str
    issue_ids: tuple[str, ...]
    stakes: np.ndarray  # (S, D), rows sum to 1
    ideal: np.ndarray  # (S, D) the challenger's ideal points on the issues' scales
    pie_width: np.ndarray  # (S, D) distance from the ideal at which the issue share is 0
    p_win: np.ndarray
    cost_challenger: np.ndarray
    cost_target: np.ndarray
    belief: CostBelief  # the proposer's belief about the responder's cost
    demand_challenger: np.ndarray  # the challenger's public demand as its share
    audience_challenger: np.ndarray  # a = lambda * stakes-weighted publicity
    demand_targets: np.ndarray  # (S, T) each target's demand as the challenger's share
    audience_targets: np.ndarray  # (S, T)
    capability_challenger: np.ndarray  # stakes-weighted capability
    capability_targets: np.ndarray  # summed over targets, stakes-weighted
    cost_per_month: np.ndarray
    months: np.ndarray
    value_max: np.ndarray
    deadline_months: np.ndarray
    p_future: np.ndarray
    discount: np.ndarray
    hazard_per_month: np.ndarray
    kappa: np.ndarray
    public: PublicStakes
    pie_zero: PieZero = "scale"
    #: months the talks need to agree a text, (S,); NaN: not given (no time pressure)
    talks_months: np.ndarray | None = None
    #: (S, T) each target's cost of its response to force (``responses``, else cost_target)
    cost_targets: np.ndarray | None = None
    #: each target's response to force, "fight" or "resist"
    responses: tuple[str, ...] = ()

    def target_costs(self) -> np.ndarray:
        """(S, T) each target's cost of its response; ``cost_target`` where none is given."""
        if self.cost_targets is not None:
            return self.cost_targets
        return np.repeat(self.cost_target[:, None], len(self.targets), axis=1)

    def ready(self) -> np.ndarray:
        """Per draw: a text can be agreed by the deadline (``talks_months <= deadline_months``);
        True wherever either is not given."""
        if self.talks_months is None:
            return np.ones(self.n_samples, dtype=bool)
        t, d = self.talks_months, self.deadline_months
        return ~(np.isfinite(t) & np.isfinite(d)) | (t <= d)

    @property
    def n_samples(self) -> int:
        return int(self.p_win.shape[0])

    @property
    def proposer_is_challenger(self) -> bool:
        return self.proposer == self.challenger

    def share(self, outcome: np.ndarray) -> np.ndarray:
        """The challenger's share of the pie for outcomes of shape (S, D) (or (S, ..., D))."""
        o = np.asarray(outcome, dtype=float)
        extra = o.ndim - 2
        shape = (self.stakes.shape[0],) + (1,) * extra + (self.stakes.shape[1],)
        w, z, r = (a.reshape(shape) for a in (self.stakes, self.ideal, self.pie_width))
        per_issue = np.clip(1.0 - np.abs(o - z) / r, 0.0, 1.0)
        return (w * per_issue).sum(axis=-1)


def _draw(
    u: Uncertain | None,
    samples: int | None,
    rng: np.random.Generator | None,
    clip: tuple[float, float] = (-math.inf, math.inf),
    default: float = math.nan,
) -> np.ndarray:
    """Centre (point compile) or ``samples`` draws of ``u``: the core compiler's rule."""
    from detente.scenario.compile import draw  # here: compile imports the schema, which imports us

    return draw(u, samples, rng, clip, default)


def scenario_arrays(
    scenario: Scenario, samples: int | None = None, rng: np.random.Generator | None = None
) -> ScenarioArrays:
    """Core arrays of a scenario (positions, salience, capability, status quo).

    A minimal compile used when :func:`compile_crisis` is not handed the run's arrays (tests,
    scripts); the full compiler is ``detente.scenario.compile_scenario``. Draws core Numbers in
    document order: issues' status quo, then per stance position, salience, capability.
    """
    from detente.arrays import ScenarioArrays

    s = 1 if samples is None else samples
    actors, issues = scenario.actor_ids(), scenario.issue_ids()
    n, d = len(actors), len(issues)
    lo = np.array([i.scale.min for i in scenario.issues])
    hi = np.array([i.scale.max for i in scenario.issues])
    sq = np.full((s, d), np.nan)
    for j, iss in enumerate(scenario.issues):
        if iss.status_quo is not None:
            sq[:, j] = _draw(iss.status_quo, samples, rng, (lo[j], hi[j]))
    pos = np.broadcast_to((lo + hi) / 2, (s, n, d)).copy()
    sal = np.zeros((s, n, d))
    cap = np.zeros((s, n, d))
    mask = np.zeros((n, d), dtype=bool)
    for st in scenario.stances:
        a, j = actors.index(st.actor), issues.index(st.issue)
        mask[a, j] = True
        pos[:, a, j] = _draw(st.position, samples, rng, (lo[j], hi[j]))
        sal[:, a, j] = _draw(st.salience, samples, rng, (0, 100)) / 100
        c = st.capability or scenario.actors[a].capability
        cap[:, a, j] = _draw(c, samples, rng, (0, math.inf))
    return ScenarioArrays.from_table(
        pos,
        sal,
        cap,
        mask=mask,
        scale_min=lo,
        scale_max=hi,
        status_quo=sq,
        actor_ids=actors,
        issue_ids=issues,
        name=scenario.meta.title,
    )


@dataclass(frozen=True)
class PublicStakes:
    """What every actor has said in public, per sample (C.2).

    ``demand`` (S, N, D) is the public demand on the issue's scale (the position where none is
    given), ``publicity`` (S, N, D) on 0..1 (0 where not given: a private position), and
    ``sensitivity`` (S, N) the audience sensitivity lambda (0 where not given).
    """

    demand: np.ndarray
    publicity: np.ndarray
    sensitivity: np.ndarray


def compile_public(
    scenario: Scenario,
    arrays: ScenarioArrays,
    samples: int | None = None,
    rng: np.random.Generator | None = None,
) -> PublicStakes:
    """Public demands, publicity and audience sensitivity, aligned with ``arrays``.

    When the arrays already carry them (``demand``, ``publicity``, ``audience_sensitivity``
    from ``compile_scenario``) they are used as they are, so every analysis sees the same
    draws. Otherwise they are drawn here in document order: each actor's
    ``audience_sensitivity``, then each stance's ``demand`` and ``publicity``.
    """
    given = [getattr(arrays, k, None) for k in ("demand", "publicity", "audience_sensitivity")]
    if all(g is not None for g in given):
        demand, publicity, lam = given
        demand = np.where(np.isnan(demand), arrays.position, demand)
        return PublicStakes(demand=demand, publicity=publicity, sensitivity=lam)
    s = arrays.n_samples
    actors, issues = list(arrays.actor_ids), list(arrays.issue_ids)
    lam = np.zeros((s, len(actors)))
    for a in scenario.actors:
        lam[:, actors.index(a.id)] = _draw(a.audience_sensitivity, samples, rng, (0, math.inf), 0)
    demand = arrays.position.copy()
    publicity = np.zeros_like(demand)
    for st in scenario.stances:
        a, j = actors.index(st.actor), issues.index(st.issue)
        if st.demand is not None:
            clip = (arrays.scale_min[j], arrays.scale_max[j])
            demand[:, a, j] = _draw(st.demand, samples, rng, clip)
        publicity[:, a, j] = _draw(st.publicity, samples, rng, (0, 1), 0.0)
    return PublicStakes(demand=demand, publicity=publicity, sensitivity=lam)


def compile_crisis(
    scenario: Scenario,
    arrays: ScenarioArrays | None = None,
    samples: int | None = None,
    rng: np.random.Generator | None = None,
    pie_zero: PieZero = "scale",
) -> CrisisArrays:
    """Compile the scenario's ``crisis`` section to batched arrays.

    Parameters
    ----------
    scenario
        A validated scenario with a ``crisis`` section.
    arrays
        The scenario's compiled arrays (from ``compile_scenario``). Positions and capabilities
        are read from them, so the crisis numbers line up sample by sample with every model's
        forecast. When omitted they are built with :func:`scenario_arrays`.
    samples
        ``None`` for a point compile (one sample holding the centres), else the number of Monte
        Carlo draws (must equal the arrays' samples when both are given).
    rng
        The run's generator; required for a Monte Carlo compile. After the core arrays, public
        stakes (:func:`compile_public`) and then the crisis Numbers are drawn in document order.
    pie_zero
        ``"scale"``: an issue's share is 0 a full scale width from the challenger's ideal
        (models.md B.1). ``"farthest"``: it is 0 at the scale end farther from the ideal.
    """
    cr = scenario.crisis
    if cr is None:
        raise ValueError("the scenario has no crisis section")
    if samples is not None and rng is None:
        raise ValueError("a Monte Carlo compile needs a numpy Generator")
    if arrays is None:
        arrays = scenario_arrays(scenario, samples, rng)
    elif samples is not None and samples != arrays.n_samples:
        raise ValueError(f"samples={samples} but the arrays hold {arrays.n_samples}")
    samples_ = None if samples is None and arrays.n_samples == 1 else arrays.n_samples
    s = arrays.n_samples
    public = compile_public(scenario, arrays, samples_, rng)

    issue_ids = tuple(arrays.issue_ids)
    d = len(issue_ids)
    lo, hi = arrays.scale_min, arrays.scale_max
    side = [arrays.actor_ids.index(a) for a in (cr.challenger, *cr.targets)]
    pos = arrays.position[:, side, :]
    cap = arrays.capability[:, side, :]
    present = arrays.mask[side, :]

    # Crisis Numbers, in document order.
    raw_w = np.zeros((s, d))
    for key, w in cr.stakes.items():
        raw_w[:, issue_ids.index(key)] = _draw(w, samples_, rng, (0, math.inf))
    stakes = raw_w / raw_w.sum(axis=1, keepdims=True)
    p_win = _draw(cr.p_win, samples_, rng, (0, 1))
    c_ch = _draw(cr.cost_challenger, samples_, rng, (0, math.inf))
    c_tg = _draw(cr.cost_target, samples_, rng, (0, math.inf))
    responder_cost = cr.cost_target if cr.proposer_id == cr.challenger else cr.cost_challenger
    belief = CostBelief.from_number(cr.private_cost or responder_cost, s)
    mob = cr.mobilisation
    k_month = _draw(mob and mob.cost_per_month, samples_, rng, (0, math.inf))
    months = _draw(mob and mob.months, samples_, rng, (0, math.inf))
    v_max = _draw(mob and mob.value_max, samples_, rng, (1e-12, math.inf))
    deadline = _draw(cr.deadline_months, samples_, rng, (0, math.inf))
    ps = cr.power_shift
    p_future = _draw(ps and ps.p_future, samples_, rng, (0, 1))
    discount = _draw(ps and ps.discount, samples_, rng, (0, 1 - 1e-9))
    hazard = _draw(
        cr.brinkmanship and cr.brinkmanship.hazard_per_month, samples_, rng, (0, math.inf)
    )
    kappa = _draw(cr.audience_cost_convexity, samples_, rng, (1, math.inf), default=1.0)
    talks = _draw(cr.talks_months, samples_, rng, (0, math.inf))
    # each target's own cost of its response to force; the scenario's cost_target otherwise
    costs_t = np.repeat(c_tg[:, None], len(cr.targets), axis=1)
    for t, resp in cr.responses.items():
        if t in cr.targets:
            costs_t[:, cr.targets.index(t)] = _draw(resp.cost, samples_, rng, (0, math.inf))
    if cr.proposer_id in cr.responses:
        # the proposer's dyadic analyses (Fearon's range, the offer, the signal) use its own
        c_tg = costs_t[:, cr.targets.index(cr.proposer_id)].copy()

    # Public demands of the parties as the challenger's share of the pie.
    ideal = pos[:, 0, :]
    width = np.broadcast_to(hi - lo, (s, d)).copy()
    if pie_zero == "farthest":
        width = np.maximum(ideal - lo, hi - ideal)
    width = np.where(width > 0, width, 1.0)
    # a party that takes no part in an issue demands nothing there: it concedes it in full
    demand = np.where(present[None], public.demand[:, side, :], ideal[:, None, :])
    publicity = np.where(present[None], public.publicity[:, side, :], 0.0)
    per_issue = np.clip(1.0 - np.abs(demand - ideal[:, None, :]) / width[:, None, :], 0, 1)
    demand_share = (stakes[:, None, :] * per_issue).sum(axis=2)  # (S, 1 + T)
    audience = public.sensitivity[:, side] * (stakes[:, None, :] * publicity).sum(axis=2)
    weighted_cap = (stakes[:, None, :] * cap).sum(axis=2)

    return CrisisArrays(
        challenger=cr.challenger,
        targets=tuple(cr.targets),
        proposer=cr.proposer_id,
        issue_ids=issue_ids,
        stakes=stakes,
        ideal=ideal,
        pie_width=width,
        p_win=p_win,
        cost_challenger=c_ch,
        cost_target=c_tg,
        belief=belief,
        demand_challenger=demand_share[:, 0],
        audience_challenger=audience[:, 0],
        demand_targets=demand_share[:, 1:],
        audience_targets=audience[:, 1:],
        capability_challenger=weighted_cap[:, 0],
        capability_targets=weighted_cap[:, 1:].sum(axis=1),
        cost_per_month=k_month,
        months=months,
        value_max=v_max,
        deadline_months=deadline,
        p_future=p_future,
        discount=discount,
        hazard_per_month=hazard,
        kappa=kappa,
        public=public,
        pie_zero=pie_zero,
        talks_months=talks,
        cost_targets=costs_t,
        responses=tuple(
            cr.responses[t].response if t in cr.responses else "fight" for t in cr.targets
        ),
    )
