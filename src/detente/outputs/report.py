"""Briefing report: one self-contained HTML file (inline SVG, no network), Markdown, PNG figures.

:func:`build_report` computes every section's data and figures; :func:`render_html` and
:func:`render_markdown` write them out. Figures are drawn with matplotlib (Agg backend) and
inlined as SVG, so the HTML opens offline; :func:`write_pngs` saves the same figures as PNG for
slides. The sensitivity tornado comes from :func:`tornado`, a small one-at-a-time computation
that a fuller sensitivity analysis can later replace.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from detente.analyses.forked import Forked
from detente.arrays import ScenarioArrays
from detente.outputs.advice_text import pivotal_name
from detente.scenario import Loaded

#: Claims of the source article (Frolov, December 2021) that the default scenario's advice is
#: checked against: (actor, test on the advice, claim in words). Each test reads the engine's
#: numbers; the report says whether the engine agrees.
ARTICLE = "russia-nato-2021"


@dataclass
class Figure:
    """A drawn figure: id, caption, inline SVG and the matplotlib figure (for PNG).

    ``rendering`` is the SVG text, or a pending rendering (:class:`_Inline`, :class:`Forked`)
    that :attr:`svg` completes on first use: a Markdown report without figures never renders
    them, and the CLI renders an HTML report's figures in child processes while it computes the
    rest.
    """

    id: str
    caption: str
    rendering: Any = field(repr=False)
    fig: Any = field(repr=False, default=None)

    @property
    def svg(self) -> str:
        """The figure as inline SVG (:func:`_svg`)."""
        if not isinstance(self.rendering, str):
            self.rendering = self.rendering.result()
        return self.rendering


class _Inline:
    """An SVG rendering done when first asked for, in this process."""

    def __init__(self, fig: Any) -> None:
        self.fig = fig

    def result(self) -> str:
        return _svg(self.fig)


#: How :func:`build_report` renders the figures' SVG: ``"lazy"`` in this process when first
#: used; ``"forked"`` each in a child process started as soon as the figure is drawn (where
#: ``os.fork`` exists; the CLI's choice for HTML), while this process computes the rest, with
#: every advised actor advised by a child started at once; ``"now"`` at once, here.
SvgMode = Literal["lazy", "forked", "now"]


@dataclass
class Report:
    """Everything a report shows, computed once."""

    title: str
    source: str
    summary: list[str]
    forecasts: dict[str, dict[str, float]]
    issues: list[str]
    status_quo: dict[str, float | None]
    advice: dict[str, dict[str, Any]]
    article: list[dict[str, str]]
    sources: list[str]
    rationales: list[tuple[str, str]]
    figures: list[Figure]
    options: dict[str, Any]
    outcome: dict[str, Any] | None = None
    checks: dict[str, Any] | None = None
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    #: (package, form, body, yes, needed, passed, why) for the headline package and proposals
    ratification: list[list[str]] = field(default_factory=list)
    crisis_text: list[str] = field(default_factory=list)
    inputs: list[list[str]] = field(default_factory=list)


def _svg(fig: Any) -> str:
    """The figure as inline SVG, byte-identical for the same input: no date, and element ids
    salted with a constant instead of random (Matplotlib's ``svg.hashsalt``)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "detente"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _subplots(*args: Any, figsize: tuple[float, float], **kw: Any) -> tuple[Any, Any]:
    """A figure outside pyplot's registry (nothing global stays open) and its axes."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9})
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kw)


def _cycle(k: int) -> str:
    """The k-th colour of a qualitative cycle (for models and components, not actors)."""
    cycle = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
             "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip
    return cycle[k % len(cycle)]


def actor_colours(sc: Any) -> dict[str, str]:
    """A distinct colour per actor, grouped by the actors' ``group``: every group has a hue
    band of its own and its members distinct shades in it (up to about 30 actors).

    >>> from detente.scenario import load_scenario
    >>> c = actor_colours(load_scenario("russia-nato-2021"))
    >>> len(set(c.values())) == len(c)
    True
    """
    import colorsys

    groups: dict[str, list[str]] = {}
    for a in sc.actors:
        groups.setdefault(a.group or "", []).append(a.id)
    n = len(groups)
    out: dict[str, str] = {}
    for g, (_, members) in enumerate(groups.items()):
        band = 1.0 / max(n, 1)
        for k, aid in enumerate(members):
            m = len(members)
            hue = (g * band + 0.6 * band * (k / max(m - 1, 1))) % 1.0
            light = 0.35 + 0.3 * ((k % 3) / 2)
            sat = 0.85 - 0.25 * ((k // 3) % 2)
            r, gg, b = colorsys.hls_to_rgb(hue, light, sat)
            out[aid] = f"#{int(r * 255):02x}{int(gg * 255):02x}{int(b * 255):02x}"
    return out


def _legend_outside(ax: Any, below: bool = False) -> None:
    """A legend beside (or below) the axes, so that it never covers data."""
    if below:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4)
    else:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1)


def status_quo_of(sc: Any, issue_id: str) -> float | None:
    issue = next(i for i in sc.issues if i.id == issue_id)
    return None if issue.status_quo is None else float(issue.status_quo.centre)


def tornado(
    arrays: ScenarioArrays,
    forecast: Callable[[ScenarioArrays], np.ndarray],
    issue: int,
    factor: float = 0.25,
) -> list[tuple[str, float, float]]:
    """One-at-a-time sensitivity of a forecast on one issue to each actor's capability.

    Each actor's capability is scaled by ``1 - factor`` and ``1 + factor`` in turn; all
    ``2 N`` variants are stacked on the sample axis and forecast in one call. Returns
    ``(actor, low, high)`` changes from the point forecast, largest swing first.
    """
    from dataclasses import replace

    point = arrays.take_samples(0)
    n = point.n_actors
    caps = np.repeat(point.capability, 2 * n, axis=0)
    for a in range(n):
        caps[2 * a, a] *= 1 - factor
        caps[2 * a + 1, a] *= 1 + factor
    stacked = replace(
        point,
        position=np.repeat(point.position, 2 * n, 0),
        salience=np.repeat(point.salience, 2 * n, 0),
        capability=caps,
        status_quo=np.repeat(point.status_quo, 2 * n, 0),
        demand=None if point.demand is None else np.repeat(point.demand, 2 * n, 0),
        publicity=None if point.publicity is None else np.repeat(point.publicity, 2 * n, 0),
        audience_sensitivity=None
        if point.audience_sensitivity is None
        else np.repeat(point.audience_sensitivity, 2 * n, 0),
    )
    base = forecast(point)[0, issue]
    out = forecast(stacked)[:, issue] - base
    rows = [(arrays.actor_ids[a], float(out[2 * a]), float(out[2 * a + 1])) for a in range(n)]
    rows.sort(key=lambda r: -abs(r[2] - r[1]))
    return rows


def _article_checks(
    advice: dict[str, dict[str, Any]],
    outcome: dict[str, Any] | None,
    point_range: dict[str, Any] | None = None,
) -> list[dict[str, str]]:
    """The source article's advice, each claim judged by the quantity it is about.

    Feasibility claims are judged by P(agreement) and P(ratification), claims about face by
    the achievement gap, the pivotal issue by the pivot analysis, escalation by P(escalation);
    never by a utility rank. Where the engine disagrees, ``why`` names the input or mechanism.
    """
    out: list[dict[str, str]] = []
    rus = advice.get("RUS")
    if rus is None:
        return out
    base = rus["baseline"]

    every = [*rus["moves"], *rus.get("no_effect_moves", [])]

    def find(kind: str, text: str) -> dict[str, Any] | None:
        return next((m for m in every if m["kind"] == kind and text in m["move"]), None)

    def row(claim: str, quantity: str, agree: bool | None, why: str) -> dict[str, str]:
        verdict = (
            "engine cannot tell"
            if agree is None
            else "engine agrees"
            if agree
            else "engine disagrees"
        )
        return {"claim": claim, "quantity": quantity, "verdict": verdict, "why": why}

    def face_and_feasibility(m: dict[str, Any] | None, claim: str) -> dict[str, str]:
        if m is None:
            return row(claim, "achievement gap, P(agreement)", None, "no such move")
        d_gap = m["achievement_gap"] - base["achievement_gap"]
        d_agr = m["p_agreement"] - base["p_agreement"]
        agree = d_gap < -0.005 or d_agr > 0.005
        why = (
            f"'{m['move']}': Russia's achievement gap {base['achievement_gap']:.3f} -> "
            f"{m['achievement_gap']:.3f}, P(agreement) {base['p_agreement']:.0%} -> "
            f"{m['p_agreement']:.0%}"
        )
        if d_agr <= 0.005:
            why += (
                "; P(agreement) hardly moves because Russia's alternative binds: it prefers war "
                f"to the status quo in {base['p_escalation_no_deal']:.0%} of draws (crisis "
                "inputs p_win, cost_challenger and the power shift p_future)"
            )
        return row(claim, "achievement gap, P(agreement)", agree, why)

    fa = rus["pivotal"].get("for_agreement") or {}
    stuck = all(
        abs(r["p_agreement"] - r["p_agreement_baseline"]) < 0.005 for r in rus["pivotal"]["issues"]
    )
    if fa.get("issue") and stuck:
        out.append(
            row(
                "Non-expansion is the pivotal issue: 'hit precisely at this point'.",
                "the issue whose step toward Russia raises P(agreement) most",
                None,
                "the engine cannot tell: a step toward Russia on any single issue leaves "
                f"P(agreement) at {fa['p_agreement_baseline']:.0%}, because Russia's alternative "
                "binds in nearly every draw (it prefers war to any package the targets sign). "
                + rus["pivotal"]["why"],
            )
        )
    elif fa.get("issue"):
        step = rus["options"]["pivot_step"]
        out.append(
            row(
                "Non-expansion is the pivotal issue: 'hit precisely at this point'.",
                "the issue whose step toward Russia raises P(agreement) most",
                fa["issue"] == "enlargement",
                f"a step of {step:.0%} of the scale toward Russia on {fa['issue']} raises "
                f"P(agreement) from {fa['p_agreement_baseline']:.0%} to {fa['p_agreement']:.0%},"
                f" more than on any other issue. {rus['pivotal']['why']}",
            )
        )
    out.append(
        face_and_feasibility(
            find("focus", "focus on enlargement;"),
            "Stop 'spraying' demands over auxiliary topics; focus on non-expansion.",
        )
    )
    drafts = [m for m in every if m["kind"] == "proposal" and "russia-draft" in m["move"]]
    if drafts:
        worst = max(m["p_ratification"] for m in drafts)
        out.append(
            row(
                "Russia's draft treaties cannot be ratified (67 senators, all 30 allies).",
                "P(ratification) of the drafts",
                worst <= 0.05,
                "; ".join(
                    f"'{m['move']}': P(ratification) {m['p_ratification']:.0%} as a "
                    f"{m['form']}, P(agreement) {m['p_agreement']:.0%}"
                    for m in drafts
                ),
            )
        )
    if outcome is not None and outcome.get("by_form"):
        forms = outcome["by_form"]
        model = next(iter(rus["models"]))
        if "treaty" in forms and "declaration" in forms and model in forms["treaty"]:
            tr, de = forms["treaty"][model], forms["declaration"][model]

            def in_force(x: dict[str, Any]) -> float:
                return x["p_agreement"] * (x["p_ratified_given_agreement"] or 0.0)

            bodies_tr, bodies_de = tr["p_bodies_pass"], de["p_bodies_pass"]
            agree = bodies_de > bodies_tr + 0.005 or in_force(de) > in_force(tr) + 0.005
            why = (
                f"{model}'s package: the treaty's bodies (67 senators, 30 parliaments, the Duma) "
                f"pass it in {bodies_tr:.0%} of draws, the North Atlantic Council passes it as a "
                f"declaration in {bodies_de:.0%}"
            )
            if max(tr["p_agreement"], de["p_agreement"]) < 0.005:
                why += (
                    "; but every signatory signs it in neither form: signing, not ratification, "
                    "is what fails under these inputs"
                )
            else:
                why += f"; in force as a treaty in {in_force(tr):.0%}, as a declaration in "
                why += f"{in_force(de):.0%}"
            out.append(
                row(
                    "A political declaration at the Madrid summit is feasible where a treaty "
                    "is not.",
                    "P(the form's bodies pass the package) and P(in force), by form",
                    agree,
                    why,
                )
            )
    rec = find("reciprocity", "on reciprocity")
    if rec is not None:
        d_agr = rec["p_agreement"] - base["p_agreement"]
        stuck = max(rec["p_agreement"], base["p_agreement"]) < 0.005
        out.append(
            row(
                "Reciprocity (Kaliningrad, Crimea) would widen what partners can accept.",
                "P(agreement)",
                None if stuck else d_agr > 0.005,
                f"'{rec['move']}': P(agreement) {base['p_agreement']:.0%} -> "
                f"{rec['p_agreement']:.0%}; the targets' acceptance depends on the share of the "
                "pie they concede, and reciprocity carries 5% of the stakes",
            )
        )
    out.append(
        face_and_feasibility(
            find("publicity", "every public demand"),
            "The public ultimatum leaves no room to declare victory; lower it.",
        )
    )
    shorter = find("deadline", "shorten the deadline")
    why = (
        f"P(escalation) {base['p_escalation']:.0%} over {rus['samples']} draws "
        f"({base['p_escalation_no_deal']:.0%} with no deal in force)"
    )
    if shorter is not None and "p_talks_in_time" in shorter:
        why += (
            f"; halving the deadline leaves the talks time to agree a text in "
            f"{shorter['p_talks_in_time']:.0%} of draws instead of "
            f"{base.get('p_talks_in_time', 1.0):.0%} (crisis.talks_months) and changes "
            f"P(escalation) to {shorter['p_escalation']:.0%}: the danger here is Russia's "
            "preference for war over the status quo, which no deadline changes"
        )
    out.append(
        row(
            "The likelihood of escalation remains, with unrealistic requests and short deadlines.",
            "P(escalation)",
            base["p_escalation"] >= 0.5,
            why,
        )
    )
    if point_range and point_range.get("high_without_signal") is not None:
        gain = point_range["high"] - point_range["high_without_signal"]
        out.append(
            row(
                "The build-up is no bluff: 'the threat of using force does not work if its use "
                "is ruled out in advance'; it brought Washington to the table.",
                "the targets' belief that Russia would fight, and the most they concede",
                gain > 0,
                f"the sunk cost of the build-up raises the targets' belief from "
                f"{point_range['targets_prior']:.2f} to {point_range['targets_belief']:.2f} "
                f"(Fearon 1997) and the most they concede from "
                f"{point_range['high_without_signal']:.3f} to {point_range['high']:.3f} of the "
                f"pie; Russia needs at least {point_range['low']:.2f}, so the concession it buys "
                "does not close the gap",
            )
        )
    return out


def _pct0(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _advised_actors(sc: Any, point: Any) -> list[str]:
    """The crisis's challenger and proposer, else the two actors of most clout at ``point``."""
    if sc.crisis is not None:
        return list(dict.fromkeys([sc.crisis.challenger, sc.crisis.proposer_id]))
    a = point
    clout = a.weights()[0].sum(axis=1)
    return [a.actor_ids[i] for i in np.argsort(-clout, kind="stable")[:2]]


def build_report(
    scenario: str | Loaded | None,
    samples: int = 200,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    svg: SvgMode = "lazy",
) -> Report:
    """Compute every section of the report for a scenario (loaded, or a file or bundled name).

    ``svg`` says how the figures are rendered (:data:`SvgMode`); the SVG text is the same in
    every mode. ``"forked"`` needs ``os.fork`` (else it renders lazily) and should not be used
    in a process with other threads at work (a web server): the CLI uses it.
    """
    from detente import api
    from detente.analyses.advice import AdviceOptions, advise
    from detente.analyses.crisis import analyse_crisis
    from detente.analyses.ratification import body_winset_1d
    from detente.models.base import registry
    from detente.scenario import compile_scenario, load
    from detente.scenario.crisis import compile_crisis
    from detente.scenario.ratification import compile_ratification

    step = progress or (lambda _msg: None)
    forked = svg == "forked" and hasattr(os, "fork")

    loaded = scenario if isinstance(scenario, Loaded) else load(scenario)
    sc = loaded.scenario

    def advice_of(actor: str) -> dict[str, Any]:
        return advise(sc, actor, AdviceOptions(samples=samples), seed=seed)

    point = compile_scenario(sc, name=loaded.source)
    advised = _advised_actors(sc, point)
    # forked: the advised actors' advice (about 0.5 s each, needing nothing computed below) is
    # worked out by children from the start, on the other CPU, while this process computes the
    # rest; the same numbers (a child that fails is replaced by the work done here)
    early = {a: Forked(advice_of, a) for a in advised} if forked else {}
    issues = list(point.issue_ids)
    figures: list[Figure] = []

    def add(fid: str, caption: str, fig: Any) -> None:
        if forked:
            rendering: Any = Forked(_svg, fig)
        else:
            rendering = _svg(fig) if svg == "now" else _Inline(fig)
        figures.append(Figure(fid, caption, rendering, fig))

    step(f"forecasts of every model and the outcome over {samples} draws")
    fc = api.forecast(loaded, seed=seed, samples=samples, keep_draws=True)
    forecasts = fc["forecasts"]
    outcome = fc.get("outcome")

    colours = actor_colours(sc)
    headline = fc["headline"]["model"] or next(iter(forecasts))

    step("round-by-round simulation")
    dynamic = next((n for n, c in registry().items() if c.dynamic and n in forecasts), None)
    if dynamic:
        sim = api.simulate(loaded, dynamic, seed=seed)
        rounds = sim["rounds"]
        fig, axes = _subplots(1, 2, figsize=(11, 5.2))
        for k, iid in enumerate(issues):
            axes[0].plot(
                [r["forecast"][iid] for r in rounds], marker=".", label=iid, color=_cycle(k)
            )
        axes[0].set(
            xlabel="round", ylabel="forecast (issue scale)", title=f"{dynamic}: forecast by round"
        )
        _legend_outside(axes[0], below=True)
        focus = issues[0]
        for actor in point.actor_ids:
            ys = [r["positions"].get(actor, {}).get(focus) for r in rounds]
            if ys[0] is not None:
                axes[1].plot(ys, marker=".", label=actor, color=colours[actor])
        axes[1].set(
            xlabel="round",
            ylabel=f"position on {focus} (issue scale)",
            title=f"{dynamic}: positions on {focus}",
        )
        _legend_outside(axes[1], below=True)
        add(
            "rounds",
            f"Round by round ({dynamic}): the forecast on every issue (left) and each actor's "
            f"position on {focus} (right; colours by actor group)",
            fig,
        )

    step("outcome distributions (the outcome model's draws)")
    draws = fc.get("draws") or {}
    fast = [m for m in (headline, "compromise", "detente") if m in draws]
    fast = list(dict.fromkeys(fast))[:2]
    if fast:
        fig, ax = _subplots(figsize=(11, 4.0))
        pos = np.arange(len(issues))
        width = 0.8 / len(fast)
        handles = []
        for k, m in enumerate(fast):
            bp = ax.boxplot(
                draws[m],
                positions=pos + (k - (len(fast) - 1) / 2) * width,
                widths=width * 0.85,
                patch_artist=True,
                showfliers=False,
                whis=(5, 95),
            )
            for box in bp["boxes"]:
                box.set(facecolor=_cycle(k), alpha=0.6)
            for med in bp["medians"]:
                med.set(color="k", linewidth=1.5)
            handles.append(bp["boxes"][0])
        sq_x = [j for j, i in enumerate(issues) if status_quo_of(sc, i) is not None]
        sq_line = ax.scatter(
            sq_x,
            [status_quo_of(sc, issues[j]) for j in sq_x],
            marker="D",
            color="k",
            zorder=5,
            s=18,
        )
        ax.set_xticks(pos, issues, rotation=30, ha="right")
        ax.set(
            ylabel="outcome on the issue's scale",
            title=f"Each model's package over the {samples} draws (boxes 25-75%, whiskers 5-95%)",
        )
        ax.legend([*handles, sq_line], [*fast, "status quo"], fontsize=7, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))  # fmt: skip
        add(
            "distributions",
            "Packages over the draws: one box per model and issue; a flat box means the model "
            "gives the same value in every draw (a controlled or vetoed issue, say). Fitted "
            "models' boxes include their validated error (docs/outcome.md).",
            fig,
        )

    cr_out = None
    if sc.crisis is not None:
        step("crisis: bargaining range")
        cr = compile_crisis(sc, arrays=point)
        pf = {m: np.array([[v[i] for i in issues]]) for m, v in forecasts.items()}
        cr_out = analyse_crisis(cr, point, pf)
        rg = (fc.get("checks") or {}).get("range")
        fig, ax = _subplots(figsize=(11, 3.6))
        lo, hi = float(cr_out["range"]["low"][0]), float(cr_out["range"]["high"][0])
        ax.barh(
            [0.6], [max(hi - lo, 0.002)], left=[lo], height=0.3, color="#c6dbef",
            label="Fearon's range (deal vs war, one shot)",
        )  # fmt: skip
        if rg is not None:
            a_lo, a_hi = rg["low"], rg["high"]
            colour = "#fcbba1" if rg["empty"] else "#a1d99b"
            ax.barh(
                [0.0], [max(a_hi - a_lo, 0.002) if not rg["empty"] else a_lo - a_hi],
                left=[min(a_lo, a_hi)], height=0.3, color=colour,
                label="acceptable range (every signatory signs)" if not rg["empty"]
                else "gap: no package every signatory signs",
            )  # fmt: skip
            ax.plot([a_lo], [0.0], "|", color="C3", ms=22, mew=2)
            ax.plot([a_hi], [0.0], "|", color="C2", ms=22, mew=2)
            ax.annotate(f"{sc.crisis.challenger} needs {a_lo:.2f}", (a_lo, 0.2), fontsize=7,
                        color="C3", ha="center")  # fmt: skip
            ax.annotate(f"targets concede {a_hi:.2f}", (a_hi, -0.28), fontsize=7, color="C2",
                        ha="center")  # fmt: skip
        ax.axvline(float(cr.p_win[0]), color="k", ls="--", lw=0.8, label="p (challenger wins)")
        ax.plot(
            [float(cr_out["offer"]["challenger_share"][0])], [0.6], "v", color="k",
            label="proposer's optimal offer",
        )  # fmt: skip
        shares = sorted(
            ((float(v["challenger_share"][0]), m) for m, v in cr_out["models"].items()),
        )
        for k, (x, m) in enumerate(shares):  # staggered labels: no two overlap
            yk = -0.55 - 0.12 * (k % 4)
            ax.plot([x], [-0.45], "o", ms=4, color=_cycle(k))
            ax.annotate(m, (x, yk), fontsize=7, ha="center", color=_cycle(k))
        below = [m for x, m in shares if rg is not None and x < rg["low"]]
        ax.set(
            xlim=(0, 1),
            ylim=(-1.1, 1.0),
            yticks=[],
            xlabel=f"{sc.crisis.challenger}'s share of the pie at stake (0 = nothing it wants, "
            "1 = everything)",
        )
        ax.set_title("Bargaining ranges and each model's package at the centre of the inputs")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        caption = "Ranges in the challenger's share of the pie; dots: each model's package."
        if below:
            caption += (
                f" {len(below)} of {len(shares)} packages give {sc.crisis.challenger} less than "
                f"it signs for ({', '.join(below)}): it would rather fight."
            )
        add("range", caption, fig)

        step("achievement gaps")
        fig, ax = _subplots(figsize=(11, 3.8))
        models_g = list(cr_out["models"])
        width = 0.8 / max(1, len(models_g))
        x = np.arange(point.n_actors)
        for k, m in enumerate(models_g):
            ax.bar(x + k * width, cr_out["models"][m]["gap"][0], width, label=m, color=_cycle(k))
        ax.set_xticks(x + 0.4, point.actor_ids, rotation=30)
        ax.set(
            ylabel="achievement gap (0 = got its public demands, 1 = nothing of them)",
            title="Achievement gaps by actor and model",
        )
        _legend_outside(ax)
        add(
            "gaps",
            "Achievement gap: the publicity-weighted shortfall of each model's package from the "
            "actor's public demands (models.md C.2)",
            fig,
        )

    if sc.bodies:
        step("win-sets against forecasts")
        import textwrap

        comp = compile_ratification(sc, status_quo=point.status_quo)
        n_b = len(comp.bodies)
        fig, axes = _subplots(1, n_b, figsize=(3.2 * n_b + 1, 4.2), sharey=True, squeeze=False)
        marks = [(m, s) for m, s in ((headline, "oC0"), ("detente", "xC3")) if m in forecasts]
        marks = list(dict.fromkeys(marks))
        for b, body in enumerate(comp.bodies):
            ax = axes[0, b]
            for j, iid in enumerate(issues):
                ws = body_winset_1d(body, j)
                if not np.isnan(ws.low[0]):
                    ax.plot([ws.low[0], ws.high[0]], [j, j], lw=6, color="#a1d99b")
                ax.plot([ws.sq[0]], [j], "|", color="k", ms=10)
                for m, style in marks:
                    ax.plot([forecasts[m][iid]], [j], style, ms=4)
            ax.set_title("\n".join(textwrap.wrap(body.label, 24)), fontsize=8)
            ax.set(
                xlim=(point.scale_min.min(), point.scale_max.max()),
                xlabel="issue scale",
            )
            ax.set_yticks(range(len(issues)), issues, fontsize=7)
        add(
            "winsets",
            "Win-sets issue by issue: green, what a body passes when that issue alone moves and "
            "every other issue stays at the status quo (|); markers: "
            + ", ".join(f"{'o' if s.startswith('o') else 'x'} {m}" for m, s in marks)
            + ". A whole package is voted on all issues at once: see the ratification table.",
            fig,
        )

    step("advice")

    advice = {a: early[a].result() if a in early else advice_of(a) for a in advised}
    for actor, r in advice.items():
        import textwrap

        top = r["moves"][:10]
        if not top:
            continue
        fig, ax = _subplots(figsize=(11, 0.45 * len(top) + 1.6))
        comps = [
            "agreement",
            "ratification",
            "escalation",
            "achievement_gap",
            "durable_value",
            "other",
        ]
        names = {
            "agreement": "P(agreement)",
            "ratification": "P(ratification)",
            "escalation": "P(escalation) without a deal",
            "achievement_gap": "achievement gap",
            "durable_value": "durable value",
            "other": "costs of war, no deal, mobilisation",
        }
        y = np.arange(len(top))[::-1]
        left_pos = np.zeros(len(top))
        left_neg = np.zeros(len(top))
        for k, c in enumerate(comps):
            v = np.array([m["breakdown"][c] for m in top])
            start = np.where(v >= 0, left_pos, left_neg)
            ax.barh(y, v, left=start, label=names[c], color=_cycle(k))
            left_pos += np.maximum(v, 0)
            left_neg += np.minimum(v, 0)
        ax.set_yticks(y, ["\n".join(textwrap.wrap(m["move"], 48)) for m in top], fontsize=7)
        ax.axvline(0, color="k", lw=0.8)
        span = max(float(left_pos.max(initial=0)), float(-left_neg.min(initial=0)), 1e-6)
        ax.set_xlim(-1.15 * span, 1.15 * span)
        ax.set(
            xlabel="change in expected utility (dEU, 0..1 utility scale)",
            title=f"{actor}: top moves and what drives them",
        )
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        add(
            f"moves-{actor}",
            f"{actor}'s ranked moves. dEU is the change of its expected utility from the "
            "baseline, split among the components by Shapley values so that the parts add up; "
            "a negative part for a move that raises P(agreement) means the deals it adds are "
            "worth less to the actor than its alternative (docs/advice.md).",
            fig,
        )

    step("sensitivity (one input at a time)")
    from detente.analyses.sensitivity import oat

    sens = oat(sc, models=[headline], seed=seed, top=10, source=loaded.source)
    esc_key = f"P(escalation) under {headline}"
    fc_keys = [k for k in sens["outputs"] if k.startswith(f"{headline} forecast of ")]
    moved = max(
        fc_keys,
        key=lambda k: max((d["swing"] for d in sens["outputs"][k]["drivers"]), default=0.0),
    )
    panels = [k for k in (moved, esc_key) if k in sens["outputs"]]
    fig, axes = _subplots(1, len(panels), figsize=(11, 4.4), squeeze=False)
    for ax, key in zip(axes[0], panels, strict=True):
        rows = sens["outputs"][key]["drivers"][:10]
        yy = np.arange(len(rows))[::-1]
        base = sens["outputs"][key]["at_centres"]
        ax.barh(yy, [r["output_at_low"] - base for r in rows], color="#fc9272",
                label="input at its 5% quantile")  # fmt: skip
        ax.barh(yy, [r["output_at_high"] - base for r in rows], color="#9ecae1",
                label="input at its 95% quantile")  # fmt: skip
        ax.set_yticks(yy, [r["input"] for r in rows], fontsize=7)
        ax.axvline(0, color="k", lw=0.8)
        ax.set(xlabel=f"change of {key}", title=key)
        ax.legend(fontsize=7, loc="lower right")
    add(
        "tornado",
        "Which uncertain inputs move the headline results most, one at a time from the 5% to "
        "the 95% quantile with the others at their centres (detente sensitivity).",
        fig,
    )

    step("ratification by form and body")
    ratification_rows = _ratification_rows(sc, point, forecasts, headline)
    crisis_text: list[str] = []
    point_range = None
    if sc.crisis is not None:
        step("crisis analysis in words")
        from detente.analyses.crisis_report import crisis_report
        from detente.outputs.crisis_text import summary_text

        rep_ = crisis_report(
            sc, point, np.random.default_rng(seed), source=loaded.source,
            models=[headline], outcome=outcome,
        )  # fmt: skip
        crisis_text = summary_text(rep_).splitlines()
        point_range = rep_.get("acceptable_range")
    step("summary and sources")
    summary = _summary(sc, forecasts, headline, cr_out, advice, issues, fc)
    article = (
        _article_checks(advice, outcome, point_range)
        if loaded.source == ARTICLE or sc.meta.title.startswith("Russia-NATO")
        else []
    )
    sources = []
    for s in sc.meta.sources:
        if isinstance(s, str):
            sources.append(s)
        else:
            sources.append(
                " ".join(x for x in (s.title, f"({s.date})" if s.date else "", s.note or "") if x)
            )
    rationales = [(f"actor {a.id}", a.why) for a in sc.actors if a.why]
    rationales += [(f"issue {i.id}", i.why) for i in sc.issues if i.why]
    rationales += [(f"{s.actor} on {s.issue}", s.why) for s in sc.stances if s.why]
    return Report(
        title=sc.meta.title,
        source=loaded.source,
        summary=summary,
        forecasts=forecasts,
        issues=issues,
        status_quo={
            i.id: (None if i.status_quo is None else float(i.status_quo.centre)) for i in sc.issues
        },
        advice=advice,
        article=article,
        sources=sources,
        rationales=rationales,
        figures=figures,
        options={
            "samples": samples,
            "seed": seed,
            "models": fc["models"],
            "headline": fc["headline"],
        },
        outcome=outcome,
        checks=fc.get("checks"),
        diagnostics=fc.get("diagnostics", []),
        ratification=ratification_rows,
        crisis_text=crisis_text,
        inputs=_input_rows(sc),
    )


