"""The run history on the page, over plain HTTP: saved forecast runs listed with a box each,
and the ticked boxes (``?pick=``) pinned for compare without typing run ids."""

from __future__ import annotations

import html as htmllib
import http.client
import re
from pathlib import Path
from urllib.parse import urlencode

from detente.web.compare import picked_pins
from tests.web.conftest import Server, running


def _request(srv: Server, method: str, path: str, form: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    headers = {"Origin": srv.url, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request(method, path, body=None if form is None else urlencode(form), headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp, text


def _ticked(html: str) -> list[str]:
    return re.findall(r'name="pick" value="([^"]+)" id="pick-[^"]+" checked', html)


def test_history_lists_saved_runs_and_compares_the_ticked_ones(tmp_path: Path) -> None:
    with running(db=str(tmp_path / "runs.sqlite"), samples=8) as srv:
        sha = srv.app.bench.start_sha
        _resp, page = _request(srv, "GET", "/")
        assert 'id="history-empty"' in page and 'hx-get="/history"' in page
        ids = []
        for value in ("30", "35"):
            resp, text = _request(srv, "POST", "/runs", {"s": sha, "f.0.position": value})
            assert resp.getheader("HX-Trigger") == "runSaved"  # the history reloads itself
            ids.append(int(re.search(r'data-run="(\d+)"', text).group(1)))
        a, b = ids
        # a run of another command is not offered: compare takes forecast runs
        other = srv.store.save_run(
            command="montecarlo",
            scenario_sha256=srv.store.list_runs(1)[0].scenario_sha256,
            edits=[],
            options={"command": "montecarlo"},
            seed=0,
            version="x",
            outputs="{}",
            elapsed_s=0.0,
        )
        resp, rows = _request(srv, "GET", "/history")
        assert resp.status == 200
        listed = re.findall(r'<tr data-run="([^"]+)">', rows)
        assert listed == [str(b), str(a), "base"]  # newest first, then the baseline
        assert str(other) not in listed and _ticked(rows) == []
        assert "Compare selected" in rows and 'action="/compare"' in rows

        resp, html = _request(srv, "GET", f"/compare?pick={b}&pick=base&pick={a}")
        assert resp.status == 200
        assert f"<h1>Compare baseline · run {a} · run {b}</h1>" in html
        assert sorted(_ticked(html)) == sorted([str(a), str(b), "base"])
        _resp, rows = _request(srv, "GET", f"/history?pinned={a},base")
        assert _ticked(rows) == [str(a), "base"]

        for query, message in (
            (f"pick={a}", "pin 2 to 8 runs"),
            (f"pick={a}&pick={other}", f"run {other} is a `montecarlo` run"),
            (f"pick={a}&pick=x", "'x' is not a run id or base"),
        ):
            resp, html = _request(srv, "GET", f"/compare?{query}")
            assert resp.status == 404 and message in htmllib.unescape(html), query


def test_ticked_boxes_pin_the_baseline_then_the_runs_oldest_first() -> None:
    assert picked_pins(["12", "9", "base", "100"]) == "base 9 12 100"
    assert picked_pins(["4", "3"]) == "3 4"
