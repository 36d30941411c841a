"""One outcome model: how the talks end, per draw, and the headline numbers defined once.

For a deal (a model's package, or a tabled proposal) and an agreement form, every draw of the
inputs ends on exactly one branch (docs/outcome.md):

1. **no agreement**: some required signatory prefers its alternative to the deal;
2. **signed, not ratified**: the signatories accept but a body of the form rejects the deal
   (Putnam's 1988 involuntary defection), so the status quo stays;
3. **ratified**: the deal is in force in the form.

and on each branch the talks either fail into force or not.

**Signing** (:func:`signing`). With a crisis section the signatories are the challenger and
every target, and the values are shares of the pie at stake (Fearon 1995):

- the challenger accepts a deal giving it ``s`` iff ``V(s) - a_C max(0, d_C - s)``, its value
  of the deal less the audience cost of settling short of its public demand ``d_C`` (Fearon
  1994), is at least the better of war ``W`` and living with the status quo ``V(s_0)``;
- with a power shift against the challenger (Powell 2006) the values are discounted sums over
  years: war now is worth ``W = p_0/(1-d) - c_C``; a deal that survives each year with
  probability ``q = 1 - h`` (the form's revision hazard ``h``) is worth
  ``V(s) = s/(1 - dq) + (1 - q) d R_1/(1 - dq)`` with ``R_1 = p_1/(1-d) - c_C`` the
  challenger's reservation once power has shifted; no deal is worth ``s_0 + d R_1``. Without a
  power shift ``d = 0``: ``W = p - c_C``, ``V(s) = s``, the one-shot model of B.1;
- each target ``t`` accepts iff its share ``1 - s`` less its own audience cost is at least its
  value of the no-deal world, ``E_0 (1 - p - c_T) + (1 - E_0)(1 - s_0)``: a target concedes
  only as far as the threat of force makes it worth it.

Without a crisis section the signatories are the two actors with the most capability x
salience at the table, each accepting iff the deal's durable spatial utility less its audience
cost is at least its utility of the status quo (individual rationality, as in the NBS).

**Escalation** on each branch, per draw: with no deal in force (branches 1 and 2) the crisis
goes on at the status quo, ``E_0 = 1 - (1 - F)(1 - H)``, where ``F`` is 1 when the challenger
prefers war to the status quo (its preventive-war motive included) and ``H = 1 - exp(-h t)``
the risk of slipping into war by accident before the deadline (Schelling; B.5). A ratified
deal settles the crisis: escalation 0 on branch 3 (a later revision of the deal is priced in
the deal's durable value and, for a declining challenger, in ``V(s)``).

**Headline numbers** (:func:`summarise`), over the ``S`` draws:
``P(agreement) = mean(signed)``, ``P(ratified | agreement) = sum(signed & ratified) /
sum(signed)``, ``P(escalation) = mean((1 - signed * ratified) * E_0)``, the same per branch,
and the expected terms given agreement (the mean package over the signed draws). Every
command, page and report reads them from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.analyses.crisis import achievement_gap, brinkmanship_risk

if TYPE_CHECKING:
    from detente.arrays import ScenarioArrays
    from detente.scenario.crisis import CrisisArrays, PublicStakes
    from detente.scenario.ratification import CompiledRatification

BRANCHES = ("no_agreement", "signed_not_ratified", "ratified")
#: draws behind the headline numbers of every command unless ``--samples`` says otherwise;
#: at most one Monte Carlo block, so every command draws exactly the same inputs
DEFAULT_SAMPLES = 200
#: a deal is accepted when its value is at least the alternative less this (rounding only)
_TOL = 1e-12


class OutcomeOptions(BaseModel):
    """Named choices of the outcome model; recorded in every output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    audience_cost_at: Literal["deal_only", "always"] = Field(
        default="deal_only",
        description="the audience cost of settling short of a public demand is paid when a "
        "deal is accepted (Fearon 1994: the cost of backing down), or also under no deal",
    )
    utility: Literal["linear", "quadratic"] = Field(
        default="linear",
        description="loss of distance in the spatial utility (signatories without a crisis)",
    )

    def describe(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def status_quo(arrays: ScenarioArrays) -> np.ndarray:
    """The status quo (S, D); the scale midpoint where the scenario gives none."""
    mid = (arrays.scale_min + arrays.scale_max) / 2
    return np.where(np.isnan(arrays.status_quo), mid[None, :], arrays.status_quo)


def public_stakes(arrays: ScenarioArrays) -> PublicStakes:
    """The actors' public demands, publicity and audience sensitivity from the core arrays."""
    from detente.scenario.crisis import PublicStakes

    s, n, d = arrays.position.shape
    dem = arrays.demand if arrays.demand is not None else np.full((s, n, d), np.nan)
    pub = arrays.publicity if arrays.publicity is not None else np.zeros((s, n, d))
    lam = arrays.audience_sensitivity
    if lam is None:
        lam = np.zeros((s, n))
    return PublicStakes(
        demand=np.where(np.isnan(dem), arrays.position, dem), publicity=pub, sensitivity=lam
    )


def _nan0(x: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(x, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)


def challenger_declines(cr: CrisisArrays) -> np.ndarray:
    """Per draw: a power shift is given and the challenger's odds fall (Powell 2006)."""
    return np.isfinite(cr.p_future) & np.isfinite(cr.discount) & (cr.p_future <= cr.p_win)


def discounting(cr: CrisisArrays) -> np.ndarray:
    """The yearly discount factor in force, per draw: the power-shift section's, else 0.

    With a power shift both sides value shares as discounted sums over years (Powell 2006);
    without one the one-shot values of Fearon (1995) hold (a discount of 0).
    """
    given = np.isfinite(cr.p_future) & np.isfinite(cr.discount)
    return np.where(given, _nan0(cr.discount), 0.0)


@dataclass(frozen=True)
class SideValues:
    """One side's values of war now and of the status quo, and the discounting in force.

    All (S,), in the side's own pie shares. ``discount`` is 0 without a power shift (one-shot
    values); ``future`` is the side's reservation once power has shifted (``R_1``).
    """

    war: np.ndarray
    no_deal: np.ndarray
    discount: np.ndarray
    future: np.ndarray


def side_values(
    p_now: np.ndarray, p_future: np.ndarray, cost: np.ndarray, d: np.ndarray, sq: np.ndarray
) -> SideValues:
    """War now ``p0/(1-d) - c``, reservation later ``R1 = p1/(1-d) - c``, status quo
    ``sq + d R1`` (module docstring); with ``d = 0``: ``p - c`` and ``sq``."""
    future = p_future / (1 - d) - cost
    return SideValues(
        war=p_now / (1 - d) - cost, no_deal=sq + d * future, discount=d, future=future
    )


def _future_odds(cr: CrisisArrays) -> np.ndarray:
    """The challenger's odds once power has shifted; today's where no shift is given."""
    given = np.isfinite(cr.p_future) & np.isfinite(cr.discount)
    return np.where(given, _nan0(cr.p_future), cr.p_win)


def challenger_values(cr: CrisisArrays, s0: np.ndarray) -> SideValues:
    """War and no-deal values of the challenger (module docstring), per draw."""
    return side_values(cr.p_win, _future_odds(cr), cr.cost_challenger, discounting(cr), s0)


def target_values(cr: CrisisArrays, s0: np.ndarray) -> SideValues:
    """The same for each target, in its own share ``1 - s``: (S, T) arrays (discount (S, 1)).

    A target's war value is what it keeps if the challenger uses force, ``1 - p``, less the
    cost of its own response (``crisis.responses``: fighting, or resisting without fighting
    through sanctions and arms for a third party; ``cost_target`` where none is given).
    """
    col = lambda a: np.asarray(a, dtype=float)[:, None]  # noqa: E731
    return side_values(
        col(1 - cr.p_win), col(1 - _future_odds(cr)), cr.target_costs(), col(discounting(cr)),
        col(1 - s0),
    )  # fmt: skip


def deal_value(values: SideValues, share: np.ndarray, survival: np.ndarray) -> np.ndarray:
    """A side's value of a deal giving it ``share`` that survives each year w.p. ``q``.

    ``V(s) = s/(1 - dq) + (1 - q) d R_1/(1 - dq)``; ``V(s) = s`` without discounting.

    >>> v = SideValues(np.array([6.25]), np.array([4.3]), np.array([0.9]), np.array([4.75]))
    >>> round(float(deal_value(v, np.array([0.55]), np.array([0.97]))[0]), 4)
    5.3406
    """
    d = values.discount
    q = np.clip(np.asarray(survival, dtype=float), 0.0, 1.0)
    denom = 1 - d * q
    return share / denom + (1 - q) * d * values.future / denom


def no_deal_escalation(cr: CrisisArrays, s0: np.ndarray) -> dict[str, np.ndarray]:
    """Escalation with no deal in force, per draw: ``E_0 = 1 - (1 - F)(1 - H)``.

    ``F`` (bool) says the challenger prefers war to the status quo, including its
    preventive-war motive under a power shift; ``H`` is the brinkmanship risk by the deadline.
    """
    v = challenger_values(cr, s0)
    fights = v.war > v.no_deal
    h = _nan0(brinkmanship_risk(cr.hazard_per_month, cr.deadline_months))
    return {
        "fights": fights,
        "accident": h,
        "escalation": 1 - (1 - fights) * (1 - h),
        "war_value": v.war,
        "no_deal_value": v.no_deal,
        "values": v,
    }


def _shortfall_cost(a: np.ndarray, demand: np.ndarray, got: np.ndarray) -> np.ndarray:
    return a * np.maximum(0.0, demand - got)


def targets_belief(
    cr: CrisisArrays, s0: np.ndarray, fights: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The targets' belief that the challenger fights if they refuse, per draw.

    The targets do not see the challenger's cost of war. With a mobilisation in the scenario
    the belief is Fearon's (1997) posterior after the sunk cost ``K`` (cost per month x months
    so far): with valuations uniform on ``[0, V]`` and ``v_f = c_C / p`` the lowest valuation
    that fights, ``pi(K) = (V - v_f)/(V - K)``; standing the forces down (``K = 0``) leaves the
    prior ``(V - v_f)/V``. Without a mobilisation it is the proposer's belief about the
    challenger's cost (``private_cost``) at the cost below which the challenger prefers war
    to the status quo. Where the challenger proposes, the targets are taken to know (``fights``
    from :func:`no_deal_escalation`, computed here when not given).
    Returns ``belief`` and ``prior`` (S,).
    """
    from detente.analyses.crisis import belief_cdf, signal_belief

    if np.any(np.isfinite(cr.value_max)):
        v = np.where(np.isfinite(cr.value_max), cr.value_max, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            v_f = np.where(cr.p_win > 0, cr.cost_challenger / cr.p_win, np.inf)
        sunk = _nan0(cr.cost_per_month) * _nan0(cr.months)
        return {"belief": signal_belief(sunk, v, v_f), "prior": signal_belief(0.0, v, v_f)}
    if cr.proposer_is_challenger:
        if fights is None:
            fights = no_deal_escalation(cr, s0)["fights"]
        known = np.asarray(fights, dtype=float)
        return {"belief": known, "prior": known}
    d = discounting(cr)
    p1 = _future_odds(cr)
    # the cost below which war now beats the status quo: W(c) = V(s0; c), solved for c
    c_star = ((cr.p_win - d * p1) / (1 - d) - s0) / (1 - d)
    b = belief_cdf(cr.belief, c_star)
    return {"belief": b, "prior": b}


def _targets_alternative(
    cr: CrisisArrays, s0: np.ndarray, accident: np.ndarray, pi: np.ndarray
) -> np.ndarray:
    """Each target's value of refusing, (S, T): the challenger's force (met by the target's
    own response) with its believed odds ``pi``, else the status quo."""
    e = (1 - (1 - pi) * (1 - accident))[:, None]
    tv = target_values(cr, s0)
    return e * tv.war + (1 - e) * tv.no_deal


def signing(
    arrays: ScenarioArrays,
    deal: np.ndarray,
    *,
    crisis: CrisisArrays | None = None,
    hazard: np.ndarray | float = 0.0,
    horizon: np.ndarray | float = 0.0,
    options: OutcomeOptions | None = None,
    stakes: PublicStakes | None = None,
    required: list[str] | None = None,
) -> dict[str, Any]:
    """Whether every required signatory accepts ``deal`` (S, D), per draw.

    Parameters
    ----------
    arrays
        The compiled scenario (positions, saliences, public stakes), S draws.
    deal
        The package, shape (S, D) on the issues' scales.
    crisis
        The compiled crisis section aligned with ``arrays``, or None.
    hazard, horizon
        The form's yearly revision hazard and horizon, (S,) or scalars.
    stakes
        Public demands and publicity to price audience costs with, when they differ from what
        ``arrays`` hold (the advisor's moves change what an actor says, not what it wants).
    required
        The signatories without a crisis section (:func:`signatories`); default the two
        actors with the most capability x salience. An empty list: nobody needs to sign (a
        legislative decision is taken by its decision rule, which the models forecast).

    Returns
    -------
    dict
        ``signed`` (S,) bool; ``signatories`` (ids); ``accepts`` (S, K) bool per signatory;
        ``margin`` (S, K) value of the deal less the alternative (pie shares with a crisis,
        utility without); ``share`` (S,) the challenger's share (crisis only); and
        ``escalation_no_deal`` (S,) with its parts (crisis only, else zeros).
    """
    rule = SigningRule(arrays, crisis=crisis, options=options, stakes=stakes, required=required)
    return rule.sign(deal, rule.form(hazard, horizon))


class SigningRule:
    """The signing rule of :func:`signing` for many deals and forms of one compiled scenario.

    What depends neither on the deal nor on the form (the status quo's values, the no-deal
    escalation, the targets' belief and alternatives) is computed once here;
    :meth:`form` adds what depends on a form's hazard and horizon, and :meth:`sign` what
    depends on the deal. The operations are :func:`signing`'s, element by element, so the
    results are the same bits (a Monte Carlo block signs every deal in every form).
    """

    def __init__(
        self,
        arrays: ScenarioArrays,
        *,
        crisis: CrisisArrays | None = None,
        options: OutcomeOptions | None = None,
        stakes: PublicStakes | None = None,
        required: list[str] | None = None,
    ) -> None:
        self.arrays = arrays
        self.crisis = crisis
        self.options = options = options or OutcomeOptions()
        self.s = arrays.n_samples
        self.sq = sq = status_quo(arrays)
        if crisis is None:
            from detente.analyses.ratification import spatial_utility

            if required is not None:
                idx = [arrays.actor_ids.index(a) for a in required if a in arrays.actor_ids]
            else:
                clout = arrays.weights()[0].sum(axis=1)
                idx = [int(i) for i in np.argsort(-clout, kind="stable")[:2]]
            self.idx = idx
            self.u_sq = spatial_utility(arrays, sq, options.utility)
            self.stakes = stakes if stakes is not None else public_stakes(arrays)
            ac_sq = achievement_gap(arrays, self.stakes, sq).cost
            if options.audience_cost_at == "deal_only":
                ac_sq = np.zeros_like(ac_sq)
            self.ac_sq = ac_sq
            return
        cr = crisis
        self.s0 = s0 = cr.share(sq)
        self.nd = nd = no_deal_escalation(cr, s0)
        self.values = values = nd["values"]
        self.tb = targets_belief(cr, s0, nd["fights"])
        v_alt = values.no_deal
        if options.audience_cost_at == "always":
            v_alt = v_alt - _shortfall_cost(cr.audience_challenger, cr.demand_challenger, s0)
        self.v_alt = v_alt
        self.need = np.maximum(values.war, v_alt)
        self.own_demand = own_demand = 1 - cr.demand_targets  # (S, T), in the target's share
        alt_t = _targets_alternative(cr, s0, nd["accident"], self.tb["belief"])
        if options.audience_cost_at == "always":
            alt_t = alt_t - _shortfall_cost(cr.audience_targets, own_demand, (1 - s0)[:, None])
        self.alt_t = alt_t
        self.tv = target_values(cr, s0)
        self.ready = cr.ready()
        self.signatories = [cr.challenger, *cr.targets]

    def form(self, hazard: np.ndarray | float = 0.0, horizon: np.ndarray | float = 0.0) -> dict:
        """What depends on a form's yearly revision hazard and horizon ((S,) or scalars)."""
        s = self.s
        hazard = np.broadcast_to(np.asarray(hazard, dtype=float), (s,))
        horizon = np.broadcast_to(np.asarray(horizon, dtype=float), (s,))
        if self.crisis is None:
            return {"hazard": hazard[:, None], "horizon": horizon[:, None]}
        survival = 1 - np.clip(hazard, 0.0, 1.0)
        return {
            "hazard": hazard,
            "ch": _deal_terms(self.values, survival),
            "t": _deal_terms(self.tv, survival[:, None]),
        }

    def sign(self, deal: np.ndarray, form: dict) -> dict[str, Any]:
        """:func:`signing` of ``deal`` (S, D) in a form given by :meth:`form`."""
        x = np.asarray(deal, dtype=float)
        s = self.s
        if self.crisis is None:
            from detente.analyses.ratification import durable_value, spatial_utility

            arrays, idx = self.arrays, self.idx
            u_x = spatial_utility(arrays, x, self.options.utility)
            dv = durable_value(u_x, self.u_sq, form["hazard"], form["horizon"])
            ac = achievement_gap(arrays, self.stakes, x).cost
            margin = (dv - ac) - (self.u_sq - self.ac_sq)
            margin = margin[:, idx]
            accepts = margin >= -_TOL  # (S, 0) without signatories: every draw is signed
            return {
                "signed": accepts.all(axis=1),
                "ready": np.ones(s, dtype=bool),
                "signatories": [arrays.actor_ids[i] for i in idx],
                "accepts": accepts,
                "margin": margin,
                "share": None,
                "escalation_no_deal": np.zeros(s),
                "fights": np.zeros(s, dtype=bool),
                "accident": np.zeros(s),
            }
        cr, nd = self.crisis, self.nd
        s_x = cr.share(x)
        a_c, d_c = cr.audience_challenger, cr.demand_challenger
        v_deal = _deal_value_at(form["ch"], s_x) - _shortfall_cost(a_c, d_c, s_x)
        m_ch = v_deal - self.need
        # each target: its own share 1 - s, less the audience cost of settling short of its
        # demand, against refusing, valued with its belief that the challenger would then fight
        y = (1 - s_x)[:, None]
        v_t = _deal_value_at(form["t"], (1 - s_x)[:, None])
        m_t = v_t - _shortfall_cost(cr.audience_targets, self.own_demand, y) - self.alt_t
        margin = np.concatenate([m_ch[:, None], m_t], axis=1)
        accepts = margin >= -_TOL
        # time pressure: a text the signatories would accept exists only if the talks can
        # finish by the deadline (``crisis.talks_months``; every draw without it)
        ready = self.ready
        return {
            "signed": accepts.all(axis=1) & ready,
            "ready": ready,
            "signatories": list(self.signatories),
            "accepts": accepts,
            "margin": margin,
            "share": s_x,
            "escalation_no_deal": nd["escalation"],
            "fights": nd["fights"],
            "accident": nd["accident"],
        }

    def shares(self, deals: np.ndarray) -> np.ndarray | None:
        """The challenger's shares of deals (S, P, D) as :meth:`sign_many` reads them, (P, S)
        (None without a crisis): forms that carry the deals alike can share them."""
        if self.crisis is None:
            return None
        return np.ascontiguousarray(self.crisis.share(np.asarray(deals, dtype=float)).T)

    def sign_many(
        self, deals: np.ndarray, form: dict, shares: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """:meth:`sign` of every deal of ``deals`` (S, P, D) at once, deal by deal:
        ``signed`` (P, S) and ``accepts`` (P, S, K), and ``escalation_no_deal`` and ``ready``
        (S,) as :meth:`sign` gives them (a Monte Carlo block signs every deal in every form).

        With a crisis, :meth:`sign`'s operations run on (P, S) and (P, K, S) arrays, the
        draws last (long inner loops; the deals' shares are computed as (S, P) by the same
        formula), element by element the same, so each deal's results are the same bits.
        ``shares``: :meth:`shares` of the same deals, where the caller has them."""
        x = np.asarray(deals, dtype=float)
        if self.crisis is None:
            sigs = [self.sign(x[:, p], form) for p in range(x.shape[1])]
            shape = (len(sigs), self.s)
            return {
                "signed": np.array([g["signed"] for g in sigs], dtype=bool).reshape(shape),
                "accepts": np.array([g["accepts"] for g in sigs], dtype=bool).reshape(
                    (*shape, len(self.idx))
                ),
                "escalation_no_deal": np.zeros(self.s),
                "ready": np.ones(self.s, dtype=bool),
            }
        cr, nd = self.crisis, self.nd
        s_x = self.shares(x) if shares is None else shares  # (P, S)
        a_c, d_c = cr.audience_challenger, cr.demand_challenger
        v_deal = _deal_value_at(form["ch"], s_x) - _shortfall_cost(a_c, d_c, s_x)
        m_ch = v_deal - self.need
        y = (1 - s_x)[:, None, :]  # (P, 1, S)
        v_t = _deal_value_at(_draws_last(form["t"]), (1 - s_x)[:, None, :])  # (P, T, S)
        a_t, own, alt = (_draws_last(v) for v in (cr.audience_targets, self.own_demand, self.alt_t))
        m_t = v_t - _shortfall_cost(a_t, own, y) - alt
        margin = np.concatenate([m_ch[:, None, :], m_t], axis=1)  # (P, K, S)
        accepts = margin >= -_TOL
        ready = self.ready
        return {
            "signed": accepts.all(axis=1) & ready,
            "accepts": accepts.transpose(0, 2, 1),
            "escalation_no_deal": nd["escalation"],
            "ready": ready,
        }


def _draws_last(a: Any) -> Any:
    """Per-draw arrays with the draws moved last: (S, K) -> (K, S) (contiguous), (S,) and
    scalars as they are; a tuple of them element by element."""
    if isinstance(a, tuple):
        return tuple(_draws_last(v) for v in a)
    a = np.asarray(a)
    return np.ascontiguousarray(a.T) if a.ndim == 2 else a


def _deal_terms(values: SideValues, survival: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The denominator and the share-free term of :func:`deal_value`, computed as it does."""
    d = values.discount
    q = np.clip(np.asarray(survival, dtype=float), 0.0, 1.0)
    denom = 1 - d * q
    return denom, (1 - q) * d * values.future / denom


def _deal_value_at(terms: tuple[np.ndarray, np.ndarray], share: np.ndarray) -> np.ndarray:
    """:func:`deal_value` from :func:`_deal_terms`: ``share / denom + term``."""
    denom, term = terms
    return share / denom + term


def form_terms(
    ratification: CompiledRatification | None, form_id: str | None, samples: int
) -> tuple[tuple, np.ndarray, np.ndarray]:
    """Bodies, hazard (S,) and horizon (S,) of a form; no form: nothing to ratify, no decay."""
    if form_id is None or ratification is None:
        return (), np.zeros(samples), np.zeros(samples)
    form = ratification.form(form_id)
    return ratification.form_bodies(form), form.hazard, form.horizon


def _prob(x: np.ndarray) -> float:
    return float(np.mean(x)) if np.size(x) else 0.0


def summarise(
    draws: dict[str, np.ndarray],
    issue_ids: tuple[str, ...] | list[str],
    signatories: list[str] | None = None,
) -> dict[str, Any]:
    """The headline numbers of one deal and form over the draws (module docstring).

    Parameters
    ----------
    draws
        Per draw: ``signed`` and ``escalation_no_deal`` (from :func:`signing`), ``ratified``
        (the form's bodies pass the deal), ``deal`` (S, D), optionally ``accepts`` (S, K).
    issue_ids
        Names of the deal's issues.
    signatories
        Names of the columns of ``accepts``.

    >>> d = {"signed": np.array([True, False, True, False]),
    ...      "ratified": np.array([True, True, False, False]),
    ...      "escalation_no_deal": np.array([1.0, 1.0, 0.5, 0.0]),
    ...      "deal": np.array([[1.0], [2.0], [3.0], [4.0]])}
    >>> r = summarise(d, ["x"])
    >>> r["p_agreement"], r["p_ratified_given_agreement"], r["p_escalation"]
    (0.5, 0.5, 0.375)
    >>> r["branches"]["no_agreement"]["p_escalation"], r["terms_given_agreement"]["x"]
    (0.5, 2.0)
    """
    signed = np.asarray(draws["signed"], dtype=bool)
    ratified = np.asarray(draws["ratified"], dtype=bool)
    e0 = np.asarray(draws["escalation_no_deal"], dtype=float)
    deal = np.asarray(draws["deal"], dtype=float)
    n = signed.size
    in_force = signed & ratified
    masks = {
        "no_agreement": ~signed,
        "signed_not_ratified": signed & ~ratified,
        "ratified": in_force,
    }
    esc = np.where(in_force, 0.0, e0)
    branches = {}
    for name, m in masks.items():
        k = int(m.sum())
        branches[name] = {
            "p": k / n if n else 0.0,
            "p_escalation": float(esc[m].mean()) if k else None,
        }
    k_signed = int(signed.sum())
    out: dict[str, Any] = {
        "samples": n,
        "p_agreement": k_signed / n if n else 0.0,
        "p_ratified_given_agreement": float(in_force.sum() / k_signed) if k_signed else None,
        "p_in_force": _prob(in_force),
        "p_escalation": _prob(esc),
        "branches": branches,
        "most_likely": max(BRANCHES, key=lambda b: (branches[b]["p"], -BRANCHES.index(b))),
        "terms_given_agreement": (
            {i: float(v) for i, v in zip(issue_ids, deal[signed].mean(axis=0), strict=True)}
            if k_signed
            else None
        ),
    }
    if "accepts" in draws and signatories:
        acc = np.asarray(draws["accepts"], dtype=bool)
        out["p_accepts"] = {a: float(acc[:, k].mean()) for k, a in enumerate(signatories)}
    return out


def headline_sentence(summary: dict[str, Any], form_label: str | None = None) -> str:
    """One line a briefing can quote: the most likely branch, then what a deal looks like.

    >>> headline_sentence({"p_agreement": 0.1, "p_ratified_given_agreement": 0.5,
    ...     "p_escalation": 0.8, "most_likely": "no_agreement", "samples": 200,
    ...     "branches": {"no_agreement": {"p": 0.9}}}).split("; ")[0]
    'most likely no agreement (P 0.90)'
    """
    best = summary["most_likely"]
    words = {
        "no_agreement": "no agreement",
        "signed_not_ratified": "a deal signed but not ratified",
        "ratified": f"a deal ratified as {form_label}" if form_label else "an agreement in force",
    }
    rat = summary["p_ratified_given_agreement"]
    rat_txt = "n/a" if rat is None else f"{rat:.2f}"
    return (
        f"most likely {words[best]} (P {summary['branches'][best]['p']:.2f}); "
        f"P(agreement) {summary['p_agreement']:.2f}, ratified if signed {rat_txt}; "
        f"P(escalation) {summary['p_escalation']:.2f} ({summary['samples']} draws)"
    )


def signatories(scenario: Any, arrays: ScenarioArrays | None = None) -> list[str]:
    """The required signatories of a scenario's deal (module docstring), by id.

    With a crisis section the challenger and every target; in a legislative scenario
    (``meta.domain``) nobody: the decision is taken by its rule, which the models forecast;
    otherwise the two actors with the most capability x salience.
    """
    cr = scenario.crisis
    if cr is not None:
        return [cr.challenger, *cr.targets]
    if getattr(scenario.meta, "domain", None) == "legislative":
        return []
    if arrays is None:
        from detente.scenario.compile import compile_scenario

        arrays = compile_scenario(scenario)
    clout = arrays.weights()[0].sum(axis=1)
    return [arrays.actor_ids[int(i)] for i in np.argsort(-clout, kind="stable")[:2]]


def _min_share(slope: np.ndarray, offset: np.ndarray, need: np.ndarray, a, demand):
    """Smallest ``s`` with ``slope*s + offset - a*max(0, demand - s) >= need`` (increasing)."""
    plain = (need - offset) / slope
    tied = (need - offset + a * demand) / (slope + a)
    return np.where(plain >= demand, plain, tied)


def acceptable_range(
    arrays: ScenarioArrays,
    crisis: CrisisArrays,
    hazard: np.ndarray | float = 0.0,
    options: OutcomeOptions | None = None,
    rule: SigningRule | None = None,
) -> dict[str, np.ndarray]:
    """The challenger's shares every signatory accepts, per draw (the signing rule, solved).

    ``low`` is the least the challenger signs for, ``high`` the most every target concedes;
    the range is empty where ``low > high``. Unlike Fearon's range (``crisis_range``), which
    compares a deal with war alone, this one also holds the no-deal alternative and, under a
    power shift, the discounted values of :func:`signing`; a deal signs exactly when its share
    lies in it (up to rounding). ``rule``: the :class:`SigningRule` of the same arrays, crisis
    and options, when the caller has one (it is built here otherwise).
    """
    cr = crisis
    if rule is None:
        rule = SigningRule(arrays, crisis=cr, options=options)
    s = arrays.n_samples
    hazard = np.broadcast_to(np.asarray(hazard, dtype=float), (s,))
    s0, nd, v, tb = rule.s0, rule.nd, rule.values, rule.tb
    q = 1 - np.clip(hazard, 0.0, 1.0)
    denom = 1 - v.discount * q
    slope = 1 / denom
    offset = (1 - q) * v.discount * v.future / denom
    low = _min_share(slope, offset, rule.need, cr.audience_challenger, cr.demand_challenger)
    own_demand = rule.own_demand
    alt_t = rule.alt_t
    tv = rule.tv
    t_slope = np.broadcast_to((1 / denom)[:, None], alt_t.shape)
    t_offset = np.broadcast_to(
        (1 - q)[:, None] * tv.discount * tv.future / denom[:, None], alt_t.shape
    )
    y_min = _min_share(t_slope, t_offset, alt_t, cr.audience_targets, own_demand)
    binding = np.argmax(y_min, axis=1)
    high = 1 - y_min.max(axis=1)
    return {
        "low": low,
        "high": high,
        "empty": low > high,
        "binding_target": binding,
        "war_value": v.war,
        "no_deal_value": v.no_deal,
        "fights": nd["fights"],
        "escalation_no_deal": nd["escalation"],
        "status_quo_share": s0,
        "targets_belief": tb["belief"],
        "targets_prior": tb["prior"],
    }


def point_checks(
    scenario: Any, arrays: ScenarioArrays, forecasts: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Where each model's point package lies against the signatories' acceptable range.

    Computed at the centre of every input, in the scenario's first agreement form. Returns
    per model: ``signed`` (bool), ``challenger_share`` and ``range`` (crisis scenarios), and
    ``refuse``: the signatories who would not sign, each with the reason in words.
    """
    from detente.scenario.crisis import compile_crisis
    from detente.scenario.ratification import compile_ratification

    cr = compile_crisis(scenario, arrays) if scenario.crisis is not None else None
    rat = None
    if scenario.forms:
        rat = compile_ratification(scenario, status_quo=arrays.status_quo)
    form = scenario.forms[0].id if scenario.forms else None
    _, hazard, horizon = form_terms(rat, form, arrays.n_samples)
    out: dict[str, Any] = {"form": form, "models": {}}
    rng_ = None
    if cr is not None:
        rng_ = acceptable_range(arrays, cr, hazard)
        out["range"] = {
            "low": float(rng_["low"][0]),
            "high": float(rng_["high"][0]),
            "empty": bool(rng_["empty"][0]),
            "challenger": cr.challenger,
            "challenger_fights_without_deal": bool(rng_["fights"][0]),
            "war_value": float(rng_["war_value"][0]),
            "no_deal_value": float(rng_["no_deal_value"][0]),
            "status_quo_share": float(rng_["status_quo_share"][0]),
            "power_shift": bool(challenger_declines(cr)[0]),
            "p_win": float(cr.p_win[0]),
            "p_future": float(cr.p_future[0]) if np.isfinite(cr.p_future[0]) else None,
            "targets_belief": float(rng_["targets_belief"][0]),
            "targets_prior": float(rng_["targets_prior"][0]),
            # the target that concedes least, and the most the targets concede without the
            # build-up (belief at its prior: what the costly signal buys at the table)
            "binding_target": cr.targets[int(rng_["binding_target"][0])],
            "high_without_signal": float(
                acceptable_range(arrays, _without_signal(cr), hazard)["high"][0]
            ),
            # Fearon (1997): the sunk cost so far against the valuation below which a type
            # would not fight (v_f = c_C / p); a sunk cost of v_f separates fully
            "signal": _signal_terms(cr),
            "responses": {
                t: {"response": r, "cost": float(cr.target_costs()[0, k])}
                for k, (t, r) in enumerate(zip(cr.targets, cr.responses, strict=False))
            },
        }
    if cr is not None:
        out["range"]["parts"] = _reservation_parts(arrays, cr, hazard)
    from detente.scenario.ratification import carrier

    carry = carrier(scenario, form)
    for spec, x in forecasts.items():
        x = carry(np.asarray(x, dtype=float).reshape(1, -1))
        sig = signing(
            arrays,
            x,
            crisis=cr,
            hazard=hazard,
            horizon=horizon,
            required=signatories(scenario, arrays),
        )
        refuse = []
        for k, who in enumerate(sig["signatories"]):
            if sig["accepts"][0, k]:
                continue
            refuse.append(
                {
                    "actor": who,
                    "side": "signatory" if cr is None else ("challenger" if k == 0 else "target"),
                    "why": _refusal(k, who, sig, rng_, cr),
                }
            )
        entry: dict[str, Any] = {"signed": bool(sig["signed"][0]), "refuse": refuse}
        if sig["share"] is not None:
            entry["challenger_share"] = float(sig["share"][0])
        out["models"][spec] = entry
    return out


def _signal_terms(cr: CrisisArrays) -> dict[str, float] | None:
    """The build-up's sunk cost so far, the bluffers' threshold ``v_f = c_C/p`` and the months
    still needed to separate fully (sunk cost >= v_f), at the centre; None without one.
    ``v_fight`` is None where ``p_win`` is 0: no valuation makes a war it cannot win worth
    fighting (JSON has no infinity)."""
    if not np.isfinite(cr.value_max[0]) or not np.isfinite(cr.cost_per_month[0]):
        return None
    sunk = float(cr.cost_per_month[0] * _nan0(cr.months)[0])
    p = float(cr.p_win[0])
    v_f = float(cr.cost_challenger[0] / p) if p > 0 else math.inf
    k = float(cr.cost_per_month[0])
    more = max(0.0, (v_f - sunk) / k) if k > 0 and math.isfinite(v_f) else None
    if not math.isfinite(more if more is not None else 0.0):
        more = None
    return {
        "sunk": sunk,
        "v_fight": v_f if math.isfinite(v_f) else None,
        "value_max": float(cr.value_max[0]),
        "months_more_to_separate": more,
    }


def _without_signal(cr: CrisisArrays) -> CrisisArrays:
    """The crisis with no mobilisation sunk yet: the targets hold their prior belief."""
    from dataclasses import replace

    return replace(cr, months=np.zeros_like(cr.months))


def _reservation_parts(arrays: ScenarioArrays, cr: Any, hazard: np.ndarray) -> dict[str, float]:
    """The challenger's least acceptable share built up step by step, at the centre.

    ``one_shot``: Fearon's one-period values (war ``p - c``); ``over_years``: the same odds for
    ever, valued over years with the discount (a one-off cost of war against a lasting share);
    ``with_decline``: also the expected fall of its odds (Powell 2006), i.e. the range's
    ``low``. Lets the words say how much each step adds.
    """
    from dataclasses import replace

    full = float(acceptable_range(arrays, cr, hazard)["low"][0])
    if not bool(challenger_declines(cr)[0]):
        return {"one_shot": full, "over_years": full, "with_decline": full}
    flat = replace(cr, p_future=cr.p_win.copy())  # same odds for ever
    one = replace(cr, p_future=np.full_like(cr.p_win, np.nan))  # no power-shift section
    return {
        "one_shot": float(acceptable_range(arrays, one, hazard)["low"][0]),
        "over_years": float(acceptable_range(arrays, flat, hazard)["low"][0]),
        "with_decline": full,
    }


def _refusal(k: int, who: str, sig: dict, rng_: dict | None, cr: Any) -> str:
    if rng_ is None:
        return f"{who} values the status quo above this package (less its audience cost)"
    share = float(sig["share"][0])
    if k == 0:
        low = float(rng_["low"][0])
        alt = "fight" if rng_["war_value"][0] >= rng_["no_deal_value"][0] else "walk away"
        return (
            f"{who} would rather {alt}: it needs at least {low:.2f} of the pie in this form "
            f"and the package gives it {share:.2f}"
        )
    high = float(rng_["high"][0])
    threat = (
        "the war it expects without a deal"
        if rng_["fights"][0]
        else "the status quo (it does not expect force without a deal)"
    )
    return (
        f"{who} would rather refuse and face {threat}: the package gives {cr.challenger} "
        f"{share:.2f} of the pie, more than the {high:.2f} every target concedes"
    )


def headline_model(scenario: Any, specs: list[str]) -> tuple[str | None, str]:
    """The model whose package leads the output, and why (docs/outcome.md, "Headline model").

    The ``detente`` forecaster is fitted on EU legislation, where it beats the compromise model
    out of sample; it leads only on legislative scenarios (``meta.domain: legislative``, or an
    actor ``ep`` with no crisis section). Elsewhere the compromise model leads: it has no
    fitted constants, and it is the classical model with the lowest error on the DEU data
    (Achen 2006; docs/validation.md), so nothing in it is tied to one domain.
    """
    domain = getattr(scenario.meta, "domain", None)
    if domain is None:
        ids = {a.id for a in scenario.actors}
        domain = "legislative" if "ep" in ids and scenario.crisis is None else "other"
    names = [s.partition(":")[0].strip() for s in specs]
    if domain == "legislative" and "detente" in names:
        from detente.models.base import registry

        err = registry()["detente"]().describe().get("validated_error", {})
        return specs[names.index("detente")], (
            "legislative scenario: the detente forecaster was fitted and validated on EU "
            f"legislation (out-of-fold MAE {err.get('mae', float('nan')):.2f} against 23.19 for "
            "the compromise model)"
        )
    if "compromise" in names:
        why = (
            "the compromise model (Achen 2006) has no fitted constants, so it transfers to "
            f"this {domain if domain != 'other' else 'non-legislative'} scenario; the detente "
            "forecaster is fitted on EU legislation only"
        )
        return specs[names.index("compromise")], why
    return (specs[0] if specs else None), "the first model requested"