def _ratification_rows(
    sc: Any, point: ScenarioArrays, forecasts: dict[str, dict[str, float]], headline: str
) -> list[list[str]]:
    """Votes of every body on the headline package and each proposal, in every form."""
    from detente.analyses.ratification import form_votes
    from detente.scenario.ratification import compile_ratification

    if not sc.forms:
        return []
    rat = compile_ratification(sc, status_quo=point.status_quo)
    packages = [
        (f"{headline} package", np.array([forecasts[headline][i] for i in point.issue_ids]))
    ]
    packages += [(f"proposal {pid}", rat.packages[0, k]) for k, pid in enumerate(rat.proposal_ids)]
    rows = []
    for name, x in packages:
        for form in rat.forms:
            bodies = rat.form_bodies(form)
            if not bodies:
                rows.append([name, form.id, "(no vote)", "", "", "yes"])
                continue
            votes = form_votes(form.carry(x[None]), bodies)
            for k, b in enumerate(bodies):
                rows.append(
                    [
                        name,
                        form.id,
                        b.label if hasattr(b, "label") else b.id,
                        str(int(votes.yes[0, k])),
                        str(b.threshold),
                        "yes" if votes.passed[0, k] else "NO",
                    ]
                )
    return rows


def _input_rows(sc: Any) -> list[list[str]]:
    """The stance table as an analyst reads it: the numbers next to their rationale."""
    rows = []
    for s in sc.stances:
        dem = "" if s.demand is None else f"{s.demand.describe()}"
        pub = "" if s.publicity is None else f"{s.publicity.describe()}"
        cap = "" if s.capability is None else s.capability.describe()
        rows.append(
            [
                s.actor,
                s.issue,
                s.position.describe(),
                s.salience.describe(),
                cap,
                dem,
                pub,
                s.why or "",
            ]
        )
    return rows


