"""Progress of the slow commands: on stderr when it is a terminal, nothing otherwise (issue 20).

The analyses take an optional ``progress(done, total)`` callback; a run with one gives the same
result as a run without. The commands draw a bar on stderr only when stderr is a terminal, so
piped or redirected output, stdout and stderr, is byte-identical to a run without progress.
"""

from __future__ import annotations

import sys

import pytest

from detente import api
from detente.cli import main

#: small runs of each slow command (the bar's content does not depend on the size)
COMMANDS = [
    ["crisis", "--samples", "20"],
    ["advise", "--actor", "RUS", "--samples", "20"],
    ["ratify", "--form", "treaty", "--proposal", "frolov-compromise", "--nearest"],
    ["montecarlo", "--samples", "40"],
]


#: words of each command's bar
BAR = {
    "crisis": "crisis:",
    "advise": "advise RUS",
    "ratify": "nearest packages",
    "montecarlo": "draws",
}


def test_no_terminal_no_callback() -> None:
    from detente.commands.progress import stderr_progress

    with stderr_progress("x", show=False) as cb:
        assert cb is None


def _calls() -> tuple[list[tuple[int, int]], object]:
    calls: list[tuple[int, int]] = []
    return calls, lambda done, total: calls.append((done, total))


def _check(calls: list[tuple[int, int]]) -> None:
    assert calls, "progress was never reported"
    dones = [d for d, _ in calls]
    assert dones == sorted(dones), "progress went backwards"
    assert all(0 <= d <= t for d, t in calls)
    assert calls[-1][0] == calls[-1][1], "the last report is not the end"


def test_crisis_reports_progress_and_same_result() -> None:
    calls, cb = _calls()
    assert api.crisis(samples=20, progress=cb) == api.crisis(samples=20)
    _check(calls)


def test_ratify_nearest_reports_progress_and_same_result() -> None:
    opts = {"forms": ["treaty"], "proposal": "frolov-compromise", "nearest": True}
    calls, cb = _calls()
    assert api.ratify(progress=cb, **opts) == api.ratify(**opts)
    _check(calls)


def test_advise_reports_progress() -> None:
    calls, cb = _calls()
    api.advise(None, "RUS", samples=20, progress=cb)
    _check(calls)


def _run(capsys, args: list[str]) -> tuple[str, str]:
    try:
        main(args)
    except SystemExit as exc:  # pragma: no cover - the commands succeed
        assert exc.code == 0
    got = capsys.readouterr()
    return got.out, got.err


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_bar_only_on_a_terminal(capsys, monkeypatch, args: list[str]) -> None:
    plain_out, plain_err = _run(capsys, args)
    assert plain_err == ""  # not a terminal: nothing on stderr
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("FORCE_TERMINAL", "1")  # rich reads the same terminal
    tty_out, tty_err = _run(capsys, args)
    assert tty_out == plain_out  # stdout is the same with the bar
    assert BAR[args[0]] in tty_err, "no progress bar on a terminal"
