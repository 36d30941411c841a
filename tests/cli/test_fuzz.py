"""Property tests: no generated scenario, however malformed, produces a traceback."""

from __future__ import annotations

import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.cli import main

GOOD_YAML = {
    "meta": {"title": "t"},
    "actors": [{"id": "A", "capability": 1}, {"id": "B", "capability": 2}],
    "issues": [{"id": "x", "scale": {"min": 0, "max": 100}, "status_quo": 50}],
    "stances": [
        {"actor": "A", "issue": "x", "position": 10, "salience": 50},
        {"actor": "B", "issue": "x", "position": 90, "salience": 60},
    ],
}

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for n, v in enumerate(doc):
            yield from paths(v, (*prefix, n))


ALL_PATHS = [p for p in paths(GOOD_YAML) if p]


def mutate(doc, path, value, delete):
    import copy

    doc = copy.deepcopy(doc)
    target = doc
    for p in path[:-1]:
        target = target[p]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def outcome(args, capsys) -> tuple[int, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    _out, err = capsys.readouterr()
    return code, err


FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(path=st.sampled_from(ALL_PATHS), value=junk, delete=st.booleans())
def test_mutated_yaml_never_tracebacks(tmp_path, capsys, path, value, delete):
    doc = mutate(GOOD_YAML, path, value, delete)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, err = outcome(["forecast", str(f), "--json"], capsys)
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith(f"detente: {f}")


csv_cell = st.text(alphabet=string.printable, max_size=6)


@FUZZ
@given(
    rows=st.lists(st.lists(csv_cell, min_size=0, max_size=7), max_size=5),
    header=st.permutations(["actor", "issue", "position", "salience", "capability"]),
    delim=st.sampled_from([",", ";", "\t"]),
)
def test_random_csv_never_tracebacks(tmp_path, capsys, rows, header, delim):
    text = delim.join(header) + "\n" + "\n".join(",".join(r) for r in rows)
    f = tmp_path / "s.csv"
    f.write_text(text, encoding="utf-8")
    code, err = outcome(["forecast", str(f), "--json"], capsys)
    assert code in (0, 2)
    assert "Traceback" not in err


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_never_traceback(tmp_path, capsys, data):
    for suffix in (".yaml", ".csv"):
        f = tmp_path / f"s{suffix}"
        f.write_bytes(data)
        code, err = outcome(["forecast", str(f)], capsys)
        assert code in (0, 2)
        assert "Traceback" not in err


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "x: " + "[" * 2000 + "]" * 2000 + "\n"])
def test_pathological_yaml(tmp_path, capsys, text):
    f = tmp_path / "p.yaml"
    f.write_text(text, encoding="utf-8")
    code, err = outcome(["forecast", str(f)], capsys)
    assert code == 2 and "Traceback" not in err
