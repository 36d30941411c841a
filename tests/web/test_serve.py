"""`detente serve` safety without a browser: token, binding, and a fast `detente --help`."""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path

from tests.web.conftest import running


def _get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def test_token_is_required_and_kept_in_a_strict_cookie(tmp_path: Path) -> None:
    with running(db=str(tmp_path / "runs.sqlite"), token="s3cret") as srv:
        assert _get(srv.port, "/").status == 401
        assert _get(srv.port, "/?token=wrong").status == 401
        ok = _get(srv.port, "/?token=s3cret")
        assert ok.status == 200
        cookie = ok.getheader("set-cookie") or ""
        assert "detente_token=s3cret" in cookie and "SameSite=Strict" in cookie
        assert "HttpOnly" in cookie
        assert _get(srv.port, "/static/workbench.js", Cookie="detente_token=s3cret").status == 200
        assert _get(srv.port, "/static/workbench.js", Cookie="detente_token=nope").status == 401


def test_csp_and_headers_on_the_page_and_its_draws(tmp_path: Path) -> None:
    with running(db=str(tmp_path / "runs.sqlite"), samples=8) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        conn.request("GET", "/")
        page = conn.getresponse().read().decode()
        conn.close()
        assert '<span id="draws">8</span>' in page and 'name="samples"' in page
        resp = _get(srv.port, "/")
        csp = resp.getheader("content-security-policy") or ""
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe" not in csp
        assert resp.getheader("x-frame-options") == "DENY"
        assert _get(srv.port, "/?s=../../etc/passwd").status == 404  # never a path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_other_addresses_need_a_token() -> None:
    done = run_cli("serve", "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2
    assert "needs --token" in done.stderr


def test_help_does_not_import_the_web_stack() -> None:
    web = "{'starlette', 'sqlalchemy', 'uvicorn', 'alembic'}"
    code = f"import sys, detente.cli; print(sorted({web} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_garbage_in_a_field_or_option_is_a_message_never_a_server_error(server) -> None:
    from urllib.parse import urlencode

    sha = server.app.bench.start_sha
    values = ["nan", "inf", "1e309", "", "abc", "1,5", "[1, 2]", "-1", "½", "9" * 400]
    cases = [{"f.0.position": v} for v in values] + [{"f.0.publicity": v} for v in values]
    cases += [{"samples": v} for v in values] + [{"seed": v} for v in values]
    cases += [{"s": v} for v in ["", "zz", "../../etc/passwd"]]
    for case in cases:
        for path in ("/whatif", "/runs", "/export"):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            body = urlencode({"s": sha, "phase": "fast", **case})
            conn.request(
                "POST",
                path,
                body=body,
                headers={"Origin": server.url, "Content-Type": "application/x-www-form-urlencoded"},
            )
            resp = conn.getresponse()
            page = resp.read().decode()
            conn.close()
            assert resp.status == 200, (path, case, resp.status)
            assert "Traceback" not in page
    for query in ["/?s=zz", "/?scenario=../x", "/?run=abc", "/?run=99999", "/?run=" + "9" * 40]:
        assert _get(server.port, query).status == 404
    for query in ["/compare?a=1&b=" + "9" * 40, "/compare?a=x&b=base", "/compare"]:
        assert _get(server.port, query).status == 404


def test_a_csv_scenario_file_shows_what_forecast_json_prints(tmp_path: Path, capsys) -> None:
    import json
    import re

    from tests.web.conftest import detente, repo_root

    path = tmp_path / "talks.csv"
    path.write_text((repo_root() / "tests" / "data" / "small.csv").read_text())
    start = (path.read_text(), "csv", str(path))
    with running(db=str(tmp_path / "runs.sqlite"), start=start) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        conn.request("GET", "/")
        page = conn.getresponse().read().decode()
        conn.close()
    done = detente(capsys, "forecast", str(path), "--json", "--samples", "64", "--seed", "0")
    assert done.returncode == 0, done.stderr
    want = json.loads(done.stdout)["forecasts"]
    cells = re.findall(r'data-model="([^"]+)" data-issue="([^"]+)" data-value="([^"]*)"', page)
    assert {(m, i): float(v) for m, i, v in cells} == {
        (m, i): v for m, fc in want.items() for i, v in fc.items()
    }
    assert "<h1>detente workbench: talks</h1>" in page
