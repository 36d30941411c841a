"""The workbench in a real headless Chromium (Playwright driving Debian's chromium).

Each test opens a fresh page on the live server of ``conftest.server``; results are read from
the cells' ``data-value`` attributes, which hold the exact floats the server computed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Server, detente, need, repo_root

SAMPLES, SEED = 64, 0
POS = "RUS enlargement position"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``detente ARGS`` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "detente", *args],
        capture_output=True,
        text=True,
        cwd=cwd or repo_root(),
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_json() -> str:
    """``detente forecast --json`` for the page's default draws and seed."""
    out = cli("forecast", "--json", "--samples", str(SAMPLES), "--seed", str(SEED))
    assert out.returncode == 0, out.stderr
    return out.stdout


def expect() -> Any:
    need("playwright")
    from playwright.sync_api import expect as _expect

    return _expect


def open_page(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    page.wait_for_function("() => window.htmx !== undefined")


def cells(page: Any) -> dict[tuple[str, str], float]:
    """Every forecast and P(...) cell: (model, issue or P key) -> exact value."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('td.fc, td.p'))
              .filter(td => td.dataset.value !== '')
              .map(td => [td.dataset.model, td.dataset.issue || td.dataset.p,
                          Number(td.dataset.value)])"""
    )


def as_map(rows: list[list[Any]]) -> dict[tuple[str, str], float]:
    return {(m, k): v for m, k, v in rows}


def expected_cells(out: dict[str, Any]) -> dict[tuple[str, str], float]:
    want = {(m, i): v for m, fc in out["forecasts"].items() for i, v in fc.items()}
    for m, oc in out["outcome"]["models"].items():
        for key in ("p_agreement", "p_ratified_given_agreement", "p_escalation"):
            if oc[key] is not None:
                want[(m, key)] = oc[key]
    return want


def test_page_equals_cli_json_with_no_foreign_requests_or_console_errors(
    page: Any, server: Server, cli_json: str
) -> None:
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_page(page, server)
    assert as_map(cells(page)) == expected_cells(json.loads(cli_json))
    assert page.locator("#draws").inner_text() == str(SAMPLES)
    # one edit too, so the htmx path is covered by the request and console checks
    page.get_by_label(POS, exact=True).fill("60")
    expect()(page.locator("#summary")).to_contain_text(f"{POS} = 60")
    assert requests and all(u.startswith(server.url + "/") for u in requests), requests
    assert errors == []


def test_keyboard_and_number_box_update_forecast_and_escalation(page: Any, server: Server) -> None:
    from detente import api
    from detente.web import workbench as wb

    timings: list[str] = []
    page.on(
        "response",
        lambda r: (
            timings.append(r.headers.get("server-timing", ""))
            if r.url.endswith("/whatif")
            else None
        ),
    )
    open_page(page, server)
    base = as_map(cells(page))
    # the allies' veto holds every voting model's enlargement at the status quo; the NBS bargains
    # over all issues at once (participation constraints), so its enlargement cell moves
    cell = ("nbs", "enlargement")
    esc = ("compromise", "p_escalation")
    # by keyboard: the slider moves from 20 by its step of 1 per key press
    page.get_by_label(POS + " slider").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect()(page.locator("#summary")).to_contain_text(f"{POS} = 25")
    assert page.get_by_label(POS, exact=True).input_value() == "25"
    by_key = as_map(cells(page))
    assert by_key[cell] != base[cell] and by_key[esc] != base[esc]
    assert page.locator("td.fc.changed").count() > 0
    # by the number box: the cells equal the engine's for the same edit
    page.get_by_label(POS, exact=True).fill("77.5")
    expect()(page.locator("#summary")).to_contain_text(f"{POS} = 77.5")
    by_box = as_map(cells(page))
    opened = next(iter(server.app.bench.known.values()))
    assert opened  # the start scenario is known to the server
    sha = page.locator("input[name=s]").input_value()
    op = server.app.bench.opened(sha)
    edited = wb.apply_edits(op, wb.parse_edits(op, {"f.0.position": "77.5"}))
    assert by_box == expected_cells(api.forecast(edited, seed=SEED, samples=SAMPLES))
    # the number box moved the forecast; its P(escalation) cell is the engine's (above), which
    # here need not differ from 25's: no draw's war-or-peace choice flips between 25 and 77.5
    assert by_box[cell] != by_key[cell]
    # each edit is answered twice: the fast models first, then every model and P(...)
    assert any("fast;" in t for t in timings) and any("whatif;" in t for t in timings)


