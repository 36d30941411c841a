"""The workbench's ratification table and the inputs outside the stance table (issue 19).

The bodies' thresholds and blocs, the agreement forms and the crisis inputs are edited like a
stance field: a number box and a slider, only touched fields count, the CLI's message next to
the field, and a saved run reloads with them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from detente.errors import InputError
from tests.web.conftest import Server, detente
from tests.web.test_browser import SAMPLES, SEED, as_map, cells, expect, open_page


def ratification_cells(page: Any) -> dict[tuple[str, str, str], tuple[int, str]]:
    """(model, form, body) -> (yes votes, passed) as the page's ratification table shows them."""
    rows = page.evaluate(
        """() => Array.from(document.querySelectorAll('#ratification td.rv'))
              .filter(td => td.dataset.yes !== undefined)
              .map(td => [td.dataset.model, td.dataset.form, td.dataset.body,
                          Number(td.dataset.yes), td.dataset.passed])"""
    )
    return {(m, f, b): (y, p) for m, f, b, y, p in rows}


def expected_ratification(loaded: Any, out: dict[str, Any]) -> dict[tuple[str, str, str], tuple]:
    """What `detente ratify --set ISSUE=VALUE ...` says of every model's package."""
    from detente import api

    want = {}
    for model, package in out["forecasts"].items():
        items = [f"{i}={v!r}" for i, v in package.items()]
        rep = api.ratify(loaded, set_values=items)
        for f in rep["packages"][0]["forms"]:
            for b in f["bodies"]:
                want[model, f["form"], b["body"]] = (b["yes"], "yes" if b["passed"] else "no")
    return want


def edited(server: Server, page: Any, form: dict[str, str]) -> Any:
    """The page's scenario with these edits, as the engine sees it."""
    from detente.web import workbench as wb

    op = server.app.bench.opened(page.locator("input[name=s]").input_value())
    return wb.apply_edits(op, wb.parse_edits(op, form))


def test_ratification_by_form_and_body_follows_an_edit(page: Any, server: Server) -> None:
    from detente import api
    from detente.scenario import load

    open_page(page, server)
    base_out = api.forecast(load("russia-nato-2021"), seed=SEED, samples=SAMPLES)
    want = expected_ratification(load("russia-nato-2021"), base_out)
    assert ratification_cells(page) == want
    lead = base_out["headline"]["model"]
    assert want[(lead, "treaty", "us-senate")][1] == "no"
    words = page.locator('#ratification-words li[data-form="treaty"]').inner_text()
    assert words.startswith(f"{lead}: ") and "fails" in words
    # the RUS enlargement slider by keyboard: the SMP package's Senate vote follows
    page.get_by_label("RUS enlargement position slider").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect()(page.locator("#summary")).to_contain_text("RUS enlargement position = 25")
    loaded = edited(server, page, {"f.0.position": "25"})
    now = ratification_cells(page)
    assert now == expected_ratification(loaded, api.forecast(loaded, seed=SEED, samples=SAMPLES))
    moved = [k for k in now if now[k] != want[k]]
    assert moved  # some body's vote on some model's package follows the edit
    changed = page.locator("#ratification td.rv.changed")
    assert changed.count() == len(moved)
    # Russia conceding reciprocity moves the headline package, and the Senate's vote with it
    page.get_by_label("RUS reciprocity position", exact=True).fill("100")
    expect()(page.locator("#summary")).to_contain_text("RUS reciprocity position = 100")
    loaded = edited(server, page, {"f.0.position": "25", "f.8.position": "100"})
    out = api.forecast(loaded, seed=SEED, samples=SAMPLES)
    now = ratification_cells(page)
    assert now == expected_ratification(loaded, out)
    assert now[(lead, "treaty", "us-senate")] != want[(lead, "treaty", "us-senate")]


