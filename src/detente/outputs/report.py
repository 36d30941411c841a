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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detente.arrays import ScenarioArrays

#: Claims of the source article (Frolov, December 2021) that the default scenario's advice is
#: checked against: (actor, test on the advice, claim in words). Each test reads the engine's
#: numbers; the report says whether the engine agrees.
ARTICLE = "russia-nato-2021"


@dataclass
class Figure:
    """A drawn figure: id, caption, inline SVG and the matplotlib figure (for PNG)."""

    id: str
    caption: str
    svg: str
    fig: Any = field(repr=False, default=None)


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


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _subplots(*args: Any, figsize: tuple[float, float], **kw: Any) -> tuple[Any, Any]:
    """A figure outside pyplot's registry (nothing global stays open) and its axes."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9})
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kw)


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


def _article_checks(advice: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """The source article's advice, checked against the engine's numbers."""
    out: list[dict[str, str]] = []
    rus = advice.get("RUS")
    if rus is None:
        return out

    def find(kind: str, text: str) -> dict[str, Any] | None:
        return next((m for m in rus["moves"] if m["kind"] == kind and text in m["move"]), None)

    def verdict(m: dict[str, Any] | None, claim: str, what: str) -> dict[str, str]:
        if m is None:
            dead = [x for x in rus["no_effect"] if what in x]
            if dead:
                why = f"'{dead[0]}' changes nothing for Russia in any draw"
                return {"claim": claim, "verdict": "engine disagrees", "why": why}
            return {"claim": claim, "verdict": "not evaluated", "why": f"no move '{what}'"}
        rank = rus["moves"].index(m) + 1
        agree = m["recommended"]
        b = max(m["breakdown"].items(), key=lambda kv: abs(kv[1]))
        why = (
            f"'{m['move']}' ranks {rank} of {len(rus['moves'])}, dEU {m['delta_eu']:+.4f} "
            f"(+- {m['se']:.4f}); main channel {b[0]} {b[1]:+.4f}"
        )
        return {
            "claim": claim,
            "verdict": "engine agrees" if agree else "engine disagrees",
            "why": why,
        }

    piv = rus["pivotal"]["issue"]
    out.append(
        {
            "claim": "Non-expansion is the pivotal issue: 'hit precisely at this point'.",
            "verdict": "engine agrees" if piv == "enlargement" else "engine disagrees",
            "why": rus["pivotal"]["why"],
        }
    )
    out.append(
        verdict(
            find("focus", "focus on enlargement;"),
            "Stop 'spraying' demands over auxiliary topics; focus on non-expansion.",
            "focus on enlargement;",
        )
    )
    drafts = [m for m in rus["moves"] if m["kind"] == "proposal" and "russia-draft" in m["move"]]
    if drafts:
        worst = max(m["p_ratification"] for m in drafts)
        out.append(
            {
                "claim": "Russia's draft treaties cannot be ratified (67 senators, all 30 allies).",
                "verdict": "engine agrees" if worst <= 0.05 else "engine disagrees",
                "why": "; ".join(
                    f"'{m['move']}': P(ratification) {m['p_ratification']:.0%} as a "
                    f"{m['form']}, dEU {m['delta_eu']:+.4f}"
                    for m in drafts
                ),
            }
        )
    out.append(
        verdict(
            find("form", "the form declaration"),
            "A political declaration at the Madrid summit is feasible where a treaty is not.",
            "the form declaration",
        )
    )
    out.append(
        verdict(
            find("reciprocity", "on reciprocity"),
            "Reciprocity (Kaliningrad, Crimea) would widen what partners can accept.",
            "reciprocity on reciprocity",
        )
    )
    out.append(
        verdict(
            find("publicity", "every public demand"),
            "The public ultimatum leaves no room to declare victory; lower it.",
            "every public demand",
        )
    )
    return out


def _advised_actors(sc: Any) -> list[str]:
    if sc.crisis is not None:
        return list(dict.fromkeys([sc.crisis.challenger, sc.crisis.proposer_id]))
    from detente.scenario import compile_scenario

    a = compile_scenario(sc)
    clout = a.weights()[0].sum(axis=1)
    return [a.actor_ids[i] for i in np.argsort(-clout, kind="stable")[:2]]


def build_report(
    scenario: str | None,
    samples: int = 120,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Compute every section of the report for a scenario (file or bundled name)."""
    from detente import api
    from detente.analyses.advice import AdviceOptions, advise
    from detente.analyses.crisis import analyse_crisis
    from detente.analyses.ratification import body_winset_1d
    from detente.models.base import monte_carlo_models, registry
    from detente.scenario import compile_scenario, load
    from detente.scenario.crisis import compile_crisis
    from detente.scenario.ratification import compile_ratification

    step = progress or (lambda _msg: None)
    loaded = load(scenario)
    sc = loaded.scenario
    rng = np.random.default_rng(seed)
    point = compile_scenario(sc, name=loaded.source)
    issues = list(point.issue_ids)
    figures: list[Figure] = []

    def add(fid: str, caption: str, fig: Any) -> None:
        figures.append(Figure(fid, caption, _svg(fig), fig))

    step("forecasts of every model")
    fc = api.forecast(loaded, seed=seed)
    forecasts = fc["forecasts"]

    step("round-by-round simulation")
    dynamic = next((n for n, c in registry().items() if c.dynamic and n in forecasts), None)
    if dynamic:
        sim = api.simulate(loaded, dynamic, seed=seed)
        rounds = sim["rounds"]
        fig, axes = _subplots(1, 2, figsize=(11, 3.8))
        for iid in issues:
            axes[0].plot([r["forecast"][iid] for r in rounds], marker=".", label=iid)
        axes[0].set(xlabel="round", ylabel="forecast", title=f"{dynamic}: forecast by round")
        axes[0].legend(fontsize=7, ncol=2)
        focus = issues[0]
        for actor in point.actor_ids:
            ys = [r["positions"].get(actor, {}).get(focus) for r in rounds]
            if ys[0] is not None:
                axes[1].plot(ys, marker=".", label=actor)
        axes[1].set(xlabel="round", ylabel=focus, title=f"{dynamic}: positions on {focus}")
        axes[1].legend(fontsize=7, ncol=2)
        add("rounds", f"Round by round ({dynamic}): forecasts and actors' positions", fig)

    step("outcome distributions (Monte Carlo)")
    draws = compile_scenario(sc, samples=samples, rng=rng, name=loaded.source)
    fast = [m for m in ("detente", "compromise") if m in monte_carlo_models()]
    dist = {m: api.make_model(m).forecast(draws, rng) for m in fast}
    fig, ax = _subplots(figsize=(11, 3.8))
    pos = np.arange(len(issues))
    for k, f in enumerate(dist.values()):
        ax.boxplot(
            f, positions=pos + (k - 0.5) * 0.35, widths=0.3, patch_artist=True, showfliers=False
        )
    ax.set_xticks(pos, issues, rotation=30, ha="right")
    ax.set(ylabel="outcome", title=f"Outcome distributions over {samples} draws: {', '.join(fast)}")
    add("distributions", "Outcome distributions per issue (boxes: models in the title order)", fig)

    cr_out = None
    if sc.crisis is not None:
        step("crisis: bargaining range")
        cr = compile_crisis(sc, arrays=point)
        pf = {m: np.array([[v[i] for i in issues]]) for m, v in forecasts.items()}
        cr_out = analyse_crisis(cr, point, pf)
        fig, ax = _subplots(figsize=(11, 3.2))
        lo, hi = float(cr_out["range"]["low"][0]), float(cr_out["range"]["high"][0])
        ax.barh([0], [max(hi - lo, 0.002)], left=[lo], color="#9ecae1", label="bargaining range")
        ax.axvline(float(cr.p_win[0]), color="k", ls="--", label="p (challenger wins)")
        ax.plot([float(cr_out["offer"]["challenger_share"][0])], [0.3], "v", label="optimal offer")
        ax.plot([float(cr_out["nbs"]["challenger_share"][0])], [-0.3], "^", label="NBS (war)")
        for m, v in cr_out["models"].items():
            ax.plot([float(v["challenger_share"][0])], [0], "o", ms=4)
            ax.annotate(m, (float(v["challenger_share"][0]), 0), fontsize=7, rotation=60)
        ax.set(xlim=(0, 1), yticks=[], xlabel=f"{sc.crisis.challenger}'s share of the pie")
        ax.set_title("Bargaining range (Fearon 1995, audience costs included) and model outcomes")
        ax.legend(fontsize=7, loc="upper left")
        add("range", "Bargaining range, offer, NBS and each model's outcome", fig)

        step("achievement gaps")
        fig, ax = _subplots(figsize=(11, 3.6))
        models_g = list(cr_out["models"])
        width = 0.8 / max(1, len(models_g))
        x = np.arange(point.n_actors)
        for k, m in enumerate(models_g):
            ax.bar(x + k * width, cr_out["models"][m]["gap"][0], width, label=m)
        ax.set_xticks(x + 0.4, point.actor_ids, rotation=30)
        ax.set(ylabel="achievement gap (0..1)", title="Achievement gaps by actor and model")
        ax.legend(fontsize=7, ncol=4)
        add("gaps", "Achievement gap: publicity-weighted shortfall from public demands", fig)

    if sc.bodies:
        step("win-sets against forecasts")
        comp = compile_ratification(sc, status_quo=point.status_quo)
        n_b = len(comp.bodies)
        fig, axes = _subplots(1, n_b, figsize=(3.2 * n_b + 1, 3.8), sharey=True, squeeze=False)
        for b, body in enumerate(comp.bodies):
            ax = axes[0, b]
            for j, iid in enumerate(issues):
                ws = body_winset_1d(body, j)
                if not np.isnan(ws.low[0]):
                    ax.plot([ws.low[0], ws.high[0]], [j, j], lw=6, color="#a1d99b")
                ax.plot([ws.sq[0]], [j], "|", color="k", ms=10)
                for m, style in (("detente", "oC0"), ("compromise", "xC3")):
                    if m in forecasts:
                        ax.plot([forecasts[m][iid]], [j], style, ms=4)
            ax.set(title=body.label[:28], xlim=(point.scale_min.min(), point.scale_max.max()))
            ax.set_yticks(range(len(issues)), issues, fontsize=7)
        add(
            "winsets",
            "Win-sets per issue (green; | status quo) against forecasts (o detente, x compromise)",
            fig,
        )

    step("advice")
    advice = {}
    for actor in _advised_actors(sc):
        advice[actor] = advise(sc, actor, AdviceOptions(samples=samples), seed=seed)
    for actor, r in advice.items():
        top = r["moves"][:10]
        fig, ax = _subplots(figsize=(11, 0.35 * len(top) + 1.2))
        comps = [
            "agreement",
            "ratification",
            "escalation",
            "achievement_gap",
            "durable_value",
            "other",
        ]
        y = np.arange(len(top))[::-1]
        left_pos = np.zeros(len(top))
        left_neg = np.zeros(len(top))
        for c in comps:
            v = np.array([m["breakdown"][c] for m in top])
            start = np.where(v >= 0, left_pos, left_neg)
            ax.barh(y, v, left=start, label=c)
            left_pos += np.maximum(v, 0)
            left_neg += np.minimum(v, 0)
        ax.set_yticks(y, [m["move"][:60] for m in top], fontsize=7)
        ax.axvline(0, color="k", lw=0.8)
        ax.set(
            xlabel="change in expected utility", title=f"{actor}: top moves and what drives them"
        )
        ax.legend(fontsize=7, ncol=6, loc="lower right")
        add(f"moves-{actor}", f"{actor}'s ranked moves, change in EU split by component", fig)

    step("sensitivity tornado")
    headline = "detente" if "detente" in forecasts else next(iter(forecasts))
    first = next(iter(advice.values()), None)
    piv = (first or {}).get("pivotal", {}).get("issue") or issues[0]
    model = api.make_model(headline)
    rows = tornado(
        point, lambda arr: model.forecast(arr, np.random.default_rng(seed)), issues.index(piv)
    )
    rows = rows[:10]
    fig, ax = _subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    ax.barh(y, [r[1] for r in rows], color="#fc9272", label="capability -25%")
    ax.barh(y, [r[2] for r in rows], color="#9ecae1", label="capability +25%")
    ax.set_yticks(y, [r[0] for r in rows])
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlabel=f"change of the {headline} forecast on {piv}", title="Sensitivity tornado")
    ax.legend(fontsize=7)
    add("tornado", f"One-at-a-time sensitivity of the {headline} forecast on {piv}", fig)

    step("summary and sources")
    summary = _summary(sc, forecasts, headline, cr_out, advice, issues)
    article = (
        _article_checks(advice)
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
        options={"samples": samples, "seed": seed, "models": fc["models"]},
    )


