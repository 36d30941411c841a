"""Fuzz target of issue 22: mutations of the bundled scenarios, driven through the CLI in process.

For every input the contract is: exit 0 with strict JSON on stdout (no NaN or Infinity tokens),
nothing on stderr and no numpy RuntimeWarning; or exit 2 with exactly one line on stderr. Never a
traceback, never another exit status.

The budget is about a minute in CI (``max_examples`` below, derandomised so that CI runs are
reproducible). ``DETENTE_FUZZ_SCALE=20`` runs twenty times as many examples with fresh random
draws, for a local hunt. A failure found that way goes into ``tests/data/fuzz/`` (the regression
corpus, run by :func:`test_regression_corpus`) with the command that broke.
"""

from __future__ import annotations

import copy
import io
import json
import os
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.cli import main
from detente.scenario import bundled_scenarios

CORPUS = Path(__file__).parents[1] / "data" / "fuzz"
SCALE = float(os.environ.get("DETENTE_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# ------------------------------------------------------------------------------------------
# The contract


def run_cli(args: list[str]) -> tuple[int, str, str, list[str]]:
    """Run ``detente ARGS`` in process: exit status, stdout, stderr and numeric warnings."""
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with warnings.catch_warnings(record=True) as caught, redirect_stdout(out), redirect_stderr(err):
        warnings.simplefilter("always")
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code
    numeric = [
        f"{w.filename}:{w.lineno}: {w.message}"
        for w in caught
        if issubclass(w.category, RuntimeWarning)
    ]
    return code, out.getvalue(), err.getvalue(), numeric


def _refuse(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def assert_clean_success(args: list[str], out: str, err: str, numeric: list[str]) -> None:
    """A successful run: nothing on stderr, no numpy warnings, strict JSON under ``--json``."""
    assert err == "", f"stderr on success for {args}: {err[:500]}"
    assert numeric == [], f"numpy warnings for {args}: {numeric[:3]}"
    if "--json" in args:
        json.loads(out, parse_constant=_refuse)


def check_contract(args: list[str]) -> int:
    """Run the command and assert the contract; return the exit status.

    ``validate`` is the one command that lists every problem: one line each, each naming the
    file.
    """
    code, out, err, numeric = run_cli(args)
    assert code in (0, 2), f"exit {code!r} for {args}: {err[-2000:]}"
    if code == 0:
        assert_clean_success(args, out, err, numeric)
    elif args[0] == "validate":  # lists every problem, one line each, each naming the file
        lines = err.splitlines()
        assert lines and all(x.startswith(args[1]) for x in lines), f"{args}: {err[:800]!r}"
    else:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("detente: "), f"{args}: {err[:800]!r}"
        assert out == "", f"stdout on failure for {args}: {out[:200]}"
    return code


# ------------------------------------------------------------------------------------------
# Mutations


def _bundled_docs() -> dict[str, dict[str, Any]]:
    return {
        name: yaml.safe_load(entry.read_text(encoding="utf-8"))
        for name, entry in bundled_scenarios().items()
    }


DOCS = _bundled_docs()
SMALL_DOCS = sorted(n for n in DOCS if n != "russia-nato-2021")

extreme_numbers = st.sampled_from(
    [0, -0.0, 1e-300, 5e-324, 1e-12, 1e-13, 1e12, 1e13, 1e308, -1e308, 10**400, -1, 100, 0.5]
) | st.floats(allow_nan=True, allow_infinity=True)
leaf = (
    extreme_numbers
    | st.integers()
    | st.none()
    | st.booleans()
    | st.sampled_from(["NO", "ON", "yes", "010", "1:30", "1e3", "x", "", "a\nb", "\x85", "\u2028"])
    | st.text(max_size=6)
)
distribution = st.fixed_dictionaries(
    {"dist": st.sampled_from(["normal", "uniform", "triangular", "beta", "point", "gamma"])},
    optional={
        k: extreme_numbers | st.sampled_from([{"a": 1}, [1]])
        for k in ("mean", "sd", "low", "high", "mode", "alpha", "beta", "value")
    },
)
junk = st.recursive(
    leaf | distribution,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a document (mapping keys and list indices)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for n, v in enumerate(doc):
            out += paths(v, (*prefix, n))
    return out


def numeric_paths(doc: Any) -> list[tuple]:
    def numeric(p: tuple) -> bool:
        v = _get(doc, p)
        return isinstance(v, int | float) and not isinstance(v, bool)

    return [p for p in paths(doc) if p and numeric(p)]


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def mutate(data: st.DataObject, doc: dict[str, Any]) -> dict[str, Any]:
    """One to three edits: replace a value with junk, scale numbers, or delete or copy an entry."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        kind = data.draw(st.sampled_from(["junk", "number", "scale", "delete", "copy"]))
        if kind == "scale":  # every capability (or salience, ...) times one factor
            key = data.draw(st.sampled_from(["capability", "salience", "position", "count"]))
            factor = data.draw(st.sampled_from([0, 1e-12, 1e-6, 1e6, 1e11, -1]))
            for p in numeric_paths(doc):
                if p[-1] == key:
                    _get(doc, p[:-1])[p[-1]] = _get(doc, p) * factor
            continue
        candidates = numeric_paths(doc) if kind == "number" else [p for p in paths(doc) if p]
        if not candidates:
            continue
        path = data.draw(st.sampled_from(candidates), label="path")
        parent, key = _get(doc, path[:-1]), path[-1]
        if kind == "delete":
            del parent[key]
        elif kind == "copy" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif kind == "number":
            parent[key] = data.draw(extreme_numbers, label="number")
        else:
            parent[key] = data.draw(junk, label="value")
    return doc


def dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------------------------------------
# Targets

SMALL_COMMANDS = [
    ["forecast", "--json"],
    ["validate"],
    ["montecarlo", "-n", "8", "-m", "compromise", "-m", "bdm", "-m", "nbs", "--json"],
    ["simulate", "-m", "smp", "--json"],
    ["forecast"],
]


@fuzz_settings(80)
@given(data=st.data(), name=st.sampled_from(SMALL_DOCS), command=st.sampled_from(SMALL_COMMANDS))
def test_mutated_bundled_scenarios(tmp_path, data, name, command):
    f = tmp_path / "s.yaml"
    f.write_text(dump(mutate(data, DOCS[name])), encoding="utf-8")
    check_contract([command[0], str(f), *command[1:]])


TWO_LEVEL_COMMANDS = [
    ["ratify", "--json"],
    ["crisis", "--json", "--samples", "4"],
    ["validate"],
]


@fuzz_settings(30)
@given(data=st.data(), command=st.sampled_from(TWO_LEVEL_COMMANDS))
def test_mutated_two_level_scenario(tmp_path, data, command):
    f = tmp_path / "s.yaml"
    f.write_text(dump(mutate(data, DOCS["russia-nato-2021"])), encoding="utf-8")
    check_contract([command[0], str(f), *command[1:]])


SPECIAL = [
    "\x85",
    "\r",
    "\u2028",
    "\t",
    "\x00",
    "\ufeff",
    "'",
    '"',
    ":",
    "&a",
    "*a",
    "<<: ",
    "!!",
    "{",
    "-",
]


@fuzz_settings(100)
@given(
    name=st.sampled_from(SMALL_DOCS),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(SPECIAL) | st.text(max_size=3), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    suffix=st.sampled_from([".yaml", ".json"]),
)
def test_text_mutations(tmp_path, name, edits, suffix):
    text = bundled_scenarios()[name].read_text(encoding="utf-8")
    if suffix == ".json":
        text = json.dumps(yaml.safe_load(text), indent=1)
    for where, chars, replace in edits:
        at = int(where * len(text))
        text = text[:at] + chars + text[at + (len(chars) if replace else 0) :]
    f = tmp_path / f"s{suffix}"
    f.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_contract(["forecast", str(f), "--json", "-m", "compromise", "-m", "bdm"])


CSV_HEADER = "actor,issue,position,salience,capability"
csv_cell = (
    st.sampled_from(["United Kingdom", "NO", "1e308", "-0", "1e-300", "nan", "", '"a\nb"', "010"])
    | st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True)
    | st.text(max_size=5)
)


@fuzz_settings(100)
@given(
    rows=st.lists(st.lists(csv_cell, min_size=5, max_size=5), min_size=1, max_size=5),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    command=st.sampled_from([["forecast", "--json"], ["convert"]]),
)
def test_csv_tables(tmp_path, rows, newline, command):
    base = ["A,x,10,50,1", "B,x,90,60,2"]
    text = newline.join([CSV_HEADER, *base, *(",".join(r) for r in rows)]) + newline
    f = tmp_path / "s.csv"
    f.write_text(text, encoding="utf-8", newline="")
    args = [command[0], str(f), *command[1:]]
    if command[0] == "convert":
        args.append(str(tmp_path / "out.yaml"))
        code, _out, err, numeric = run_cli(args)
        assert code in (0, 2) and len(err.splitlines()) <= 1, err
        assert numeric == []
        return
    check_contract(args)


# ------------------------------------------------------------------------------------------
# Regression corpus: past failures (issue 22's reproducers and what fuzzing found since)

CORPUS_COMMANDS = [
    ["forecast", "--json"],
    ["validate"],
    ["montecarlo", "-n", "16", "--json"],
    ["ratify", "--json"],
    ["simulate", "-m", "smp", "--json"],
]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
@pytest.mark.parametrize("command", CORPUS_COMMANDS, ids=lambda c: c[0])
def test_regression_corpus(name, command):
    check_contract([command[0], str(CORPUS / name), *command[1:]])