def test_save_counts_only_touched_fields_and_reruns_identically(
    page: Any, server: Server, cli_json: str, capsys: pytest.CaptureFixture[str]
) -> None:
    open_page(page, server)
    page.get_by_role("button", name="Save run").click()
    saved = page.locator("#saved-run")
    expect()(saved).to_have_attribute("data-edits", "0")
    run0 = server.store.get_run(int(saved.get_attribute("data-run")))
    assert run0.edits == [] and run0.seed == SEED and run0.options["samples"] == SAMPLES
    assert run0.outputs == cli_json  # byte for byte what `detente forecast --json` prints
    page.get_by_label("RUS bucharest salience", exact=True).fill("77.5")
    expect()(page.locator("#summary")).to_contain_text("RUS bucharest salience = 77.5")
    page.get_by_role("button", name="Save run").click()
    expect()(saved).to_have_attribute("data-edits", "1")
    run1 = server.store.get_run(int(saved.get_attribute("data-run")))
    assert [(e["actor"], e["issue"], e["field"], e["value"]) for e in run1.edits] == [
        ("RUS", "bucharest", "salience", 77.5)
    ]
    done = detente(capsys, "runs", "rerun", str(run1.id), "--db", server.db)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "byte-identical" in done.stdout


def test_out_of_range_value_shows_the_cli_message_and_no_error_page(
    page: Any, server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status))
    open_page(page, server)
    page.get_by_label(POS, exact=True).fill("150")
    message = page.locator("#err-f\\.0\\.position")
    expect()(message).to_contain_text("outside the allowed range")
    # the same message `detente validate` prints for the same value in the file
    from detente.web.workbench import bundled_text

    text, _ = bundled_text("russia-nato-2021")
    line = "  - {actor: RUS, issue: enlargement, position: {dist: triangular, low: 0, mode: 20, "
    assert text.count(line) == 1
    (tmp_path / "russia-nato-2021.yaml").write_text(
        text.replace(line + "high: 50},", "  - {actor: RUS, issue: enlargement, position: 150,")
    )
    done = detente(capsys, "validate", "russia-nato-2021.yaml", cwd=tmp_path)
    assert done.returncode == 2
    expected = done.stderr.strip().split(": ", 1)[1]  # drop the file label and line
    assert message.inner_text().split(": ", 1)[1] == expected
    assert page.locator("#stance-table").is_visible() and all(s < 500 for s in statuses)
    assert page.title().endswith("detente workbench")


def test_broken_upload_lists_the_validate_problems(
    page: Any, server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "meta: {title: broken}\n"
        "actors:\n  - {id: A, capability: 10}\n  - {id: B, capability: -1}\n"
        "issues:\n  - {id: x}\n"
        "stances:\n"
        "  - {actor: A, issue: x, position: 150, salience: 50}\n"
        "  - {actor: C, issue: x, position: 10, salience: 50}\n"
    )
    done = detente(capsys, "validate", "broken.yaml", cwd=tmp_path)
    assert done.returncode == 2
    want = done.stderr.strip().splitlines()
    assert len(want) >= 3
    open_page(page, server)
    page.get_by_label("Upload YAML or CSV", exact=False).set_input_files(str(broken))
    page.get_by_role("button", name="Upload", exact=True).click()
    items = page.locator("#upload-problems li")
    expect()(items).to_have_count(len(want))
    assert items.all_inner_texts() == want