def _summary(sc, forecasts, headline, cr_out, advice, issues) -> list[str]:
    out = []
    f = forecasts[headline]
    label = {i.id: i for i in sc.issues}
    far = sorted(
        issues,
        key=lambda i: -abs(f[i] - (label[i].status_quo.centre if label[i].status_quo else f[i])),
    )
    moved = [f"{i} to {f[i]:.0f} ('{label[i].label(f[i])}')" for i in far[:3]]
    out.append(
        f"The {headline} forecast moves most from the status quo on " + "; ".join(moved) + "."
    )
    if cr_out is not None:
        m = cr_out["models"].get(headline)
        lo, hi = float(cr_out["range"]["low"][0]), float(cr_out["range"]["high"][0])
        rng_txt = "is empty" if lo > hi else f"runs from {lo:.2f} to {hi:.2f} of the pie"
        out.append(
            f"The bargaining range for {sc.crisis.challenger} {rng_txt}; at the {headline} "
            f"forecast P(escalation) is {float(m['escalation'][0]):.0%}."
            if m
            else f"The bargaining range {rng_txt}."
        )
    for r in advice.values():
        best = [m for m in r["moves"] if m["recommended"]][:3]
        b = r["baseline"]
        txt = f"{r['actor_name']}: baseline P(deal) {b['p_deal']:.0%}"
        txt += f", P(escalation) {b['p_escalation']:.0%}. " if sc.crisis is not None else ". "
        if best:
            txt += (
                "Best moves: "
                + "; ".join(f"{m['move']} (dEU {m['delta_eu']:+.4f})" for m in best)
                + ". "
            )
        else:
            txt += "No move improves its expected utility beyond the Monte Carlo noise. "
        if r["pivotal"]["issue"]:
            txt += f"Pivotal issue: {r['pivotal']['issue']}."
        out.append(txt)
    return out


