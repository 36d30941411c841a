"""Compare: two or more pinned runs, or runs and the baseline, with the deltas of every input
and result, ratification and achievement gaps included (issue 19).

A run stores only the forecast JSON; the page computes the ratification votes and the gaps
again from the run's scenario and edits. These tests check them against the page's own
ratification table function and `detente crisis` of the same packages, run here.
"""

from __future__ import annotations

import json
from typing import Any

from detente.web import workbench as wb
from tests.web.conftest import Server
from tests.web.test_browser import SAMPLES, SEED, expect, open_page


def save(page: Any, server: Server, edits: dict[str, str]) -> Any:
    """A fresh page with these fields typed in, saved; the stored run."""
    open_page(page, server)
    for label, value in edits.items():
        page.get_by_label(label, exact=True).fill(value)
        expect()(page.locator("#summary")).to_contain_text(f"{label} = {value}")
    expect()(page.locator("#summary")).to_contain_text(f"{len(edits)} edit")
    page.get_by_role("button", name="Save run").click()
    saved = page.locator("#saved-run")
    expect()(saved).to_have_attribute("data-edits", str(len(edits)))
    return server.store.get_run(int(saved.get_attribute("data-run")))


def shown(page: Any, col: str) -> dict[tuple[str, str], str]:
    """(model, what) -> the value cell's exact value in column ``col``."""
    rows = page.evaluate(
        """(col) => Array.from(document.querySelectorAll('#compare-results td.v'))
              .filter(td => td.dataset.col === col)
              .map(td => [td.dataset.model, td.dataset.what, td.dataset.value])""",
        col,
    )
    return {(m, w): v for m, w, v in rows}


def engine(server: Server, run: Any | None) -> tuple[Any, dict[str, Any]]:
    """The run's (or, for None, the baseline's) scenario as the engine sees it, and its forecast."""
    from detente import api
    from detente.scenario import load

    if run is None:
        loaded = load("russia-nato-2021")
        return loaded, api.forecast(loaded, seed=SEED, samples=SAMPLES)
    op = server.app.bench.opened(run.scenario_sha256)
    loaded = wb.apply_edits(op, [wb.Edit(**e) for e in run.edits])
    return loaded, json.loads(run.outputs)


def test_compare_pins_two_runs_and_the_baseline_with_every_delta(page: Any, server: Server) -> None:
    from detente import api

    a = save(
        page,
        server,
        {"RUS reciprocity position": "100", "RUS enlargement demand": "60"},
    )
    b = save(page, server, {"RUS enlargement position": "25"})
    page.get_by_label("Compare runs (ids, or base)").fill(f"{a.id} {b.id} base")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_url("**/compare?runs=*")
    expect()(page.locator("h1")).to_have_text(f"Compare run {a.id} · run {b.id} · baseline")

    # every input edited anywhere, with the scenario's own value where a run left it
    inputs = page.locator("#compare-inputs")
    row = inputs.locator("tr", has_text="RUS enlargement position")
    scenario = "uncertain, centre 20"
    assert row.locator("td.v").all_inner_texts() == [scenario, "25", scenario]
    row = inputs.locator("tr", has_text="RUS reciprocity position")
    assert row.locator("td.v").all_inner_texts()[0] == "100"
    assert inputs.locator("tr.changed").count() == 3

    lead = json.loads(a.outputs)["headline"]["model"]
    for col, run in ((f"run {a.id}", a), (f"run {b.id}", b), ("baseline", None)):
        loaded, out = engine(server, run)
        cells = shown(page, col)
        # every model's package and P(...), as stored (or as the baseline forecast prints)
        for m, package in out["forecasts"].items():
            for issue, x in package.items():
                assert float(cells[m, issue]) == x
            for key in ("p_agreement", "p_ratified_given_agreement", "p_escalation"):
                p = out["outcome"]["models"].get(m, {}).get(key)
                assert cells[m, key] == ("" if p is None else str(p))
        # the votes the page's ratification table shows for the same inputs and packages
        votes = wb.ratification(loaded, out)
        for f in votes["forms"]:
            for body in f["bodies"]:
                for m, yes in body["yes"].items():
                    assert int(cells[m, f"{f['form']}/{body['body']}"]) == yes
            for m, ok in f["ratified"].items():
                assert cells[m, f"{f['form']}/ratified"] == ("yes" if ok else "no")
        # the gaps of `detente crisis` at the centre of the inputs, under the headline package
        crisis = api.crisis(loaded, samples=0, models=[lead])["models"][lead]["public_actors"]
        for actor, v in crisis.items():
            assert float(cells[lead, f"{actor}/gap"]) == v["gap"]["value"]
            assert float(cells[lead, f"{actor}/audience_cost"]) == v["audience_cost"]["value"]

    # the deltas are against the first pinned run, and the changed rows are marked
    gap_a = float(shown(page, f"run {a.id}")[lead, "RUS/gap"])
    gap_base = float(shown(page, "baseline")[lead, "RUS/gap"])
    assert gap_a != gap_base
    delta = page.locator(f'td.delta[data-model="{lead}"][data-what="RUS/gap"][data-col="baseline"]')
    assert delta.inner_text() == f"{gap_base - gap_a:+.2f}"
    assert page.locator("#compare-results tr.ratification.changed").count() > 0
    assert page.locator("#compare-results tr.achievement-gap.changed").count() > 0
    assert page.locator("#compare-results tr.forecast.changed").count() > 0


def test_compare_says_what_it_cannot_pin_in_one_line(page: Any, server: Server) -> None:
    for query, message in (
        ("runs=1", "pin 2 to 8 runs"),
        ("runs=1,x", "'x' is not a run id or base"),
        ("runs=base,base", "each run (and base) can be pinned once"),
        ("runs=1,999999", "no run 999999 in the history"),
    ):
        answer = page.goto(f"{server.url}/compare?{query}")
        assert answer.status in (404, 422)
        expect()(page.locator("body")).to_contain_text(message)


def test_runs_are_picked_from_the_history_without_typing_ids(page: Any, server: Server) -> None:
    a = save(page, server, {"RUS enlargement position": "30"})
    b = save(page, server, {"RUS enlargement position": "35"})
    history = page.locator("#history-runs")
    # the history reloaded itself after the save (htmx), no page load in between
    expect()(history.locator(f"tr[data-run='{b.id}']")).to_be_visible()
    expect()(history.locator(f"tr[data-run='{a.id}']")).to_be_visible()
    page.get_by_label(f"run {b.id}", exact=True).check()
    page.get_by_label(f"run {a.id}", exact=True).check()
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/compare?pick=*")
    # the older run is the reference, whatever order the boxes were ticked in
    expect()(page.locator("h1")).to_have_text(f"Compare run {a.id} · run {b.id}")
    row = page.locator("#compare-inputs tr", has_text="RUS enlargement position")
    assert row.locator("td.v").all_inner_texts() == ["30", "35"]
    # the compare page lists the history too, with the pinned runs ticked: add the baseline
    expect()(page.get_by_label(f"run {a.id}", exact=True)).to_be_checked()
    expect()(page.get_by_label(f"run {b.id}", exact=True)).to_be_checked()
    page.get_by_label("baseline", exact=True).check()
    page.get_by_role("button", name="Compare selected").click()
    expect()(page.locator("h1")).to_have_text(f"Compare baseline · run {a.id} · run {b.id}")