def test_good_upload_opens_it(page: Any, server: Server) -> None:
    open_page(page, server)
    page.get_by_label("Upload YAML or CSV", exact=False).set_input_files(
        str(repo_root() / "tests" / "data" / "small.csv")
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url("**/?s=*")
    assert "small" in page.locator("h1").inner_text()
    assert page.locator("td.fc").count() > 0


def test_oversized_upload_gets_413(page: Any, server: Server, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    open_page(page, server)
    with page.expect_response(lambda r: r.url.endswith("/upload")) as info:
        page.get_by_label("Upload YAML or CSV", exact=False).set_input_files(str(big))
        page.get_by_role("button", name="Upload", exact=True).click()
    assert info.value.status == 413
    expect()(page.locator("#flash")).to_contain_text("413")


def test_cross_site_post_is_refused(page: Any, server: Server) -> None:
    before = len(server.store.list_runs(100_000))
    evil = "http://evil.example/"
    form = (
        f"<form id=f method=post action='{server.url}/runs'>"
        "<input name=s value=x><input name=samples value=1></form>"
        "<script>document.getElementById('f').submit()</script>"
    )
    page.route(evil, lambda route: route.fulfill(body=form, content_type="text/html"))
    with page.expect_response(lambda r: r.url == server.url + "/runs") as info:
        page.goto(evil)
    assert info.value.status == 403
    assert len(server.store.list_runs(100_000)) == before


def test_wrong_host_and_missing_origin_are_refused(server: Server) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/", headers={"Host": "evil.example"})
    assert conn.getresponse().status == 400
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(
        "POST", "/runs", body="s=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert conn.getresponse().status == 403  # no Origin: not from the page
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/whatif")
    assert conn.getresponse().status == 405  # state changes need POST
    conn.close()


def test_reset_restores_the_baseline(page: Any, server: Server) -> None:
    open_page(page, server)
    base = as_map(cells(page))
    box = page.get_by_label(POS, exact=True)
    sal = page.get_by_label("USA enlargement salience", exact=True)
    sal_before = sal.input_value()
    box.fill("70")
    expect()(page.locator("#summary")).to_contain_text(f"{POS} = 70")
    sal.fill("10")
    expect()(page.locator("#summary")).to_contain_text("2 edits")
    page.get_by_role("button", name="reset USA enlargement salience").click()
    expect()(page.locator("#summary")).to_contain_text("1 edit ")
    assert sal.input_value() == sal_before
    page.get_by_role("button", name="Reset all").click()
    expect()(page.locator("#summary")).to_contain_text("Baseline")
    assert box.input_value() == "20"
    assert as_map(cells(page)) == base
    assert page.locator("input.box[name]").count() == 0
    assert page.locator("td.changed").count() == 0


def test_every_input_has_a_unique_label(page: Any, server: Server) -> None:
    open_page(page, server)
    unlabelled = page.evaluate(
        """() => {
          const names = new Map();
          const bad = [];
          for (const el of document.querySelectorAll('input:not([type=hidden]), select, button')) {
            const label = el.getAttribute('aria-label') ||
              (el.labels && el.labels.length ? el.labels[0].textContent.trim() : '') ||
              el.textContent.trim();
            if (!label) bad.push(el.outerHTML.slice(0, 80));
            names.set(label, (names.get(label) || 0) + 1);
          }
          for (const [k, n] of names) if (n > 1) bad.push('duplicate label ' + k);
          return bad;
        }"""
    )
    assert unlabelled == []


def test_screenshot_for_the_readme(page: Any, server: Server, tmp_path: Path) -> None:
    """The README's picture; ``DETENTE_SCREENSHOT=docs/workbench.png`` writes it there."""
    import os

    page.set_viewport_size({"width": 1500, "height": 900})
    open_page(page, server)
    page.get_by_label(POS, exact=True).fill("50")
    expect()(page.locator("#summary")).to_contain_text(f"{POS} = 50")
    target = Path(os.environ.get("DETENTE_SCREENSHOT") or tmp_path / "workbench.png")
    page.screenshot(path=str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_exported_yaml_validates_and_reproduces_the_page(
    page: Any, server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_page(page, server)
    page.get_by_label("DEU enlargement position", exact=True).fill("62.25")
    expect()(page.locator("#summary")).to_contain_text("DEU enlargement position = 62.25")
    shown = as_map(cells(page))
    page.get_by_role("button", name="Export YAML").click()
    text = page.get_by_label("exported YAML")
    expect()(text).to_contain_text("DEU enlargement position = 62.25")
    command = page.locator("#export-command").inner_text().split()
    name = command[2]
    (tmp_path / name).write_text(text.input_value(), encoding="utf-8")
    assert detente(capsys, "validate", name, cwd=tmp_path).returncode == 0
    done = cli(*command[1:], cwd=tmp_path)  # the page's "detente forecast FILE ..." command
    assert done.returncode == 0, done.stderr
    assert expected_cells(json.loads(done.stdout)) == shown


def test_undo_and_redo_step_through_the_edits(page: Any, server: Server) -> None:
    open_page(page, server)
    summary = page.locator("#summary")
    page.get_by_label(POS, exact=True).fill("40")
    expect()(summary).to_contain_text(f"{POS} = 40")
    page.get_by_label("USA bucharest salience", exact=True).fill("20")
    expect()(summary).to_contain_text("2 edits")
    page.get_by_role("button", name="Undo").click()
    expect()(summary).to_contain_text("1 edit ")
    assert page.get_by_label("USA bucharest salience", exact=True).input_value() == "50"
    page.get_by_role("button", name="Undo").click()
    expect()(summary).to_contain_text("Baseline")
    assert page.get_by_role("button", name="Undo").is_disabled()
    page.get_by_role("button", name="Redo").click()
    expect()(summary).to_contain_text(f"{POS} = 40")
    assert page.get_by_label(POS, exact=True).input_value() == "40"


def test_saved_run_reloads_with_its_edits_and_reruns_identically(
    page: Any, server: Server, tmp_path: Path
) -> None:
    open_page(page, server)
    page.get_by_label("GBR enlargement salience", exact=True).fill("33.25")
    expect()(page.locator("#summary")).to_contain_text("GBR enlargement salience = 33.25")
    page.get_by_role("button", name="Save run").click()
    saved = page.locator("#saved-run")
    expect()(saved).to_have_attribute("data-edits", "1")
    run = server.store.get_run(int(saved.get_attribute("data-run")))
    page.get_by_role("link", name="open it").click()
    page.wait_for_url(f"**/?run={run.id}")
    expect()(page.locator("#reloaded")).to_contain_text("byte-identical")
    expect()(page.locator("#summary")).to_contain_text("GBR enlargement salience = 33.25")
    box = page.get_by_label("GBR enlargement salience", exact=True)
    assert box.input_value() == "33.25" and box.get_attribute("name")
    assert as_map(cells(page)) == expected_cells(json.loads(run.outputs))
    # the exported YAML's command gives the saved JSON (all but the scenario's file label)
    page.get_by_role("button", name="Export YAML").click()
    command = page.locator("#export-command").inner_text().split()
    (tmp_path / command[2]).write_text(page.get_by_label("exported YAML").input_value())
    done = cli(*command[1:], cwd=tmp_path)
    again, saved_out = json.loads(done.stdout), json.loads(run.outputs)
    again.pop("scenario"), saved_out.pop("scenario")
    assert again == saved_out


def test_compare_shows_the_deltas_of_inputs_and_results(page: Any, server: Server) -> None:
    open_page(page, server)
    page.get_by_role("button", name="Save run").click()
    saved = page.locator("#saved-run")
    expect()(saved).to_have_attribute("data-edits", "0")
    first = saved.get_attribute("data-run")
    page.get_by_label(POS, exact=True).fill("45")
    expect()(page.locator("#summary")).to_contain_text(f"{POS} = 45")
    page.get_by_role("button", name="Save run").click()
    expect()(saved).to_have_attribute("data-edits", "1")
    second = saved.get_attribute("data-run")
    # with the baseline, from the saved message's link
    page.get_by_role("link", name="compare with the baseline").click()
    page.wait_for_url(f"**/compare?a={second}&b=base")
    assert "RUS enlargement position" in page.locator("#compare-inputs").inner_text()
    delta = page.locator('td.delta[data-model="nbs"][data-what="enlargement"]')
    moved = float(delta.inner_text())
    assert moved != 0
    # two runs, from the page's compare form: the unedited run gives the baseline's deltas
    page.goto(server.url + "/")
    page.get_by_label("Compare runs (ids, or base)").fill(f"{second} {first}")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_url("**/compare?*")
    assert float(delta.inner_text()) == moved
    assert page.locator("tr.changed").count() > 0


def test_round_by_round_equals_simulate_json(
    page: Any, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    done = detente(
        capsys, "simulate", "russia-nato-2021", "-m", "smp", "--json", "--seed", str(SEED)
    )
    assert done.returncode == 0, done.stderr
    want = json.loads(done.stdout)
    open_page(page, server)
    page.get_by_label("Model", exact=True).select_option("smp")
    page.get_by_role("button", name="Show rounds").click()
    expect()(page.locator("#rounds-body")).to_have_attribute("data-model", "smp")
    got = page.evaluate(
        """() => Array.from(document.querySelectorAll('#rounds-table td.fc'))
              .map(td => [Number(td.dataset.round), td.dataset.issue, Number(td.dataset.value)])"""
    )
    assert {(r, i): v for r, i, v in got} == {
        (r["round"], i): v for r in want["rounds"] for i, v in r["forecast"].items()
    }
    assert page.locator("details.round-events").count() > 0


def test_monte_carlo_job_shows_progress_result_and_cancels(page: Any, server: Server) -> None:
    from detente.analyses.montecarlo import run_montecarlo
    from detente.scenario import load

    open_page(page, server)
    draws = page.get_by_label("Draws for the intervals")
    draws.fill("512")
    page.get_by_role("button", name="Run in the background").click()
    job = page.locator("#job")
    expect()(job).to_have_attribute("data-state", "finished", timeout=60_000)
    loaded = load("russia-nato-2021")
    want = run_montecarlo(loaded.scenario, 512, SEED, None, source=loaded.source)
    cell = page.locator('td.iv[data-model="compromise"][data-issue="enlargement"]')
    q50 = want["issues"]["enlargement"]["compromise"]["quantiles"]["50"]
    assert float(cell.get_attribute("data-q50")) == q50
    # a long one, cancelled: it stops at the next block of draws
    draws.fill("100000")
    page.get_by_role("button", name="Run in the background").click()
    expect()(page.locator("#job-progress")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect()(job).to_have_attribute("data-state", "cancelled", timeout=30_000)
    assert "Cancelled after" in page.locator("#job-message").inner_text()


def test_every_input_can_be_reached_by_its_label(page: Any, server: Server) -> None:
    """Every field, slider, menu and button is found by its accessible name, as a screen reader
    or `get_by_label` finds it, and the name leads to that very element and no other (the
    sections of other inputs opened by their summaries first, as a user opens them)."""
    open_page(page, server)
    closed = page.locator("details:not([open]) > summary")
    while closed.count():
        closed.first.click()
    sel = "input:not([type=hidden]), select, textarea"
    labels = page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel)).map(el =>
              el.getAttribute('aria-label') ||
              (el.labels && el.labels.length ? el.labels[0].textContent.trim() : ''))""",
        sel,
    )
    assert len(labels) > 100 and all(labels), labels
    # one round trip per label (there are over a thousand): what get_by_label finds, whether it
    # is one element, visible (Playwright's is_visible: checkVisibility(), visibility: visible
    # and a box of some size) and that very input
    check = """(els, [sel, i]) => {
        if (els.length !== 1) return `${els.length} elements`;
        const el = els[0], box = el.getBoundingClientRect();
        const visible = el.checkVisibility() && getComputedStyle(el).visibility === 'visible'
          && box.width > 0 && box.height > 0;
        if (!visible) return 'not visible';
        return el === document.querySelectorAll(sel)[i] ? 'ok' : 'another element';
      }"""
    for i, label in enumerate(labels):
        assert page.get_by_label(label, exact=True).evaluate_all(check, [sel, i]) == "ok", label
    buttons = page.evaluate(
        """() => Array.from(document.querySelectorAll('button'))
              .filter(b => b.getClientRects().length > 0)
              .map(b => b.getAttribute('aria-label') || b.textContent.trim())"""
    )
    assert buttons and all(buttons)
    for name in buttons:
        assert page.get_by_role("button", name=name, exact=True).count() == 1, name
