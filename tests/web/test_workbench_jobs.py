"""Advice and sensitivity as background jobs, "apply this move", and the server-drawn charts.

Issue 19: slow work runs as background jobs with a progress bar and a cancel button; advice has
an "apply this move" button that turns the move into edits; charts are SVG drawn on the
server, with nothing fetched from other hosts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import Server
from tests.web.test_browser import SAMPLES, SEED, expect, open_page


def test_advice_job_ranks_moves_and_applies_one_as_edits(page: Any, server: Server) -> None:
    from detente import api
    from detente.scenario import load

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_page(page, server)
    page.get_by_label("Actor to advise").select_option("RUS")
    page.get_by_role("button", name="Advise in the background").click()
    job = page.locator("#advice-job")
    expect()(job).to_have_attribute("data-state", "finished", timeout=120_000)
    want = api.advise(load("russia-nato-2021"), "RUS", samples=SAMPLES, seed=SEED)
    shown = page.locator("#advice-moves tr.move")
    assert shown.count() == min(12, len(want["moves"]))
    # the page names the pivotal issue as the CLI and the report do ("none" where negligible)
    from detente.outputs.advice_text import pivotal_name

    expect()(page.locator("#advice-pivotal")).to_contain_text(
        f"Pivotal issue: {pivotal_name(want['pivotal'])}."
    )
    assert [shown.nth(k).get_attribute("data-move") for k in range(shown.count())] == [
        m["move"] for m in want["moves"][: shown.count()]
    ]
    # a move that edits stances: its edits land in the fields, touched, and the page recomputes
    move = next(m["move"] for m in want["moves"] if m["kind"] == "reciprocity")
    expected = api.move_edits(load("russia-nato-2021"), "RUS", move)
    assert expected and all("stance" in e for e in expected)
    page.get_by_role("button", name=f"apply this move: {move}", exact=True).click()
    expect()(page.locator("#apply-message")).to_contain_text(move)
    n = len(expected)
    expect()(page.locator("#summary")).to_contain_text(f"{n} edit{'' if n == 1 else 's'}")
    for e in expected:
        box = page.get_by_label(f"{e['actor']} {e['issue']} {e['field']}", exact=True)
        assert float(box.input_value()) == e["value"]
        assert box.get_attribute("name") == f"f.{e['stance']}.{e['field']}"
    # Undo takes the applied move back in one step
    page.get_by_role("button", name="Undo").click()
    expect()(page.locator("#summary")).to_contain_text("Baseline")
    assert all(u.startswith(server.url + "/") for u in requests), requests


def test_advice_job_shows_progress_and_cancels(page: Any, server: Server) -> None:
    open_page(page, server)
    page.get_by_label("Draws", exact=True).fill("2000")
    page.get_by_label("Actor to advise").select_option("USA")
    page.get_by_role("button", name="Advise in the background").click()
    expect()(page.locator("#advice-job-progress")).to_be_visible()
    page.get_by_role("button", name="Cancel advice").click()
    job = page.locator("#advice-job")
    expect()(job).to_have_attribute("data-state", "cancelled", timeout=60_000)
    assert "Cancelled after" in page.locator("#advice-job-message").inner_text()


def test_sensitivity_job_draws_a_tornado_per_output(page: Any, server: Server) -> None:
    from detente import api
    from detente.scenario import load

    open_page(page, server)
    page.get_by_role("button", name="Tornado in the background").click()
    job = page.locator("#sens-job")
    expect()(job).to_have_attribute("data-state", "finished", timeout=120_000)
    want = api.sensitivity(load("russia-nato-2021"), seed=SEED, top=8)
    figures = page.locator("figure.tornado")
    with_drivers = [k for k, v in want["outputs"].items() if v["drivers"]]
    assert [figures.nth(i).get_attribute("data-output") for i in range(figures.count())] == (
        with_drivers
    )
    first = want["outputs"][with_drivers[0]]
    # one red and one blue bar per ranked input, drawn on the server as inline SVG
    assert figures.first.locator("svg rect").count() == 2 * len(first["drivers"])
    assert first["summary"] in figures.first.inner_text()


def test_the_package_chart_follows_an_edit(page: Any, server: Server) -> None:
    open_page(page, server)
    chart = page.locator("#package-chart svg")
    n_issues = 10  # the default scenario's issues: a hollow baseline and a filled dot each
    assert chart.locator("circle").count() == 2 * n_issues
    before = chart.inner_html()
    page.get_by_label("RUS reciprocity position", exact=True).fill("100")
    expect()(page.locator("#summary")).to_contain_text("RUS reciprocity position = 100")
    assert page.locator("#package-chart svg").inner_html() != before


def test_report_of_the_current_state_is_a_download(page: Any, server: Server) -> None:
    open_page(page, server)
    page.get_by_label("RUS reciprocity position", exact=True).fill("100")
    expect()(page.locator("#summary")).to_contain_text("RUS reciprocity position = 100")
    page.get_by_role("button", name="Report of this state").click()
    job = page.locator("#report-job")
    expect()(job).to_have_attribute("data-state", "finished", timeout=300_000)
    assert "1 edit," in page.locator("#report-ready").inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="download detente-report.html").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html")
    assert "Russia-NATO security talks" in text


def test_sweep_job_draws_the_curve_of_every_output_the_input_moves(
    page: Any, server: Server
) -> None:
    from detente import api
    from detente.scenario import load

    open_page(page, server)
    page.get_by_label("Input to sweep").select_option("RUS capability")
    page.get_by_role("button", name="Sweep in the background").click()
    job = page.locator("#sweep-job")
    expect()(job).to_have_attribute("data-state", "finished", timeout=120_000)
    want = api.sweep(load("russia-nato-2021"), "RUS capability", seed=SEED)
    moving = [k for k, ys in want["outputs"].items() if max(ys) - min(ys) > 1e-9]
    assert moving  # Russia's clout moves the package on some issue
    curves = page.locator("figure.curve")
    assert [curves.nth(i).get_attribute("data-output") for i in range(curves.count())] == moving
    points = curves.first.locator("polyline").get_attribute("points").split()
    assert len(points) == len(want["values"]) == 11


def _applied(loaded: Any, move: str) -> Any:
    """The scenario with the move's edits applied as the page applies them."""
    from detente import api
    from detente.web import workbench as wb

    op = wb.open_text("t", *wb.bundled_text("russia-nato-2021"), "russia-nato-2021")
    raw = api.move_edits(loaded, "RUS", move)
    return wb.apply_edits(op, [wb.Edit(**{k: e[k] for k in wb.Edit.__annotations__}) for e in raw])


