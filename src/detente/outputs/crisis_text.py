"""The crisis analysis in plain sentences (``detente crisis`` and the briefing report).

Formats the JSON-ready result of :func:`detente.analyses.crisis_report.crisis_report`; computes
nothing.
"""

from __future__ import annotations

import math
from typing import Any


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _ci(s: dict[str, Any], fmt=_pct) -> str:
    if "low" not in s:
        return ""
    return f" (90% interval {fmt(s['low'])} to {fmt(s['high'])})"


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def summary_text(r: dict[str, Any]) -> str:
    """The report in plain sentences: range, escalation risk, signal, who cannot claim victory."""
    ch, prop = r["challenger"], r["proposer"]
    tg = ", ".join(r["targets"])
    lines = [f"Crisis: {ch} against {tg} ({r['scenario']})."]
    lines.append(
        "Shares are of the pie at stake ("
        + ", ".join(f"{i} {round(100 * w, 1):g}%" for i, w in r["stakes"].items())
        + f"), measured as {ch}'s share: 1 is everything {ch} wants, 0 nothing."
    )
    oc = r.get("outcome")
    if oc is not None:
        lines.append(
            f"Outcome over {oc['samples']} draws (seed {oc.get('seed', 0)}"
            + (f", form {oc['form']}" if oc.get("form") else "")
            + f"): P(escalation) with no deal in force {_pct(oc['p_escalation_no_deal'])}. "
            "Per model's package (docs/outcome.md):"
        )
        for name, m in r["models"].items():
            if m.get("outcome"):
                lines.append(f"  {name}: {m['outcome']['headline']}.")
    ar = r.get("acceptable_range")
    if ar is not None:
        form = f" in the form {oc['form']}" if oc and oc.get("form") else ""
        if ar["empty"]:
            lines.append(
                f"Acceptable range (every signatory signs){form}: EMPTY at the centre of the "
                f"inputs: {ch} signs only for at least {_share(ar['low'])} of the pie, the "
                f"targets concede at most {_share(ar['high'])}"
                + (f" ({ar['binding_target']} concedes least)" if ar.get("binding_target") else "")
                + "."
            )
        else:
            lines.append(
                f"Acceptable range (every signatory signs){form}: {ch} shares "
                f"{_share(ar['low'])} to {_share(ar['high'])} at the centre of the inputs."
            )
        parts = ar.get("parts")
        if ar["power_shift"] and parts:
            lines.append(
                f"  {ch} would sign for {_share(parts['one_shot'])} in a one-shot crisis, "
                f"{_share(parts['over_years'])} valued over years (discount; a one-off cost of "
                f"war against a lasting share), and {_share(parts['with_decline'])} with its "
                f"odds expected to fall from {_share(ar['p_win'])} to {_share(ar['p_future'])} "
                f"(Powell 2006): war now is worth {ar['war_value']:.2f} to it against "
                f"{ar['no_deal_value']:.2f} for the status quo, in discounted shares."
            )
        tb = ar.get("targets_belief")
        if tb is not None:
            lines.append(
                f"  The targets believe {ch} would fight if refused with probability "
                f"{_share(tb)} ({_share(ar['targets_prior'])} without its mobilisation; "
                "Fearon 1997): that is what the build-up buys at the table"
                + (
                    f": the most the targets concede rises from "
                    f"{ar['high_without_signal']:.3f} to {ar['high']:.3f} of the pie."
                    if ar.get("high_without_signal") is not None
                    else "."
                )
            )
        sg = ar.get("signal")
        if sg and sg["v_fight"] is None:  # p_win 0: no valuation fights a war it cannot win
            lines.append(
                f"  The build-up has cost {ch} {sg['sunk']:.3f} of the pie so far, but with no "
                f"chance of prevailing no {ch} would fight: it signals nothing (Fearon 1997)."
            )
        elif sg:
            more = sg["months_more_to_separate"]
            lines.append(
                f"  Is the build-up credible? It has cost {ch} {sg['sunk']:.3f} of the pie so "
                f"far. Only a {ch} that values the stakes above that would pay it, so it screens "
                f"out the bluffers who value them less; it would separate every bluffer (belief "
                f"1) only once the sunk cost reached {sg['v_fight']:.3f}, the valuation below "
                f"which {ch} would not fight (cost of war / p_win)"
                + (f", about {more:.0f} more months at this rate" if more is not None else "")
                + " (Fearon 1997)."
            )
        resp = ar.get("responses") or {}
        if resp:
            groups: dict[str, list[str]] = {}
            for t, v in resp.items():
                groups.setdefault(v["response"], []).append(f"{t} {v['cost']:.2f}")
            words = {"fight": "would fight", "resist": "would resist without fighting"}
            lines.append(
                "  If refused and "
                + ch
                + " used force: "
                + "; ".join(f"{words[k]} ({', '.join(v)})" for k, v in groups.items())
                + " (each target's cost of its response, share of the stakes; crisis.responses)."
            )
    rg = r["range"]
    lo, hi = rg["low"]["value"], rg["high"]["value"]
    if rg["empty"]["value"]:
        lines.append(
            f"Fearon's range (a deal against war only, one shot): EMPTY. No deal is better than "
            f"war for both sides once public commitments are counted ({ch} needs at least "
            f"{_share(lo)}, the targets concede at most {_share(hi)})."
        )
    else:
        lines.append(
            f"Fearon's range (a deal against war only, one shot): any deal giving {ch} between "
            f"{_share(lo)} and {_share(hi)} of the pie beats war for both sides."
        )
    if "share_of_draws" in rg["empty"]:
        lines.append(
            f"  Across the input ranges the range is empty in "
            f"{_pct(rg['empty']['share_of_draws'])} of draws."
        )
    off = r["offer"]
    br = r["brinkmanship"]
    if br["hazard_per_month"] is None or br["deadline_months"] is None:
        accident = " (no brinkmanship hazard and deadline given, so no risk of war by accident)"
    else:
        accident = (
            f" combined with a {_pct(br['probability']['value'])} risk of slipping into war by "
            f"accident before the deadline ({br['hazard_per_month']:g} per month over "
            f"{br['deadline_months']:g} months)"
        )
    lines.append(
        f"Conditional escalation risk: if {prop} makes its best take-it-or-leave-it offer ({ch} "
        "share "
        f"{_share(off['challenger_share']['value'])}), the probability of escalation is "
        f"{_pct(off['escalation']['value'])}{_ci(off['escalation'])}: "
        f"a {_pct(off['p_war']['value'])} chance that the offer is rejected (belief about the "
        f"responder's cost of war: {r['belief']}){accident}."
    )
    nbs = r["nbs"]
    lines.append(
        f"Bargaining in the shadow of war (Nash, war as disagreement): {ch} gets "
        f"{_share(nbs['challenger_share']['value'])}, escalation risk "
        f"{_pct(nbs['escalation']['value'])}"
        + ("" if nbs["in_range"]["value"] else " (outside the bargaining range)")
        + "."
    )
    sig = r["signal"]
    if sig is not None:
        if not sig["possible"]["value"]:
            why = (
                "the targets would rather fight or resist than concede everything even to a "
                "challenger sure to fight"
                if (sig["needed"]["value"] or math.inf) > 1
                else f"no valuation of the stake would make {ch} fight"
            )
            lines.append(
                "Costly signal, Fearon's (1997) all-or-nothing test: no mobilisation by "
                f"{ch} can make the targets concede the whole stake ({why}; they concede all "
                "only if p + c_T > 1). The build-up buys a partial concession at most (the "
                "targets' belief above), never capitulation."
            )
        elif sig["credible_now"]["value"]:
            lines.append(
                f"Costly signal: {ch}'s mobilisation so far (sunk cost "
                f"{_share(sig['sunk']['value'])}) is already credible; the minimum was "
                f"{_share(sig['k_star']['value'])}, about {sig['months_needed']['value']:.1f} "
                "months."
            )
        else:
            lines.append(
                f"Costly signal: not yet credible. {ch} must sink "
                f"{_share(sig['k_star']['value'])} (about "
                f"{sig['months_needed']['value']:.1f} months; "
                f"{sig['months_left']['value']:.1f} more); cheaper signals are cheap talk."
            )
        if 0 < sig["credible_now"].get("share_of_draws", 0) < 1:
            lines.append(f"  Credible in {_pct(sig['credible_now']['share_of_draws'])} of draws.")
    ps = r["power_shift"]
    if ps is not None:
        declines = ps["challenger_declines"]["value"]
        who = ch if declines else "the targets"
        verdict = "prefers" if ps["preventive_war"]["value"] else "does not prefer"
        lines.append(
            f"Shifting power: the declining side ({who}) {verdict} preventive war now "
            f"(war worth {ps['war_value']['value']:.2f} vs the best credible peace "
            f"{ps['peace_value']['value']:.2f}); it would whenever {ch}'s future odds of "
            f"prevailing are {'below' if declines else 'above'} "
            f"{_share(ps['critical_p_future']['value'])}."
        )
    for name, m in r["models"].items():
        no_room = m["no_room_to_declare_victory"]
        tail = (
            "no one with a public stake loses face"
            if not no_room
            else "no room to declare victory: " + ", ".join(no_room)
        )
        off = m["escalation_if_offered"]
        as_form = f" (as a {oc['form']})" if oc and oc.get("form") else ""
        lines.append(
            f"Package {name}: {ch} share {_share(m['challenger_share']['value'])}{as_form}; if "
            "offered as "
            f"take-it-or-leave-it, escalation {_pct(off['value'])}{_ci(off)} (conditional); "
            f"{tail}."
        )
    return "\n".join(lines)