# --------------------------------------------------------------------------------------------
# Rendering

CSS = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;
padding:3px 6px;text-align:right}th:first-child,td:first-child{text-align:left}
figure{margin:1em 0}figcaption{font-size:13px;color:#555}svg{max-width:100%;height:auto}
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
                "recommended" if m["recommended"] else "-",
            ]
        )
    return head, rows


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
        "<h2>Executive summary</h2><ul>",
        *[f"<li>{_e(s)}</li>" for s in rep.summary],
        "</ul>",
    ]
    if rep.article:
        parts.append("<h3>The source article's advice against the engine</h3><ul>")
        for c in rep.article:
            cls = "agree" if c["verdict"] == "engine agrees" else "disagree"
            parts.append(
                f"<li><b>{_e(c['claim'])}</b> <span class='{cls}'>{_e(c['verdict'])}</span>: "
                f"{_e(c['why'])}</li>"
            )
        parts.append("</ul>")
    parts += ["<h2>Forecasts of all models</h2>", table(*_forecast_rows(rep))]
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
            f"{b['eu']:.4f}. Pivotal issue: <b>{_e(r['pivotal']['issue'])}</b>. "
            f"{_e(r['pivotal']['why'])}</p>"
        )
        parts += [table(*_moves_table(r)), fig(f"moves-{actor}")]
    parts += ["<h2>Sensitivity</h2>", fig("tornado")]
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
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
        return "\n".join(lines)

    out = [f"# {rep.title}", "", "## Executive summary", ""]
    out += [f"- {s}" for s in rep.summary]
    if rep.article:
        out += ["", "### The source article's advice against the engine", ""]
        out += [f"- **{c['claim']}** {c['verdict']}: {c['why']}" for c in rep.article]
    out += ["", "## Forecasts of all models", "", table(*_forecast_rows(rep)), ""]
    out += ["## The advisor's ranked moves", ""]
    for actor, r in rep.advice.items():
        out += [
            f"### {r['actor_name']} ({actor})",
            "",
            f"Pivotal issue: **{r['pivotal']['issue']}**. {r['pivotal']['why']}",
            "",
        ]
        out += [table(*_moves_table(r)), ""]
    if figure_dir:
        out += ["## Figures", ""]
        out += [f"![{f.caption}]({figure_dir}/{f.id}.png)" for f in rep.figures]
    out += ["", "## Sources", ""] + [f"- {s}" for s in rep.sources]
    return "\n".join(out) + "\n"


def write_pngs(rep: Report, directory: str | Path, dpi: int = 150) -> list[Path]:
    """Save every figure as PNG (for slides); returns the paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in rep.figures:
        p = d / f"{f.id}.png"
        f.fig.savefig(p, dpi=dpi, bbox_inches="tight")
        paths.append(p)
    return paths