def test_an_exact_applied_move_is_the_move_the_advisor_evaluated() -> None:
    """Where every input a move reads is a point, its edits give the advisor's row exactly:
    advice on the edited scenario has, as its baseline, the numbers of the move's row."""
    from detente import api
    from detente.scenario import load
    from detente.web import workbench as wb

    loaded = load("russia-nato-2021")
    advice = api.advise(loaded, "RUS", samples=SAMPLES, seed=SEED)
    exact = [
        m
        for m in advice["moves"]
        if m["kind"] == "reciprocity"
        and not wb.move_approximations(loaded, "RUS", m["kind"], list(m["issues"]))
    ]
    assert exact
    for m in exact:
        after = api.advise(_applied(loaded, m["move"]), "RUS", samples=SAMPLES, seed=SEED)
        for key in ("p_agreement", "p_ratification", "p_escalation", "achievement_gap"):
            assert after["baseline"][key] == m[key], (m["move"], key)
    # a move that reads an uncertain input is named as approximated, with the input
    move = next(m for m in advice["moves"] if m["move"].startswith("offer reciprocity on enl"))
    found = wb.move_approximations(loaded, "RUS", "reciprocity", ["enlargement"])
    assert "RUS enlargement position (triangular(0, 20, 50))" in found
    assert "RUS capability" not in " ".join(found)  # not a weight in the others' mean
    after = api.advise(_applied(loaded, move["move"]), "RUS", samples=SAMPLES, seed=SEED)
    assert after["baseline"]["achievement_gap"] != move["achievement_gap"]


def test_the_page_says_whether_an_applied_move_is_exact(page: Any, server: Server) -> None:
    open_page(page, server)
    page.get_by_label("Actor to advise").select_option("RUS")
    page.get_by_role("button", name="Advise in the background").click()
    expect()(page.locator("#advice-job")).to_have_attribute(
        "data-state", "finished", timeout=120_000
    )
    exact = "offer reciprocity on exercises: move toward the others' position"
    page.get_by_role("button", name=f"apply this move: {exact}", exact=True).click()
    expect()(page.locator("#apply-message")).to_contain_text(exact)
    expect()(page.locator("#apply-exact")).to_have_attribute("data-exact", "yes")
    page.get_by_role("button", name="Undo").click()
    expect()(page.locator("#summary")).to_contain_text("Baseline")
    approx = "offer reciprocity on enlargement: move toward the others' position"
    page.get_by_role("button", name=f"apply this move: {approx}", exact=True).click()
    expect()(page.locator("#apply-message")).to_contain_text(approx)
    note = page.locator("#apply-exact")
    expect()(note).to_have_attribute("data-exact", "no")
    expect()(note).to_contain_text("RUS enlargement position (triangular(0, 20, 50))")


def test_advice_progress_follows_the_work_not_only_the_moves() -> None:
    """The advice job's bar: each model's deals and votes of every move count, so it no longer
    sits near 0 while the deals of all moves are forecast (most of the run) and then races."""
    from detente import api
    from detente.scenario import load

    seen: list[tuple[int, int]] = []
    advice = api.advise(
        load("russia-nato-2021"), "RUS", samples=8, progress=lambda d, t: seen.append((d, t))
    )
    total = seen[0][1]
    assert all(t == total for _, t in seen) and seen[-1][0] == total
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    moves = len(advice["moves"]) + len(advice["no_effect_moves"])
    # a third of the work is done when the deals are forecast: one step per model batch
    deals_done = [d for d, _ in seen if d <= total // 3 + 1]
    assert len(deals_done) > 2
    assert len(seen) > moves + 2
