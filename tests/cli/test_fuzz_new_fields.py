"""Fuzz the newer scenario fields of the bundled default scenario through the CLI, in process.

The fields: ``forms[].fixes`` and ``forms[].bounds``, ``crisis.talks_months`` (with and without
``deadline_months``), ``crisis.responses``, ``issues[].controlled_by`` and ``veto``, blocs'
``approval_cost``, ``proposals[].form`` and ``meta.domain``.

The contract (as in ``test_fuzz_bundled``): exit 0 with strict JSON on stdout (no NaN or
Infinity), nothing on stderr and no numpy RuntimeWarning; or exit 2 with exactly one stderr line
(``validate``: one line per problem) that names the file and the field or its line. Never a
traceback, never another exit status.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import re
from contextlib import redirect_stdout
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from detente.analyses.ratification import approvals
from detente.cli import main
from detente.scenario import bundled_scenarios
from detente.scenario.ratification import CompiledBody, CompiledForm
from tests.cli.test_fuzz_bundled import (
    DOCS,
    assert_clean_success,
    dump,
    fuzz_settings,
    run_cli,
)

NAME = "russia-nato-2021"
DOC = DOCS[NAME]
ISSUES = [i["id"] for i in DOC["issues"]]
ACTORS = [a["id"] for a in DOC["actors"]]
TARGETS = list(DOC["crisis"]["targets"])
FORMS = [f["id"] for f in DOC["forms"]]

COMMANDS = [
    ["validate"],
    ["crisis", "--samples", "4"],
    ["ratify"],
    ["forecast", "--json", "--samples", "20"],
    ["ratify", "--json"],
    ["crisis", "--json", "--samples", "20"],
    ["advise", "--actor", "RUS", "--json", "--samples", "20"],
]

# words an error line may use to name what the mutation touched
FIELD_WORDS = {
    "fixes": ("fixes",),
    "bounds": ("bounds",),
    "talks_months": ("talks_months",),
    "deadline_months": ("deadline_months",),
    "responses": ("responses",),
    "controlled_by": ("controlled_by", "veto", "status_quo", "reversion"),
    "approval_cost": ("approval_cost",),
    "form": ("form",),
    "domain": ("domain",),
    "crisis": ("crisis",),
}


def check(args: list[str], field: str | list[str]) -> int:
    """Run ``detente ARGS`` and assert the contract; an error names the file and ``field``
    (one of the fields given) or a line of the file."""
    code, out, err, numeric = run_cli(args)
    assert code in (0, 2), f"exit {code!r} for {args}: {err[-2000:]}"
    if code == 0:
        assert_clean_success(args, out, err, numeric)
        return code
    lines = err.splitlines()
    assert "Traceback" not in err, err
    if args[0] == "validate":
        assert lines and all(x.startswith(args[1]) for x in lines), f"{args}: {err[:800]!r}"
    else:
        assert len(lines) == 1 and lines[0].startswith("detente: "), f"{args}: {err[:800]!r}"
        assert args[1] in lines[0], f"the error does not name the file: {err!r}"
        assert out == "", f"stdout on failure for {args}: {out[:200]}"
    # the field, or a line number of the file, is named
    words = [w for x in ([field] if isinstance(field, str) else field) for w in FIELD_WORDS[x]]
    named = any(w in err for w in words) or re.search(r"(:\d+:|line \d+)", err)
    assert named, f"the error names neither {field!r} nor a line: {err!r}"
    return code


# ------------------------------------------------------------------------------------------
# Values

tiny_or_huge = st.sampled_from(
    [0, -0.0, 1e-300, 5e-324, 1e-12, 1e-13, 1e12, 1e13, 1e308, -1e308, 10**400, -1, 0.5, 100]
)
number = (
    tiny_or_huge
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**15), 10**15)
    | st.sampled_from(["nan", "NaN", ".nan", "inf", "-inf", ".inf", "1e400", "1e3", "", "x"])
)
distribution = st.fixed_dictionaries(
    {"dist": st.sampled_from(["normal", "uniform", "triangular", "beta", "point", "gamma"])},
    optional={k: tiny_or_huge for k in ("mean", "sd", "low", "high", "mode", "alpha", "value")},
)
junk = (
    st.none()
    | st.booleans()
    | st.text(max_size=5)
    | st.lists(number, max_size=3)
    | st.dictionaries(st.text(max_size=4), number, max_size=2)
)
Number = number | distribution | st.lists(tiny_or_huge, min_size=2, max_size=2)
issue_id = st.sampled_from([*ISSUES, "nonesuch", "", "RUS"])
target_id = st.sampled_from([*TARGETS, "RUS", "nobody", ""])
actor_id = st.sampled_from([*ACTORS, "nobody", "", "1x"])
on_scale = st.sampled_from([0, 100, 50, 25.5, -1, 101, 1e-13, 1e-12]) | number
pair = st.lists(on_scale, min_size=0, max_size=3) | st.tuples(on_scale, on_scale).map(list)
response = st.fixed_dictionaries(
    {},
    optional={
        "response": st.sampled_from(["fight", "resist", "flee", "", None, True]),
        "cost": Number,
        "why": st.text(max_size=4),
        "extra": st.just(1),
    },
)


# ------------------------------------------------------------------------------------------
# Mutations of the new fields


def _form(data: st.DataObject, doc: dict[str, Any]) -> dict[str, Any]:
    return doc["forms"][data.draw(st.integers(0, len(doc["forms"]) - 1), label="form")]


def m_fixes(data, doc):
    f = _form(data, doc)
    f["fixes"] = data.draw(
        st.dictionaries(issue_id, on_scale, max_size=3) | junk | st.just({}), label="fixes"
    )


def m_bounds(data, doc):
    f = _form(data, doc)
    if data.draw(st.booleans(), label="drop fixes"):
        f.pop("fixes", None)
    equal = st.sampled_from([0, 50, 100]).map(lambda v: [v, v])
    f["bounds"] = data.draw(
        st.dictionaries(issue_id, pair | equal | junk, max_size=3) | junk | st.just({}),
        label="bounds",
    )


def m_talks(data, doc):
    cr = doc["crisis"]
    cr["talks_months"] = data.draw(Number | junk | st.sampled_from([0, 1e12]), label="talks")
    what = data.draw(st.sampled_from(["keep", "drop", "zero", "junk"]), label="deadline")
    if what == "drop":
        cr.pop("deadline_months", None)
    elif what == "zero":
        cr["deadline_months"] = 0
    elif what == "junk":
        cr["deadline_months"] = data.draw(Number, label="deadline value")


def m_deadline(data, doc):
    doc["crisis"]["deadline_months"] = data.draw(
        st.sampled_from([0, 1e-12, 1e12, -1]) | Number, label="deadline"
    )


def m_responses(data, doc):
    cr = doc["crisis"]
    kind = data.draw(st.sampled_from(["all", "some", "junk", "empty"]), label="responses")
    if kind == "all":
        kinds = st.sampled_from(["fight", "resist"])
        cr["responses"] = {
            t: {"response": data.draw(kinds), "cost": data.draw(Number)} for t in TARGETS
        }
    elif kind == "some":
        cr["responses"] = data.draw(st.dictionaries(target_id, response | junk, max_size=3))
    elif kind == "junk":
        cr["responses"] = data.draw(junk)
    else:
        cr["responses"] = {}
    if data.draw(st.booleans(), label="proposer"):
        cr["proposer"] = data.draw(st.sampled_from(["RUS", *TARGETS]))


def m_control(data, doc):
    i = data.draw(st.integers(0, len(doc["issues"]) - 1), label="issue")
    issue = doc["issues"][i]
    if data.draw(st.booleans(), label="controlled"):
        issue["controlled_by"] = data.draw(actor_id | junk, label="controller")
    else:
        issue["veto"] = data.draw(st.lists(actor_id, max_size=4) | junk, label="veto")
    if data.draw(st.booleans(), label="drop sq"):
        issue.pop("status_quo", None)


def m_approval(data, doc):
    body = doc["bodies"][data.draw(st.integers(0, len(doc["bodies"]) - 1), label="body")]
    blocs = body.get("blocs") or []
    if blocs:
        bloc = blocs[data.draw(st.integers(0, len(blocs) - 1), label="bloc")]
        bloc["approval_cost"] = data.draw(Number | junk, label="approval_cost")


def m_proposal_form(data, doc):
    p = doc["proposals"][data.draw(st.integers(0, len(doc["proposals"]) - 1), label="proposal")]
    p["form"] = data.draw(st.sampled_from([*FORMS, "nonesuch", ""]) | junk, label="form")


def m_domain(data, doc):
    doc["meta"]["domain"] = data.draw(
        st.sampled_from(["legislative", "security", "other", "Security", ""]) | junk,
        label="domain",
    )


def _numbers(doc: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _numbers(v, (*prefix, k))]
    if isinstance(doc, list):
        return [p for n, v in enumerate(doc) for p in _numbers(v, (*prefix, n))]
    return [prefix] if isinstance(doc, int | float) and not isinstance(doc, bool) else []


def m_crisis_number(data, doc):
    """Any crisis number at an edge of its range: the new fields meet the old ones there."""
    numbers = _numbers(doc["crisis"])  # as the other mutations left it
    if not numbers:
        return
    path = data.draw(st.sampled_from(numbers), label="crisis number")
    parent = doc["crisis"]
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = data.draw(
        st.sampled_from([0, 1, 1e-12, 1e-6, 0.999999, 1e6, 1e12, -1e-12]), label="value"
    )


MUTATIONS = {
    "crisis": m_crisis_number,
    "fixes": m_fixes,
    "bounds": m_bounds,
    "talks_months": m_talks,
    "deadline_months": m_deadline,
    "responses": m_responses,
    "controlled_by": m_control,
    "approval_cost": m_approval,
    "form": m_proposal_form,
    "domain": m_domain,
}


@fuzz_settings(30)
@given(
    data=st.data(),
    fields=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=2, unique=True),
    command=st.sampled_from(COMMANDS),
)
def test_mutated_new_fields(tmp_path, data, fields, command):
    doc = copy.deepcopy(DOC)
    for field in fields:
        MUTATIONS[field](data, doc)
    f = tmp_path / "s.yaml"
    f.write_text(dump(doc), encoding="utf-8")
    before = f.read_bytes()
    code = check([command[0], str(f), *command[1:]], fields)
    assert f.read_bytes() == before  # the input is never overwritten
    assert code in (0, 2)


# ------------------------------------------------------------------------------------------
# Text-level mistakes yaml.safe_dump cannot write: duplicate keys, YAML's own NaN and inf

TEXT = bundled_scenarios()[NAME].read_text(encoding="utf-8")
TREATY_FIXES = "    fixes: {legal_form: 0}   # a ratified treaty: the legal-form scale's 0\n"
TALKS = "  talks_months: {dist: triangular, low: 0.5, mode: 3, high: 12,\n"
DEADLINE = "  deadline_months: {dist: uniform, low: 1, high: 3,\n"
USA_RESPONSE = (
    "    USA: {response: resist, cost: {dist: triangular, low: 0.03, mode: 0.08, high: 0.2,\n"
)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (TREATY_FIXES, "    fixes: {legal_form: 0, legal_form: 100}\n", "fixes"),
        (TREATY_FIXES, "    fixes: {legal_form: .nan}\n", "fixes"),
        (TREATY_FIXES, "    fixes: {legal_form: -.inf}\n", "fixes"),
        (TREATY_FIXES, "    fixes: {legal_form: true}\n", "fixes"),
        (TREATY_FIXES, "    fixes: {legal_form: '0'}\n", "fixes"),
        (TREATY_FIXES, "    fixes: {legal_form: 1e-300}\n", "fixes"),
        (TREATY_FIXES, "    fixes: {legal_form: 0}\n    fixes: {legal_form: 100}\n", "fixes"),
        (TREATY_FIXES, "    bounds: {legal_form: [0, 10], legal_form: [5, 6]}\n", "bounds"),
        (TREATY_FIXES, "    bounds: {legal_form: [.nan, 10]}\n", "bounds"),
        (TREATY_FIXES, "    bounds: {legal_form: [10]}\n", "bounds"),
        (TREATY_FIXES, "    bounds: {legal_form: [1, 2, 3]}\n", "bounds"),
        (TREATY_FIXES, "    bounds: {legal_form: 5}\n", "bounds"),
        (TREATY_FIXES, "    bounds: {legal_form: [0, false]}\n", "bounds"),
        (TREATY_FIXES, "    bounds: {legal_form: [60, 50]}\n", "bounds"),
        (
            TALKS,
            "  talks_months: .nan\n  talks_months: {dist: triangular, low: 0.5, mode: 3, "
            "high: 12,\n",
            "talks_months",
        ),
        (
            TALKS,
            "  talks_months: .inf\n  x_: {dist: triangular, low: 0.5, mode: 3, high: 12,\n",
            "talks_months",
        ),
        (TALKS, "  talks_months: {dist: normal, mean: -1, sd: 1,\n", "talks_months"),
        (
            DEADLINE,
            "  deadline_months: -.inf\n  y_: {dist: uniform, low: 1, high: 3,\n",
            "deadline_months",
        ),
        (
            USA_RESPONSE,
            "    USA: {response: resist, cost: .nan}\n    USA: {response: fight, "
            "cost: {dist: triangular, low: 0.03, mode: 0.08, high: 0.2,\n",
            "responses",
        ),
        (
            USA_RESPONSE,
            "    USA: {response: resist, cost: -1, why: x}\n    Z_: {cost: {dist: "
            "triangular, low: 0.03, mode: 0.08, high: 0.2,\n",
            "responses",
        ),
    ],
)
@pytest.mark.parametrize("command", [["validate"], ["crisis", "--json", "--samples", "4"]])
def test_text_mistakes_in_new_fields(tmp_path, old, new, field, command):
    assert TEXT.count(old) == 1, old
    f = tmp_path / "s.yaml"
    f.write_text(TEXT.replace(old, new), encoding="utf-8")
    assert check([command[0], str(f), *command[1:]], field) == 2


# ------------------------------------------------------------------------------------------
# Properties of carrying a package in a form

D = 3
value = st.integers(0, 100).map(float)
packages = st.lists(st.lists(value, min_size=D, max_size=D), min_size=1, max_size=4).map(np.array)


@st.composite
def forms(draw):
    issues = draw(st.lists(st.integers(0, D - 1), unique=True, max_size=D))
    split = draw(st.integers(0, len(issues)))
    fixed = tuple((j, draw(value)) for j in issues[:split])
    bounded = []
    for j in issues[split:]:
        a, b = sorted((draw(value), draw(value)))
        bounded.append((j, a, b))
    return CompiledForm("f", (), np.zeros(1), np.zeros(1), fixed=fixed, bounded=tuple(bounded))


@fuzz_settings(100)
@given(form=forms(), x=packages)
def test_carry_is_idempotent_and_keeps_the_commitments(form, x):
    x0 = x.copy()
    y = form.carry(x)
    assert np.array_equal(x, x0)  # the package itself is not changed
    assert np.array_equal(form.carry(y), y)
    for j, v in form.fixed:
        assert (y[:, j] == v).all()
    for j, lo, hi in form.bounded:
        assert ((lo <= y[:, j]) & (y[:, j] <= hi)).all()
    untouched = [j for j in range(D) if j not in {c[0] for c in (*form.fixed, *form.bounded)}]
    assert np.array_equal(y[:, untouched], x[:, untouched])


@fuzz_settings(50)
@given(j=st.integers(0, D - 1), v=value, x=packages)
def test_bounds_with_equal_ends_are_a_fix(j, v, x):
    fix = CompiledForm("a", (), np.zeros(1), np.zeros(1), fixed=((j, v),))
    bound = CompiledForm("b", (), np.zeros(1), np.zeros(1), bounded=((j, v, v),))
    assert np.array_equal(fix.carry(x), bound.carry(x))


members = st.lists(st.lists(value, min_size=D, max_size=D), min_size=1, max_size=6)
weights = st.lists(st.lists(st.integers(0, 3).map(float), min_size=D, max_size=D), min_size=1)


@fuzz_settings(100)
@given(
    z=members,
    w=st.data(),
    r=st.lists(value, min_size=D, max_size=D),
    x=st.lists(value, min_size=D, max_size=D),
    j=st.integers(0, D - 1),
    ties=st.sampled_from(["no", "yes"]),
)
def test_fixing_an_issue_at_the_members_common_ideal_never_loses_a_vote(z, w, r, x, j, ties):
    """Members who agree on issue j: a form that fixes j at their ideal point there loses none
    of their yes votes (each member's distance to the package can only shrink).

    The brief's candidate, "fixing j at the body's reversion value never loses a yes vote", is
    false: a member at 0 with reversion 100 approves x = 0 and rejects the package carried at
    100 (see the test after this one)."""
    z = np.array(z)
    z[:, j] = z[0, j]
    wt = np.array(
        w.draw(
            st.lists(
                st.lists(st.integers(0, 3).map(float), min_size=D, max_size=D),
                min_size=len(z),
                max_size=len(z),
            )
        )
    )
    body = CompiledBody.from_points(z, np.array(r), 1, weight=wt, ties=ties)
    form = CompiledForm("f", (), np.zeros(1), np.zeros(1), fixed=((j, float(z[0, j])),))
    before = approvals(np.array([x]), body)
    after = approvals(form.carry(np.array([x])), body)
    assert (after | ~before).all()


def test_fixing_at_the_reversion_can_lose_a_vote():
    body = CompiledBody.from_points(np.array([[0.0]]), np.array([100.0]), 1)
    form = CompiledForm("f", (), np.zeros(1), np.zeros(1), fixed=((0, 100.0),))
    x = np.array([[0.0]])
    assert approvals(x, body).all() and not approvals(form.carry(x), body).any()


@fuzz_settings(60)
@given(
    z=members,
    r=st.lists(value, min_size=D, max_size=D),
    x=packages,
    v=value,
    ties=st.sampled_from(["no", "yes"]),
)
def test_fixing_an_issue_nobody_weighs_changes_no_vote(z, r, x, v, ties):
    z = np.array(z)
    wt = np.ones_like(z)
    wt[:, D - 1] = 0.0
    body = CompiledBody.from_points(z, np.array(r), 1, weight=wt, ties=ties)
    form = CompiledForm("f", (), np.zeros(1), np.zeros(1), fixed=((D - 1, v),))
    xs = x[:, None, :]  # (P, 1, D) -> one sample per package row
    for row in xs:
        assert np.array_equal(approvals(row, body), approvals(form.carry(row), body))


# ------------------------------------------------------------------------------------------
# Time pressure: more months of talks never raise P(agreement)


def _crisis_json(path) -> dict[str, Any]:
    out = io.StringIO()
    with redirect_stdout(out):
        main(["crisis", str(path), "--json", "--samples", "30", "--seed", "7"])
    return json.loads(out.getvalue())


def _agreement(d: dict[str, Any]) -> dict[str, float]:
    o = d["outcome"]
    p = {f"proposal {k}": v["p_agreement"] for k, v in o["proposals"].items()}
    p |= {f"model {k}": v["outcome"]["p_agreement"] for k, v in d["models"].items()}
    p["talks in time"] = o["p_talks_in_time"]
    return p


def test_longer_talks_never_raise_p_agreement(tmp_path):
    doc = copy.deepcopy(DOC)
    doc["crisis"]["p_win"] = 0.2  # a weaker challenger: deals exist in some draws
    doc["crisis"]["cost_challenger"] = 0.6
    seen = []
    for t in (0, 1.5, 100):
        doc["crisis"]["talks_months"] = t
        f = tmp_path / f"t{t}.yaml"
        f.write_text(dump(doc), encoding="utf-8")
        seen.append(_agreement(_crisis_json(f)))
    assert any(v > 0 for k, v in seen[0].items() if k != "talks in time")
    for shorter, longer in itertools.pairwise(seen):
        for key, p in longer.items():
            assert p <= shorter[key] + 1e-12, (key, shorter[key], p)
    assert all(v == 0 for v in seen[-1].values())  # 100 months never fit a deadline of 1 to 3


@fuzz_settings(60)
@given(
    talks=st.lists(st.floats(0, 20), min_size=2, max_size=2).map(sorted),
    deadline=st.floats(0, 10) | st.just(float("nan")),
)
def test_ready_is_monotone_in_talks_months(talks, deadline):
    from detente.scenario.crisis import CrisisArrays

    def ready(t: float) -> bool:  # ``ready`` reads only these fields
        cr = SimpleNamespace(
            talks_months=np.array([t]), deadline_months=np.array([deadline]), n_samples=1
        )
        return bool(CrisisArrays.ready(cr)[0])

    short, long_ = talks
    assert ready(long_) <= ready(short)
    assert ready(short) == (np.isnan(deadline) or short <= deadline)


# ------------------------------------------------------------------------------------------
# Regressions found by this module


@pytest.mark.parametrize(
    "command",
    [
        ["crisis", "--json", "--samples", "8"],
        ["crisis", "--samples", "8"],
        ["forecast", "--json", "--samples", "8"],
    ],
)
def test_a_challenger_that_cannot_win_gives_finite_output(tmp_path, command):
    """``p_win: 0`` made the build-up's threshold ``c_C / p`` infinite: the JSON writer raised
    (a traceback) and the text said the sunk cost must reach inf."""
    doc = copy.deepcopy(DOC)
    doc["crisis"]["p_win"] = 0
    f = tmp_path / "s.yaml"
    f.write_text(dump(doc), encoding="utf-8")
    args = [command[0], str(f), *command[1:]]
    code, out, err, numeric = run_cli(args)
    assert code == 0, err
    assert_clean_success(args, out, err, numeric)
    assert not re.search(r"\b(inf|nan|Infinity|NaN)\b", out)


@pytest.mark.parametrize("value", ["1e-300", "1e-13", "5e-324"])
def test_ratify_set_refuses_tiny_values(value):
    """``ratify --set enlargement=1e-300`` was accepted and shown as 0: a point on a scale is 0
    or at least 1e-12 in magnitude, as everywhere in a scenario."""
    code, out, err, _ = run_cli(["ratify", NAME, "--set", f"enlargement={value}"])
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "--set" in err and "at least 1e-12" in err


def _strip(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v, key) for k, v in obj.items() if k != key}
    if isinstance(obj, list):
        return [_strip(v, key) for v in obj]
    return obj


@pytest.mark.parametrize(("response", "cost"), [("fight", 0.12), ("resist", 0)])
def test_a_response_at_cost_target_changes_no_number(tmp_path, response, cost):
    """Every target answering force at the scenario's ``cost_target``, whether it fights or
    resists, is the scenario without ``responses``: it keeps 1 - p and pays that cost either way
    (the labels differ, no number does; points draw nothing, so the Monte Carlo draws align)."""
    docs = []
    for with_responses in (False, True):
        doc = copy.deepcopy(DOC)
        doc["crisis"]["cost_target"] = cost
        doc["crisis"].pop("responses")
        if with_responses:
            doc["crisis"]["responses"] = {t: {"response": response, "cost": cost} for t in TARGETS}
        f = tmp_path / f"r{with_responses}.yaml"
        f.write_text(dump(doc), encoding="utf-8")
        docs.append(_strip(_crisis_json(f), "responses"))
    assert docs[0] == docs[1]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(detente=True), "detente"),
        (lambda d: d["issues"][0].update(scale={"min": False, "max": 10}), "scale.min"),
        (lambda d: d["issues"][0].update(scale={"min": 4, "max": True}), "scale.max"),
        (
            lambda d: d["issues"][0].update(scale={"min": 0, "max": 10}, anchors={True: "x"}),
            "anchors",
        ),
    ],
)
def test_true_and_false_are_not_numbers(tmp_path, edit, field):
    """``detente: true``, ``scale: {min: false}`` and an anchor ``true:`` were read as 1 and 0
    (pydantic's lax numbers)."""
    doc = copy.deepcopy(DOCS["ec-emissions-1994"])
    edit(doc)
    f = tmp_path / "s.yaml"
    f.write_text(dump(doc), encoding="utf-8")
    code, out, err, _ = run_cli(["forecast", str(f), "--json"])
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert str(f) in err and field in err, err
