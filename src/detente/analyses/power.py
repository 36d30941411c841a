"""Voting power: Shapley-Shubik and Banzhaf indices, and capability conventions for the DEU data.

Exact indices use generating functions: the number of coalitions of the weighted players by
size ``k`` and total weight ``w`` is built by dynamic programming over players (one vectorised
shift-and-add per player on a (n+1, W+1) integer table). The table without player ``i`` is
recovered by polynomial division, so every player's swings are counted from one table:

- Shapley-Shubik: ``phi_i = sum over swings S of |S|! (n - |S| - 1)! / n!``;
- Banzhaf: ``beta_i = swings_i / 2**(n-1)`` (absolute) and ``swings_i / sum_j swings_j``
  (normalised).

"Compound" games add up to a few special players (Commission, Parliament) whose presence enters
the winning rule, which is a vectorised predicate of (specials present, k, w). This is exact and
fast for the games of the EU Council (<= 28 weighted players, total weight <= ~10^4).

For larger plain weighted games :func:`sampled_indices` estimates both indices by Monte Carlo
with a passed-in ``numpy.random.Generator``: Shapley-Shubik from random orderings (the pivot of
each ordering), Banzhaf from uniformly random coalitions of the other players (each player in
with probability 1/2), with binomial standard errors.

References: Shapley & Shubik (1954) APSR 48(3):787-792; Banzhaf (1965) Rutgers LR 19:317-343;
Felsenthal & Machover (1998) The Measurement of Voting Power, Edward Elgar.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from detente.io.deu import ACTORS, MEMBER_STATES, DEUData, DEUIssue

# ---------------------------------------------------------------------------------------------
# generic machinery


@dataclass(frozen=True)
class PowerIndices:
    """Shapley-Shubik and Banzhaf indices of a game's players (in input order).

    ``banzhaf`` is normalised to sum to 1; ``banzhaf_absolute`` is swings / 2**(n-1).
    ``stderr`` holds Monte Carlo standard errors (``None`` for exact results).
    """

    players: tuple[str, ...]
    shapley: np.ndarray
    banzhaf: np.ndarray
    banzhaf_absolute: np.ndarray
    method: str
    stderr: dict[str, np.ndarray] | None = None

    def as_dict(self) -> dict:
        """JSON-ready form."""
        out = {
            "method": self.method,
            "shapley": dict(zip(self.players, self.shapley.tolist(), strict=True)),
            "banzhaf": dict(zip(self.players, self.banzhaf.tolist(), strict=True)),
            "banzhaf_absolute": dict(
                zip(self.players, self.banzhaf_absolute.tolist(), strict=True)
            ),
        }
        if self.stderr is not None:
            out["stderr"] = {
                k: dict(zip(self.players, v.tolist(), strict=True)) for k, v in self.stderr.items()
            }
        return out


def coalition_counts(weights: Sequence[int] | np.ndarray) -> np.ndarray:
    """Number of coalitions by size and total weight: (n+1, W+1) int64 table.

    >>> coalition_counts([1, 2]).tolist()
    [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    """
    w = _int_weights(weights)
    n, total = len(w), int(w.sum())
    f = np.zeros((n + 1, total + 1), dtype=np.int64)
    f[0, 0] = 1
    for wi in w:  # one product (1 + y x^wi) per player: the DP itself
        if wi == 0:
            f[1:] += f[:-1].copy()
        else:
            f[1:, wi:] += f[:-1, :-wi].copy()
    return f


def _without(f: np.ndarray, wi: int) -> np.ndarray:
    """Divide the generating function by (1 + y x^wi): the table without one player of weight wi."""
    g = np.zeros_like(f)
    g[0] = f[0]
    for k in range(1, f.shape[0]):
        g[k] = f[k]
        if wi == 0:
            g[k] -= g[k - 1]
        else:
            g[k, wi:] -= g[k - 1, :-wi]
    return g


def _int_weights(weights: Sequence[int] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights)
    if w.ndim != 1 or np.any(w < 0) or not np.all(np.equal(np.mod(w, 1), 0)):
        raise ValueError("weights must be a 1-D sequence of non-negative integers")
    return w.astype(np.int64)


WinRule = Callable[[tuple[bool, ...], np.ndarray, np.ndarray], np.ndarray]


def compound_game_indices(
    weights: Sequence[int] | np.ndarray,
    win: WinRule,
    *,
    players: Sequence[str] | None = None,
    specials: Sequence[str] = (),
) -> PowerIndices:
    """Exact indices of a game of weighted players plus a few special players.

    Parameters
    ----------
    weights
        Integer weights of the ``n`` ordinary players.
    win
        ``win(present, k, w)``: whether a coalition wins, given which specials are in it
        (``present``, a tuple of bools in ``specials`` order) and arrays ``k`` (number of
        ordinary players) and ``w`` (their total weight); must broadcast over ``k`` and ``w``.
    players, specials
        Names of the ordinary and the special players. Output order: ordinary, then special.

    Returns
    -------
    PowerIndices
    """
    w = _int_weights(weights)
    n, m = len(w), len(specials)
    n_tot = n + m
    names = tuple(players) if players is not None else tuple(f"p{i}" for i in range(n))
    names += tuple(specials)
    f = coalition_counts(w)
    kk = np.arange(n + 1)[:, None]
    ww = np.arange(f.shape[1])[None, :]
    # Shapley-Shubik weight of a swing by a coalition of s players (s excludes the swinger)
    fact = np.array([math.factorial(s) * math.factorial(n_tot - s - 1) for s in range(n_tot)])
    sweight = fact / math.factorial(n_tot)
    subsets = list(itertools.product((False, True), repeat=m))

    shap = np.zeros(n_tot)
    swings = np.zeros(n_tot)
    # ordinary players: one division per distinct weight (equal weights have equal tables)
    for wi in np.unique(w):
        g = _without(f, int(wi)).astype(float)
        s_val = 0.0
        b_val = 0.0
        for present in subsets:
            t = sum(present)
            swing = np.asarray(win(present, kk + 1, ww + wi)) & ~np.asarray(win(present, kk, ww))
            counts = np.where(swing, g, 0.0)
            b_val += counts.sum()
            # coalition size s = t + k, k <= n - 1 (the swinger is not in it)
            s_val += (counts[:n].sum(axis=1) * sweight[t : t + n]).sum()
        shap[:n][w == wi] = s_val
        swings[:n][w == wi] = b_val
    ff = f.astype(float)
    for j in range(m):
        s_val = 0.0
        b_val = 0.0
        for present in subsets:
            if present[j]:
                continue
            t = sum(present)
            with_j = tuple(p or (i == j) for i, p in enumerate(present))
            swing = np.asarray(win(with_j, kk, ww)) & ~np.asarray(win(present, kk, ww))
            counts = np.where(swing, ff, 0.0)
            b_val += counts.sum()
            s_val += (counts.sum(axis=1) * sweight[t : t + n + 1]).sum()
        shap[n + j] = s_val
        swings[n + j] = b_val
    total_swings = swings.sum()
    return PowerIndices(
        players=names,
        shapley=shap,
        banzhaf=swings / total_swings if total_swings > 0 else swings,
        banzhaf_absolute=swings / 2.0 ** (n_tot - 1),
        method="exact",
    )


def weighted_game_indices(
    weights: Sequence[int] | np.ndarray,
    quota: float,
    *,
    players: Sequence[str] | None = None,
) -> PowerIndices:
    """Exact indices of the weighted voting game [quota; w_1, ..., w_n].

    >>> r = weighted_game_indices([4, 4, 4, 2, 2, 1], 12)   # EEC Council of Ministers, 1958
    >>> np.round(r.shapley * 60).astype(int).tolist(), np.round(r.banzhaf * 21).astype(int).tolist()
    ([14, 14, 14, 9, 9, 0], [5, 5, 5, 3, 3, 0])
    """
    return compound_game_indices(weights, lambda _p, k, w: w >= quota, players=players)


def sampled_indices(
    weights: Sequence[float] | np.ndarray,
    quota: float,
    rng: np.random.Generator,
    *,
    n_samples: int = 20_000,
    players: Sequence[str] | None = None,
) -> PowerIndices:
    """Monte Carlo indices of a weighted game [quota; w] for games too large to count exactly.

    Shapley-Shubik: ``n_samples`` random orderings; the player whose arrival first lifts the
    cumulative weight to the quota is pivotal. Banzhaf: ``n_samples`` random coalitions, each
    player in with probability 1/2; player ``i`` swings when the others' weight is below the
    quota and reaches it with ``w_i``. Weights may be real here. Standard errors are binomial.
    """
    w = np.asarray(weights, dtype=float)
    n = len(w)
    names = tuple(players) if players is not None else tuple(f"p{i}" for i in range(n))
    order = np.argsort(rng.random((n_samples, n)), axis=1)
    cum = np.cumsum(w[order], axis=1)
    reached = cum >= quota
    has_pivot = reached[:, -1]
    pivot = order[np.arange(n_samples), np.argmax(reached, axis=1)]
    shap = np.bincount(pivot[has_pivot], minlength=n) / n_samples
    inside = rng.random((n_samples, n)) < 0.5
    total = inside @ w
    others = total[:, None] - inside * w[None, :]
    swing = (others < quota) & (others + w[None, :] >= quota)
    beta_abs = swing.mean(axis=0)
    norm = beta_abs.sum()
    return PowerIndices(
        players=names,
        shapley=shap,
        banzhaf=beta_abs / norm if norm > 0 else beta_abs,
        banzhaf_absolute=beta_abs,
        method=f"sampled ({n_samples} draws)",
        stderr={
            "shapley": np.sqrt(shap * (1 - shap) / n_samples),
            "banzhaf_absolute": np.sqrt(beta_abs * (1 - beta_abs) / n_samples),
        },
    )


#: Largest plain weighted game counted exactly by :func:`power_indices` with ``method="auto"``.
EXACT_PLAYER_LIMIT = 30
#: ... and largest total (integer) weight: the DP table has (n+1) x (W+1) cells.
EXACT_WEIGHT_LIMIT = 200_000


def power_indices(
    weights: Sequence[float] | np.ndarray,
    quota: float,
    *,
    method: Literal["auto", "exact", "sampled"] = "auto",
    rng: np.random.Generator | None = None,
    n_samples: int = 20_000,
    players: Sequence[str] | None = None,
) -> PowerIndices:
    """Indices of [quota; weights], exact when feasible, else sampled with ``rng``.

    ``auto`` counts exactly when the weights are integers, there are at most
    :data:`EXACT_PLAYER_LIMIT` players and the total weight is at most
    :data:`EXACT_WEIGHT_LIMIT`; otherwise it samples (``rng`` is then required).
    """
    w = np.asarray(weights, dtype=float)
    integral = bool(np.all(np.mod(w, 1) == 0)) and bool(np.all(w >= 0))
    small = len(w) <= EXACT_PLAYER_LIMIT and w.sum() <= EXACT_WEIGHT_LIMIT
    if method == "exact" or (method == "auto" and integral and small):
        if not integral:
            raise ValueError("exact indices need non-negative integer weights")
        return weighted_game_indices(w.astype(np.int64), quota, players=players)
    if rng is None:
        raise ValueError("sampled indices need a numpy Generator (rng)")
    return sampled_indices(w, quota, rng, n_samples=n_samples, players=players)


# ---------------------------------------------------------------------------------------------
# EU Council: treaties, members, games

#: Council votes before the Treaty of Nice took effect (EU15, total 87, QMV 62; Art. 205(2) TEC).
PRE_NICE_WEIGHTS: dict[str, int] = {
    "de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5,
    "at": 4, "se": 4, "dk": 3, "ie": 3, "fi": 3, "lu": 2,
}  # fmt: skip
PRE_NICE_QUOTA = 62

#: Council votes under the Treaty of Nice (from 1 Nov 2004; EU27 total 345; Croatia 7 from 2013;
#: Art. 205(2) TEC as amended by the 2003 and 2005 Acts of Accession and Art. 3(3) Protocol 36).
NICE_WEIGHTS: dict[str, int] = {
    "de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "ro": 14, "nl": 13,
    "be": 12, "cz": 12, "el": 12, "hu": 12, "pt": 12, "at": 10, "bu": 10, "se": 10,
    "dk": 7, "ie": 7, "lt": 7, "sk": 7, "fi": 7, "cr": 7,
    "cy": 4, "ee": 4, "lv": 4, "lu": 4, "si": 4, "mt": 3,
}  # fmt: skip
#: QMV threshold in votes by number of members (EU25: 232/321, EU27: 255/345, EU28: 260/352).
NICE_QUOTA: dict[int, int] = {25: 232, 27: 255, 28: 260}

#: Population shares in per cent for the Lisbon double majority: Council Decision (EU, Euratom)
#: 2015/2393 (Annex III of the Council's Rules of Procedure for 2016; EU total 508,940,955), as
#: reported by Agence Europe, 9 Dec 2015. The shares sum to 100.01 (rounding); the game uses
#: their sum as the total, in units of 0.01 %.
LISBON_POPULATION_PCT: dict[str, float] = {
    "de": 15.93, "fr": 13.04, "uk": 12.73, "it": 12.07, "es": 9.12, "pl": 7.47, "ro": 3.90,
    "nl": 3.37, "be": 2.21, "el": 2.13, "cz": 2.05, "pt": 2.04, "hu": 1.94, "se": 1.92,
    "at": 1.69, "bu": 1.42, "dk": 1.11, "fi": 1.08, "sk": 1.06, "ie": 0.91, "cr": 0.83,
    "lt": 0.57, "si": 0.41, "lv": 0.39, "ee": 0.26, "cy": 0.17, "lu": 0.11, "mt": 0.08,
}  # fmt: skip

#: Accession dates of the states that joined after the founding of the DEU period (EU12 before).
ACCESSION: dict[str, dt.date] = {
    **dict.fromkeys(("at", "fi", "se"), dt.date(1995, 1, 1)),
    **dict.fromkeys(
        ("cy", "cz", "ee", "hu", "lv", "lt", "mt", "pl", "sk", "si"), dt.date(2004, 5, 1)
    ),
    **dict.fromkeys(("bu", "ro"), dt.date(2007, 1, 1)),
    "cr": dt.date(2013, 7, 1),
}
NICE_START = dt.date(2004, 11, 1)
LISBON_START = dt.date(2014, 11, 1)

Treaty = Literal["pre-Nice", "Nice", "Lisbon"]
Capability = Literal["equal", "treaty", "shapley", "banzhaf"]
CAPABILITIES: tuple[str, ...] = ("equal", "treaty", "shapley", "banzhaf")


def treaty_in_force(when: dt.date) -> Treaty:
    """Council voting rules in force on a date (Lisbon's double majority from 1 Nov 2014).

    The optional return to Nice weights on request until 31 March 2017 is not modelled.
    """
    if when < NICE_START:
        return "pre-Nice"
    if when < LISBON_START:
        return "Nice"
    return "Lisbon"


def members_on(when: dt.date) -> tuple[str, ...]:
    """Member states (in :data:`MEMBER_STATES` order) on a date."""
    return tuple(s for s in MEMBER_STATES if ACCESSION.get(s, dt.date.min) <= when)


def council_qmv(treaty: Treaty, members: Sequence[str]) -> tuple[np.ndarray, WinRule]:
    """Integer weights of ``members`` and the QMV rule on (k members, weight w) in Council.

    - pre-Nice: w >= 62 of 87 (states acceding in 2004 weigh 0 before 1 Nov 2004);
    - Nice: w >= the EU25/27/28 threshold and k >= half the members (the optional 62 %
      population check is not modelled);
    - Lisbon: k >= 55 % of members and population >= 65 %, or fewer than 4 members outside
      (the blocking minority needs 4 states).
    """
    n = len(members)
    if treaty == "pre-Nice":
        w = np.array([PRE_NICE_WEIGHTS.get(s, 0) for s in members])
        return w, lambda _p, k, ww: ww >= PRE_NICE_QUOTA
    if treaty == "Nice":
        if n not in NICE_QUOTA:
            raise ValueError(f"Nice QMV thresholds are defined for 25, 27 or 28 members, not {n}")
        w = np.array([NICE_WEIGHTS[s] for s in members])
        quota = NICE_QUOTA[n]
        return w, lambda _p, k, ww: (ww >= quota) & (2 * k >= n)
    w = np.array([round(LISBON_POPULATION_PCT[s] * 100) for s in members])
    pop_quota = math.ceil(0.65 * int(w.sum()))
    member_quota = math.ceil(0.55 * n)
    return w, lambda _p, k, ww: ((k >= member_quota) & (ww >= pop_quota)) | (k > n - 4)


def eu_game(
    treaty: Treaty, members: Sequence[str], procedure: str, voting_rule: str
) -> PowerIndices:
    """Indices of the legislative game of an issue, players = members + COM + EP.

    The game (``Q`` = Council QMV as in :func:`council_qmv`, ``U`` = all member states):

    - CNS, QMV: COM and Q, or U (the Council amends a Commission proposal only unanimously,
      Art. 250(1) TEC / 293(1) TFEU); the Parliament is only consulted: a dummy (index 0).
    - CNS, Unan: U; Commission and Parliament are dummies.
    - COD, QMV: EP and (COM and Q, or U) (the Parliament's veto; Council needs unanimity for
      amendments the Commission opposes, Art. 251(3) TEC / 294(9) TFEU).
    - COD, Unan: EP and U.
    """
    n = len(members)
    w, qmv = council_qmv(treaty, members)
    cod = procedure == "COD"
    unan = voting_rule == "Unan"

    def win(present: tuple[bool, ...], k: np.ndarray, ww: np.ndarray) -> np.ndarray:
        com, ep = present
        council = (k >= n) if unan else ((qmv(present, k, ww) & com) | (k >= n))
        if cod:
            council = council & ep
        return np.broadcast_to(council, np.broadcast_shapes(np.shape(k), np.shape(ww)))

    return compound_game_indices(w, win, players=members, specials=("com", "ep"))


def _treaty_capability(treaty: Treaty, members: Sequence[str]) -> dict[str, float]:
    if treaty == "pre-Nice":
        raw = {s: float(PRE_NICE_WEIGHTS.get(s, 0)) for s in members}
    elif treaty == "Nice":
        raw = {s: float(NICE_WEIGHTS[s]) for s in members}
    else:
        raw = {s: LISBON_POPULATION_PCT[s] for s in members}
    top = max(raw.values())
    # README convention: largest state = 100, Commission and Parliament = 100
    return {**{s: 100.0 * v / top for s, v in raw.items()}, "com": 100.0, "ep": 100.0}


def issue_capability(issue: DEUIssue, convention: Capability) -> np.ndarray:
    """Capabilities of the 30 :data:`ACTORS` on one issue under a named convention.

    ``equal``: 1 for every actor. ``treaty``: Council votes of the treaty in force at the
    decision date (adoption, or introduction + median duration), largest state = 100,
    Commission and Parliament = 100; under Lisbon population shares. ``shapley`` /
    ``banzhaf`` (normalised): indices of :func:`eu_game` for the issue's procedure and voting
    rule. States that were not members at the decision date get 0.
    """
    if convention == "equal":
        return np.ones(len(ACTORS))
    when = issue.decision_date
    if when is None:
        raise ValueError(f"issue {issue.issue}: no date to choose the treaty in force")
    treaty = treaty_in_force(when)
    members = members_on(when)
    if convention == "treaty":
        cap = _treaty_capability(treaty, members)
    elif convention in ("shapley", "banzhaf"):
        r = _cached_game(treaty, members, issue.procedure, issue.voting_rule)
        values = r.shapley if convention == "shapley" else r.banzhaf
        cap = dict(zip(r.players, values.tolist(), strict=True))
    else:
        raise ValueError(f"unknown capability convention {convention!r}: one of {CAPABILITIES}")
    return np.array([cap.get(a, 0.0) for a in ACTORS])


_GAME_CACHE: dict[tuple, PowerIndices] = {}


def _cached_game(treaty: Treaty, members: tuple[str, ...], proc: str, rule: str) -> PowerIndices:
    key = (treaty, members, proc, rule)
    if key not in _GAME_CACHE:
        _GAME_CACHE[key] = eu_game(treaty, members, proc, rule)
    return _GAME_CACHE[key]


def deu_capabilities(data: DEUData, convention: Capability) -> np.ndarray:
    """(D, 30) capabilities of every kept issue of ``data`` under a named convention."""
    if convention not in CAPABILITIES:
        raise ValueError(f"unknown capability convention {convention!r}: one of {CAPABILITIES}")
    if data.n_issues == 0:
        return np.zeros((0, len(ACTORS)))
    return np.stack([issue_capability(i, convention) for i in data.issues])
