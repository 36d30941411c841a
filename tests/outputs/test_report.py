"""Briefing reports (issue 8): self-contained HTML, Markdown, PNG, and charts that draw.

The Chromium test renders each bundled scenario's report in Debian's headless chromium over the
DevTools protocol (tests/outputs/cdp.py), checks that every figure drew, and saves a screenshot
of the first screen to test-artifacts/. It skips when chromium is not installed, and fails
instead under CI=true (tests/_require.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from detente.arrays import ScenarioArrays
from detente.outputs.report import (
    build_report,
    render_html,
    render_markdown,
    tornado,
    write_pngs,
)
from detente.scenario import bundled_scenarios
from tests import _require
from tests.outputs.cdp import Browser, find_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SECTIONS = [
    "Executive summary",
    "Packages of all models",
    "Round by round",
    "Outcome distributions",
    "The advisor's ranked moves",
    "Sensitivity",
    "Sources",
    "Rationales",
]


@pytest.fixture(scope="module")
def reports():
    return {name: build_report(name, samples=30, seed=0) for name in bundled_scenarios()}


@pytest.fixture(scope="module")
def pages(reports, tmp_path_factory):
    d = tmp_path_factory.mktemp("reports")
    out = {}
    for name, rep in reports.items():
        p = d / f"{name}.html"
        p.write_text(render_html(rep), encoding="utf-8")
        out[name] = p
    return out


def _expected_figures(rep) -> int:
    """Rounds, distributions and the tornado; one per advised actor with a ranked move; and
    the range, gaps and win-sets where the scenario has a crisis section or bodies."""
    n = 3 + sum(1 for r in rep.advice.values() if r["moves"])
    return n + {"range", "gaps", "winsets"}.intersection(f.id for f in rep.figures).__len__()


def test_html_is_self_contained_with_every_section(pages, reports):
    for name, path in pages.items():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text), name
        assert not re.search(r"(src|href)=['\"](https?:)?//", text), name
        for section in SECTIONS:
            assert f"<h2>{section}" in text, (name, section)
        assert (
            text.count("<svg") == len(reports[name].figures) == _expected_figures(reports[name])
        ), name


def test_crisis_sections_only_where_the_scenario_has_them(pages):
    text = pages["russia-nato-2021"].read_text(encoding="utf-8")
    for section in ("Bargaining range", "Win-sets against forecasts", "Achievement gaps"):
        assert f"<h2>{section}" in text
    assert "The source article's advice against the engine" in text
    ec = pages["ec-emissions-1994"].read_text(encoding="utf-8")
    assert "<h2>Bargaining range" not in ec


def test_article_checks_read_the_engines_numbers(reports):
    rep = reports["russia-nato-2021"]
    claims = {c["claim"][:20]: c for c in rep.article}
    assert len(rep.article) == 8
    piv = next(c for c in rep.article if "pivotal" in c["claim"])
    # the verdict follows the issue whose step toward Russia raises P(agreement) most; where no
    # step moves it, the engine says it cannot tell
    fa = rep.advice["RUS"]["pivotal"]["for_agreement"]
    rows = rep.advice["RUS"]["pivotal"]["issues"]
    stuck = all(abs(r["p_agreement"] - r["p_agreement_baseline"]) < 0.005 for r in rows)
    if stuck:
        assert piv["verdict"] == "engine cannot tell"
    else:
        assert (piv["verdict"] == "engine agrees") == (fa["issue"] == "enlargement")
        assert fa["issue"] in piv["why"]
    # each claim is judged by the quantity it is about, never by a utility rank
    for c in claims.values():
        assert c["verdict"] in ("engine agrees", "engine disagrees", "engine cannot tell")
        assert c["quantity"] and "ranks" not in c["why"]
    feas = next(c for c in rep.article if "declaration" in c["claim"])
    assert "by form" in feas["quantity"] and "pass it in" in feas["why"]
    esc = next(c for c in rep.article if "escalation" in c["claim"])
    rus = rep.outcome["models"][rep.advice["RUS"]["models"][0]]
    # the same number as the outcome model's, from the same draws
    assert f"P(escalation) {rus['p_escalation']:.0%}" in esc["why"]
    for r in rep.advice.values():  # the advisor's baseline is the outcome model's
        for model, b in r["baseline"]["by_model"].items():
            o = rep.outcome["models"][model]
            assert (b["p_agreement"], b["p_escalation"]) == (o["p_agreement"], o["p_escalation"])
    # the build-up: judged by the belief it buys and the most the targets concede (Fearon 1997)
    build = next(c for c in rep.article if "build-up" in c["claim"])
    assert "belief" in build["quantity"] and "concede from" in build["why"]
    drafts = next(c for c in rep.article if "draft treaties" in c["claim"])
    # models.md D.2: a package far from the senators' ideal points cannot get 67 votes
    assert drafts["verdict"] == "engine agrees" and "P(ratification) 0%" in drafts["why"]


def test_markdown_and_pngs(reports, tmp_path):
    rep = reports["china-soe-reform"]
    paths = write_pngs(rep, tmp_path / "fig")
    assert len(paths) == len(rep.figures) >= 5
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = render_markdown(rep, "fig")
    assert md.startswith(f"# {rep.title}")
    assert "| issue | status quo |" in md
    assert all(f"(fig/{f.id}.png)" in md for f in rep.figures)


def test_tornado_matches_the_weighted_mean_by_hand():
    """Compromise = sum c s x / sum c s; capability of actor 1 scaled by 0.75 and 1.25."""
    arr = ScenarioArrays.from_table([[0.0], [100.0]], [[1.0], [0.5]], [2.0, 1.0])

    def compromise(a: ScenarioArrays) -> np.ndarray:
        w = a.capability * a.salience
        return (w * a.position).sum(1) / w.sum(1)

    rows = dict((r[0], r[1:]) for r in tornado(arr, compromise, 0))
    base = 100 * 0.5 / (2 + 0.5)  # 20
    assert rows["a1"][0] == pytest.approx(100 * 0.375 / 2.375 - base)
    assert rows["a1"][1] == pytest.approx(100 * 0.625 / 2.625 - base)
    assert rows["a0"][0] == pytest.approx(100 * 0.5 / 2.0 - base)
    # the variants go through the forecast in one batch
    calls = []
    tornado(arr, lambda a: calls.append(a.n_samples) or compromise(a), 0)
    assert calls == [1, 4]
    assert replace(arr).n_samples == 1


def test_reports_draw_in_headless_chromium(pages):
    if find_chromium() is None:
        _require.missing("Debian's chromium is not installed (.ci/run installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    browser = Browser(find_chromium())
    try:
        for name, path in pages.items():
            browser.open(path.resolve().as_uri())
            charts, drawn = browser.evaluate(
                "[document.body.dataset.charts, document.body.dataset.chartsDrawn]"
            )
            assert int(charts) >= 4, name
            assert drawn == charts, f"{name}: {drawn} of {charts} charts drew"
            shot = ARTIFACTS / f"report-{name}.png"
            browser.screenshot(shot)
            assert shot.stat().st_size > 10_000
    finally:
        browser.close()


@pytest.mark.parametrize("width", [1400, 800])
def test_reports_fit_the_page_at_1400_and_800_px(pages, reports, width):
    """Issue 20: nothing overflows the page (tables scroll inside themselves, figures shrink),
    and every chart has a title, axis labels and a legend or direct labels."""
    if find_chromium() is None:
        _require.missing("Debian's chromium is not installed (.ci/run installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    browser = Browser(find_chromium(), width=width, height=900)
    try:
        for name, path in pages.items():
            browser.open(path.resolve().as_uri())
            page_w, view_w = browser.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert page_w <= view_w, f"{name} at {width} px: page {page_w} px wide"
            browser.screenshot(ARTIFACTS / f"report-{name}-{width}.png")
    finally:
        browser.close()
    for rep in reports.values():
        for f in rep.figures:
            for ax in f.fig.axes:
                if not ax.get_visible() or not ax.has_data():
                    continue
                assert ax.get_title(), (f.id, "title")
                assert ax.get_xlabel() or ax.get_xticklabels(), (f.id, "x axis")
                shared = len(ax.get_shared_y_axes().get_siblings(ax)) > 1  # labelled on the left
                ticks = any(tk.get_text() for tk in ax.get_yticklabels())
                assert ax.get_ylabel() or ticks or shared or not ax.get_yticks().size, (
                    f.id,
                    "y axis",
                )
                labelled = ax.get_legend() is not None or bool(ax.texts)
                assert labelled or f.id in ("tornado", "winsets"), (f.id, "legend or labels")


def test_the_html_report_is_byte_identical_for_the_same_input_and_seed():
    """Reproducible: Matplotlib's SVGs carry no date and no random ids (svg.hashsalt)."""
    from detente import api

    a = api.report("ec-emissions-1994", samples=20, seed=3)["text"]
    b = api.report("ec-emissions-1994", samples=20, seed=3)["text"]
    assert a == b and "<svg" in a


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_figures_rendered_in_child_processes_give_the_same_report():
    """Issue 23: the CLI renders an HTML report's figures, and advises all but the first actor,
    in forked children while it computes the rest; lazily in this process (the default) or at
    once, the report is the same, byte for byte."""
    from detente.outputs import report as rep_mod

    texts = {
        mode: render_html(build_report("ec-emissions-1994", samples=20, seed=3, svg=mode))
        for mode in ("now", "lazy", "forked")
    }
    assert texts["now"] == texts["lazy"] == texts["forked"] and "<svg" in texts["now"]
    lazy = build_report("ec-emissions-1994", samples=20, seed=3)
    assert all(isinstance(f.rendering, rep_mod._Inline) for f in lazy.figures)  # not drawn yet
    md = render_markdown(lazy)  # no figure directory: no figure is rendered
    assert all(isinstance(f.rendering, rep_mod._Inline) for f in lazy.figures) and md


def test_a_child_that_fails_is_replaced_by_the_work_done_here():
    import os

    from detente.analyses.forked import Forked

    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    parent = os.getpid()

    def only_here() -> int:  # fails in the child, works in the parent
        if os.getpid() != parent:
            raise RuntimeError("child")
        return 7

    assert Forked(only_here).result() == 7
    assert Forked(lambda: os.getpid()).result() != parent  # the child's work comes back