#: columns of the inputs table (:func:`_input_rows`)
INPUT_COLUMNS = [
    "actor",
    "issue",
    "position",
    "salience",
    "capability",
    "demand",
    "publicity",
    "why",
]


def glossary_items() -> list[tuple[str, str]]:
    """The report's glossary: every entry of ``glossary.md`` but the commands and options."""
    from detente.glossary import report_entries

    return [(e.term, e.text.replace("\n\n", " ")) for e in report_entries()]


def _summary(sc, forecasts, headline, cr_out, advice, issues, fc=None) -> list[str]:
    """The executive summary: what is robust across models and draws first, then details."""
    out = []
    oc = (fc or {}).get("outcome")
    head = (fc or {}).get("headline", {})
    if oc is not None:
        ps = [m["p_agreement"] for m in oc["models"].values()]
        es = [m["p_escalation"] for m in oc["models"].values()]
        lead = oc["models"].get(headline)
        form = f" as {oc['form']}" if oc.get("form") else ""

        def span(xs: list[float]) -> str:
            lo, hi = min(xs), max(xs)
            if round(lo, 2) == round(hi, 2):
                return f"{lo:.0%} for every model's package"
            return f"{lo:.0%} to {hi:.0%} across the models' packages"

        out.append(
            f"Over {oc['samples']} draws of the inputs (seed {oc['seed']}), P(agreement){form} "
            f"is {span(ps)} and P(escalation) {span(es)}; with no deal in force it is "
            f"{oc['p_escalation_no_deal']:.0%}."
        )
        if lead is not None:
            out.append(f"Headline ({headline}'s package): {lead['headline']}.")
        checks = (fc or {}).get("checks") or {}
        rg = checks.get("range")
        if rg is not None:
            txt = (
                f"At the centre of the inputs {rg['challenger']} signs only for at least "
                f"{rg['low']:.2f} of the pie and the targets concede at most {rg['high']:.2f}"
            )
            txt += ": no package is acceptable to all." if rg["empty"] else "."
            parts = rg.get("parts")
            if rg["power_shift"] and parts:
                txt += (
                    f" {rg['challenger']} would sign for {parts['one_shot']:.2f} in a one-shot "
                    f"crisis (Fearon 1995) and for {parts['over_years']:.2f} valued over years; "
                    f"its odds of prevailing, expected to fall from {rg['p_win']:.2f} to "
                    f"{rg['p_future']:.2f}, raise that to {parts['with_decline']:.2f}: war now "
                    "beats a smaller share later (Powell 2006)."
                )
            out.append(txt)
        drivers = oc.get("range_open_drivers") or []
        opened = (oc.get("p_range_open") or {}).get(oc.get("form"))
        if drivers and opened is not None:
            out.append(
                f"Some package would be signed by all in {opened:.0%} of draws; those draws "
                "differ most in "
                + "; ".join(
                    f"{d['input']} ({d['mean_open']:.3g} there, {d['mean_closed']:.3g} elsewhere)"
                    for d in drivers
                )
                + ": what would have to be true for a deal."
            )
        if head.get("why"):
            out.append(f"Headline model: {headline}, because {head['why']}.")
    from detente.scenario.ratification import carrier

    form = sc.forms[0].id if sc.forms else None
    carried = carrier(sc, form)(np.array([[forecasts[headline][i] for i in issues]]))[0]
    f = dict(zip(issues, carried.tolist(), strict=True))  # as the headline form carries it
    label = {i.id: i for i in sc.issues}
    far = sorted(
        issues,
        key=lambda i: -abs(f[i] - (label[i].status_quo.centre if label[i].status_quo else f[i])),
    )
    moved = [f"{i} to {f[i]:.0f} ('{label[i].label(f[i])}')" for i in far[:3]]
    out.append(
        f"If there is a deal, the {headline} package"
        + (f" as a {form}" if form else "")
        + " moves most from the status quo on "
        + "; ".join(moved)
        + "."
    )
    for r in advice.values():
        best = [m for m in r["moves"] if m["recommended"]][:3]
        txt = f"{r['actor_name']}: " + " ".join(r.get("assessment", [])[:1]) + " "
        if best:
            txt += (
                "Best moves: "
                + "; ".join(f"{m['move']} (dEU {m['delta_eu']:+.4f})" for m in best)
                + ". "
            )
        else:
            txt += "No move improves its expected utility beyond the Monte Carlo noise. "
        if r["pivotal"]["issue"]:
            txt += f"Pivotal issue: {pivotal_name(r['pivotal'])}."
        out.append(txt)
    return out