def test_crisis_bloc_and_form_inputs_are_edited_and_validated(
    page: Any, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    from detente import api

    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status))
    open_page(page, server)
    base = as_map(cells(page))
    # a crisis input out of its range: the loader's message next to the field, no error page
    p_win = page.get_by_label("crisis p_win", exact=True)
    p_win.fill("1.5")
    message = page.locator("#err-d\\.crisis\\.p_win")
    expect()(message).to_contain_text("outside the allowed range 0 to 1")
    assert message.inner_text().startswith("russia-nato-2021:")
    # in range: P(escalation) follows, and equals the engine's for the same edit
    p_win.fill("0.3")
    expect()(page.locator("#summary")).to_contain_text("crisis p_win = 0.3")
    assert message.inner_text() == ""
    got = as_map(cells(page))
    out = api.forecast(edited(server, page, {"d.crisis.p_win": "0.3"}), seed=SEED, samples=SAMPLES)
    assert (
        got[("compromise", "p_escalation")]
        == out["outcome"]["models"]["compromise"]["p_escalation"]
    )
    assert got[("compromise", "p_escalation")] != base[("compromise", "p_escalation")]
    # a bloc's size must be a whole number, as in the file
    page.locator("#inputs-blocs > summary").click()
    count = page.get_by_label("us-senate republicans count", exact=True)
    count.fill("4.5")
    expect()(page.locator("#err-d\\.bodies\\.0\\.blocs\\.1\\.count")).to_contain_text(
        "expected a whole number"
    )
    count.fill("50")
    # the Senate's threshold by keyboard: down to the yes votes the headline package gets as a
    # treaty (a binding text, legal_form 0, costs it most senators), the Senate passes it
    lead = page.locator("#ratification th.headline").inner_text().rstrip(" ★")
    cell = page.locator(
        f'#ratification td.rv[data-model="{lead}"][data-form="treaty"][data-body="us-senate"]'
    )
    yes = int(cell.get_attribute("data-yes") or "0")
    threshold = page.get_by_label("us-senate threshold slider", exact=True)
    threshold.focus()
    for _ in range(67 - max(yes, 1)):
        page.keyboard.press("ArrowLeft")
    expect()(page.locator("#summary")).to_contain_text(f"us-senate threshold = {max(yes, 1)}")
    expect()(cell).to_have_attribute("data-passed", "yes")
    # a form's horizon: saved with the other edits, reloaded and re-run byte-identically
    page.locator("#inputs-forms > summary").click()
    page.get_by_label("form treaty horizon", exact=True).fill("10")
    expect()(page.locator("#summary")).to_contain_text("form treaty horizon = 10")
    page.get_by_role("button", name="Save run").click()
    saved = page.locator("#saved-run")
    expect()(saved).to_have_attribute("data-edits", "4")
    run = server.store.get_run(int(saved.get_attribute("data-run")))
    assert [e["field"] for e in run.edits] == [
        "crisis.p_win",
        "bodies[0].threshold",
        "bodies[0].blocs[1].count",
        "forms[0].horizon",
    ]
    assert [e["value"] for e in run.edits] == [0.3, max(yes, 1), 50, 10.0]
    page.goto(f"{server.url}/?run={run.id}")
    expect()(page.locator("#reloaded")).to_contain_text("byte-identical")
    assert page.get_by_label("form treaty horizon", exact=True).input_value() == "10"
    done = detente(capsys, "runs", "rerun", str(run.id), "--db", server.db)
    assert done.returncode == 0 and "byte-identical" in done.stdout, done.stdout
    assert json.loads(run.outputs)["scenario"] == "russia-nato-2021"
    assert all(s < 500 for s in statuses)


def test_achievement_gaps_follow_a_public_demand(page: Any, server: Server) -> None:
    from detente import api

    open_page(page, server)
    gap = page.locator('#gaps td.gap[data-actor="RUS"]')
    before = float(gap.get_attribute("data-value"))
    page.get_by_label("RUS enlargement demand", exact=True).fill("60")
    expect()(page.locator("#summary")).to_contain_text("RUS enlargement demand = 60")
    loaded = edited(server, page, {"f.0.demand": "60"})
    lead = page.locator("#gaps").get_attribute("data-model")
    want = api.crisis(loaded, samples=0, models=[lead])["models"][lead]["public_actors"]["RUS"]
    after = float(gap.get_attribute("data-value"))
    assert after == want["gap"]["value"] and after != before
    assert "changed" in (gap.get_attribute("class") or "")


def test_a_scenario_without_crisis_or_bodies_offers_no_other_inputs() -> None:
    from detente.web import workbench as wb

    text, kind = wb.bundled_text("ec-emissions-1994")
    opened = wb.open_text("ec", text, kind, "ec-emissions-1994")
    assert wb.other_inputs(opened) == {} and wb.other_sections(opened) == []
    # a stored edit of an input this scenario does not have is a message, not a crash
    stray = wb.Edit(-1, "crisis.p_win", 0.5)
    with pytest.raises(InputError, match="no such input"):
        wb.apply_edits(opened, [stray])
    forecast = {"forecasts": {"compromise": {}}, "headline": {"model": "compromise"}}
    assert wb.ratification(opened.loaded, forecast) is None
    assert wb.gaps(opened.loaded, forecast) is None


def test_exported_yaml_with_every_kind_of_edit_reproduces_the_whole_page(
    page: Any, server: Server, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stance, a crisis input and a body's threshold edited: the exported YAML validates, and
    its forecast, ratification table and achievement gaps are the page's."""
    from detente import api
    from detente.scenario import load
    from detente.web import workbench as wb
    from tests.web.test_browser import cli, expected_cells

    open_page(page, server)
    page.get_by_label("RUS enlargement demand", exact=True).fill("55")
    expect()(page.locator("#summary")).to_contain_text("RUS enlargement demand = 55")
    page.get_by_label("crisis p_win", exact=True).fill("0.35")
    expect()(page.locator("#summary")).to_contain_text("crisis p_win = 0.35")
    page.locator("#inputs-blocs > summary").click()
    page.get_by_label("us-senate threshold", exact=True).fill("55")
    expect()(page.locator("#summary")).to_contain_text("3 edits")
    shown = as_map(cells(page))
    votes = ratification_cells(page)
    gaps = {
        td.get_attribute("data-actor"): float(td.get_attribute("data-value"))
        for td in page.locator("#gaps td.gap").all()
    }
    lead = page.locator("#gaps").get_attribute("data-model")
    page.get_by_role("button", name="Export YAML").click()
    command = page.locator("#export-command").inner_text().split()
    path = tmp_path / command[2]
    path.write_text(page.get_by_label("exported YAML").input_value(), encoding="utf-8")
    assert detente(capsys, "validate", command[2], cwd=tmp_path).returncode == 0
    done = cli(*command[1:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert expected_cells(out) == shown
    loaded = load(str(path))
    table = wb.ratification(loaded, out)
    assert {
        (m, f["form"], b["body"]): (y, "yes" if b["passed"][m] else "no")
        for f in table["forms"]
        for b in f["bodies"]
        for m, y in b["yes"].items()
    } == votes
    crisis = api.crisis(loaded, samples=0, models=[lead])["models"][lead]["public_actors"]
    assert gaps == {a: v["gap"]["value"] for a, v in crisis.items()}