# --------------------------------------------------------------------------------------------
# Rendering

CSS = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0;display:block;overflow-x:auto;
max-width:100%}td,th{border:1px solid #ccc;
padding:3px 6px;text-align:right}th:first-child,td:first-child{text-align:left}
figure{margin:1em 0;max-width:100%}figcaption{font-size:13px;color:#555}
svg{max-width:100%;height:auto}dd{margin:0 0 .4em 1.5em}
.agree{color:#2a7}.disagree{color:#c33}li{margin:.3em 0}
"""

CHECK_JS = """
<script>
window.addEventListener('load', function () {
  var figs = document.querySelectorAll('figure svg'), drawn = 0;
  figs.forEach(function (s) {
    var marks = s.querySelectorAll('path, use, rect');
    var box = s.getBoundingClientRect();
    if (marks.length > 5 && box.width > 50 && box.height > 50) { drawn += 1; }
  });
  document.body.setAttribute('data-charts', figs.length);
  document.body.setAttribute('data-charts-drawn', drawn);
});
</script>
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _moves_table(r: dict[str, Any], top: int = 12) -> tuple[list[str], list[list[str]]]:
    head = ["#", "move", "dEU", "+-se", "P(agr)", "P(rat)", "P(esc)", "gap", "durable", "advice"]
    rows = []
    for k, m in enumerate(r["moves"][:top], start=1):
        rows.append(
            [
                str(k),
                m["move"],
                f"{m['delta_eu']:+.4f}",
                f"{m['se']:.4f}",
                f"{m['p_agreement']:.0%}",
                f"{m['p_ratification']:.0%}",
                f"{m['p_escalation']:.0%}",
                f"{m['achievement_gap']:.3f}",
                f"{m['durable_value']:.3f}",
                "recommended" if m["recommended"] else "tie" if m.get("tie") else "worse",
            ]
        )
    return head, rows


def _outcome_rows(rep: Report) -> tuple[list[str], list[list[str]]]:
    """Per model's package: the three headline probabilities and the most likely branch."""
    head = ["package", "P(agreement)", "P(ratified | agreement)", "P(escalation)", "most likely"]
    rows = []
    oc = rep.outcome or {}
    entries = list(oc.get("models", {}).items())
    entries += [(f"proposal {p}", m) for p, m in oc.get("proposals", {}).items()]
    for name, m in entries:
        rat = m["p_ratified_given_agreement"]
        rows.append(
            [
                name,
                f"{m['p_agreement']:.0%}",
                "n/a" if rat is None else f"{rat:.0%}",
                f"{m['p_escalation']:.0%}",
                m["most_likely"].replace("_", " "),
            ]
        )
    return head, rows


def _outcome_note(rep: Report) -> str:
    oc = rep.outcome or {}
    if not oc:
        return ""
    form = f" in the form {oc['form']}" if oc.get("form") else ""
    return (
        f"Over {oc['samples']} draws of the inputs (seed {oc['seed']}){form}; signatories "
        f"{', '.join(oc['signatories'])}; P(escalation) with no deal in force "
        f"{oc['p_escalation_no_deal']:.0%}. Each number is defined once in docs/outcome.md, and "
        "`detente forecast`, `crisis`, `montecarlo` and `advise` show the same numbers for the "
        "same --samples and --seed."
    )


def _forecast_rows(rep: Report) -> tuple[list[str], list[list[str]]]:
    head = ["issue", "status quo", *rep.forecasts]
    rows = []
    for i in rep.issues:
        sq = rep.status_quo[i]
        rows.append(
            [i, "" if sq is None else f"{sq:.1f}"] + [f"{v[i]:.1f}" for v in rep.forecasts.values()]
        )
    return head, rows


def render_html(rep: Report) -> str:
    """The report as one self-contained HTML page (inline SVG and CSS, no external request)."""

    def table(head: list[str], rows: list[list[str]]) -> str:
        h = "".join(f"<th>{_e(c)}</th>" for c in head)
        body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><tr>{h}</tr>{body}</table>"

    figs = {f.id: f for f in rep.figures}

    def fig(fid: str) -> str:
        f = figs.get(fid)
        if f is None:
            return ""
        return (
            f"<figure id='fig-{_e(fid)}'>{f.svg}<figcaption>{_e(f.caption)}</figcaption></figure>"
        )

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>detente report: {_e(rep.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(rep.title)}</h1>",
        f"<p>{rep.options['samples']} Monte Carlo draws, seed {rep.options['seed']}: every "
        "number below comes from the same draws.</p>",
        "<h2>Executive summary</h2><ul>",
        *[f"<li>{_e(s)}</li>" for s in rep.summary],
        "</ul>",
    ]
    if rep.outcome:
        parts += [
            "<h2>How the talks end</h2>",
            table(*_outcome_rows(rep)),
            f"<p>{_e(_outcome_note(rep))}</p>",
        ]
    if rep.article:
        parts.append("<h3>The source article's advice against the engine</h3><ul>")
        for c in rep.article:
            cls = "agree" if c["verdict"] == "engine agrees" else "disagree"
            parts.append(
                f"<li><b>{_e(c['claim'])}</b> <span class='{cls}'>{_e(c['verdict'])}</span> "
                f"(judged by {_e(c.get('quantity', ''))}): {_e(c['why'])}</li>"
            )
        parts.append("</ul>")
    parts += ["<h2>Packages of all models (what a deal would look like)</h2>"]
    parts += [table(*_forecast_rows(rep))]
    if rep.diagnostics:
        parts.append("<ul>" + "".join(f"<li>{_e(d['text'])}</li>" for d in rep.diagnostics))
        parts.append("</ul>")
    if rep.ratification:
        parts += [
            "<h2>Ratification by form and body</h2>",
            table(["package", "form", "body", "yes", "needed", "passed"], rep.ratification),
            "<p>Votes at the centre of the inputs: each member compares the whole package, "
            "on every issue its body weighs, with the reversion point (models.md D.1), less "
            "its approval cost.</p>",
        ]
    if rep.crisis_text:
        parts.append("<h2>The crisis in words</h2><ul>")
        parts += [f"<li>{_e(s)}</li>" for s in rep.crisis_text]
        parts.append("</ul>")
    parts += ["<h2>Round by round</h2>", fig("rounds")]
    parts += ["<h2>Outcome distributions</h2>", fig("distributions")]
    if "range" in figs:
        parts += ["<h2>Bargaining range</h2>", fig("range")]
    if "winsets" in figs:
        parts += ["<h2>Win-sets against forecasts</h2>", fig("winsets")]
    if "gaps" in figs:
        parts += ["<h2>Achievement gaps</h2>", fig("gaps")]
    parts.append("<h2>The advisor's ranked moves</h2>")
    for actor, r in rep.advice.items():
        b = r["baseline"]
        parts.append(
            f"<h3>{_e(r['actor_name'])} ({_e(actor)})</h3><p>Baseline (form "
            f"{_e(r['baseline_form'])}): P(agreement) {b['p_agreement']:.0%}, P(ratification) "
            f"{b['p_ratification']:.0%}, P(escalation) {b['p_escalation']:.0%}, expected utility "
            f"{b['eu']:.4f}. Pivotal issue: <b>{_e(pivotal_name(r['pivotal']))}</b>. "
            f"{_e(r['pivotal']['why'])}</p>"
        )
        parts.append("<ul>" + "".join(f"<li>{_e(s)}</li>" for s in r.get("assessment", [])))
        parts.append("</ul>")
        parts += [table(*_moves_table(r)), fig(f"moves-{actor}")]
    parts += ["<h2>Sensitivity</h2>", fig("tornado")]
    if rep.inputs:
        parts += [
            "<h2>Inputs</h2>",
            table(INPUT_COLUMNS, rep.inputs),
        ]
    parts.append(
        "<h2>Glossary</h2><p>Also at the terminal: <code>detente explain TERM</code>.</p><dl>"
        + "".join(f"<dt><b>{_e(k)}</b></dt><dd>{_e(v)}</dd>" for k, v in glossary_items())
        + "</dl>"
    )
    parts.append(
        "<h2>Sources</h2><ul>" + "".join(f"<li>{_e(s)}</li>" for s in rep.sources) + "</ul>"
    )
    parts.append(
        "<h2>Rationales</h2><table>"
        + "".join(
            f"<tr><td>{_e(k)}</td><td style='text-align:left'>{_e(v)}</td></tr>"
            for k, v in rep.rationales
        )
        + "</table>"
    )
    parts.append(
        f"<p><small>detente report; samples {rep.options['samples']}, seed "
        f"{rep.options['seed']}.</small></p>{CHECK_JS}</body></html>"
    )
    text = "\n".join(parts)
    # an inline SVG from matplotlib carries no external reference; make sure nothing else does
    assert not re.search(r"(src|href)=['\"]https?:", text)
    return text


def render_markdown(rep: Report, figure_dir: str | None = None) -> str:
    """The report as Markdown; figures are linked as PNG files in ``figure_dir`` if given."""

    def table(head: list[str], rows: list[list[str]]) -> str:
        # a "|" inside a header (P(ratified | agreement)) would split the cell: escape it
        cells = [h.replace("|", "\\|") for h in head]
        lines = ["| " + " | ".join(cells) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
        return "\n".join(lines)

    out = [
        f"# {rep.title}",
        "",
        f"{rep.options['samples']} Monte Carlo draws, seed {rep.options['seed']}.",
        "",
        "## Executive summary",
        "",
    ]
    out += [f"- {s}" for s in rep.summary]
    if rep.outcome:
        out += ["", "## How the talks end", "", table(*_outcome_rows(rep)), "", _outcome_note(rep)]
    if rep.article:
        out += ["", "### The source article's advice against the engine", ""]
        out += [
            f"- **{c['claim']}** {c['verdict']} (judged by {c.get('quantity', '')}): {c['why']}"
            for c in rep.article
        ]
    out += ["", "## Packages of all models", "", table(*_forecast_rows(rep)), ""]
    out += [f"- {d['text']}" for d in rep.diagnostics]
    if rep.ratification:
        out += ["", "## Ratification by form and body", ""]
        out += [table(["package", "form", "body", "yes", "needed", "passed"], rep.ratification)]
    if rep.crisis_text:
        out += ["", "## The crisis in words", ""] + [f"- {s}" for s in rep.crisis_text]
    out += ["## The advisor's ranked moves", ""]
    for actor, r in rep.advice.items():
        out += [
            f"### {r['actor_name']} ({actor})",
            "",
            f"Pivotal issue: **{pivotal_name(r['pivotal'])}**. {r['pivotal']['why']}",
            "",
        ]
        out += [table(*_moves_table(r)), ""]
    if figure_dir:
        out += ["## Figures", ""]
        for f in rep.figures:
            out += [f"![{f.caption}]({figure_dir}/{f.id}.png)", "", f"*{f.caption}*", ""]
    else:
        out += [
            "",
            f"*{len(rep.figures)} figures are left out of this Markdown file; give --png DIR to "
            "save them beside it and link them here.*",
        ]
    if rep.inputs:
        out += ["", "## Inputs", ""]
        out += [table(INPUT_COLUMNS, rep.inputs)]
    out += ["", "## Glossary", "", "Also at the terminal: `detente explain TERM`.", ""]
    out += [f"- **{k}**: {v}" for k, v in glossary_items()]
    out += ["", "## Sources", ""] + [f"- {s}" for s in rep.sources]
    out += ["", "## Rationales", ""] + [f"- {k}: {v}" for k, v in rep.rationales]
    return "\n".join(out) + "\n"


def write_pngs(rep: Report, directory: str | Path, dpi: int = 150) -> list[Path]:
    """Save every figure as PNG (for slides); returns the paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in rep.figures:
        p = d / f"{f.id}.png"
        # no date or software stamp in the file: the same input gives the same bytes
        f.fig.savefig(p, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
        paths.append(p)
    return paths
