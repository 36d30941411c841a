"""Compare: two or more saved runs, or runs and their baseline, side by side.

Each pinned item is a saved forecast run (from the page or ``detente forecast --save``) or
``base``, the unedited scenario of the first pinned run with that run's draws and seed. The
first item is the reference: every other column shows its value and its delta from the
reference's, for every input that was edited in any item and every result the page shows:
each model's package, P(agreement), P(ratified | agreement) and P(escalation), the ratification
votes by form and body with each form's verdict, and the achievement gaps.

A run stores only the JSON ``detente forecast --json`` prints; the ratification votes and the
achievement gaps are computed again from the run's scenario, edits and stored packages, with
the same functions the page uses after an edit (:func:`detente.web.workbench.ratification`,
:func:`detente.web.workbench.gaps`), so they are the numbers the page showed for that run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from detente.errors import InputError, Problem
from detente.web import workbench as wb

#: the most items one comparison pins
MAX_PINNED = 8

#: the probabilities of the forecast JSON's ``outcome``, as the page labels them
P_KEYS = (
    ("p_agreement", "P(agreement)"),
    ("p_ratified_given_agreement", "P(ratified | agreement)"),
    ("p_escalation", "P(escalation)"),
)


@dataclass
class Item:
    """One pinned column: its label, inputs and results."""

    label: str
    run: Any  # the store's RunRecord, or None for the baseline
    origin: Any  # the run whose scenario, draws and seed this column has (itself, for a run)
    opened: Any = None  # the run's scenario (workbench.Opened)
    edits: dict[str, float | str] = field(default_factory=dict)
    raw_edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    out: dict[str, Any] = field(default_factory=dict)
    ratification: dict[str, Any] | None = None
    gaps: dict[str, Any] | None = None


def parse_pins(text: str) -> list[str]:
    """The pinned items of a ``runs`` parameter: run ids and ``base``, in order.

    >>> parse_pins("3, 5 base")
    ['3', '5', 'base']

    Raises
    ------
    InputError
        Fewer than two items, more than :data:`MAX_PINNED`, an item that is neither a run id nor
        ``base``, or ``base`` twice.
    """
    pins = [p for p in text.replace(",", " ").split() if p]
    bad = [p for p in pins if p != "base" and not (p.isascii() and p.isdigit())]
    if bad:
        raise InputError(Problem("compare", f"{bad[0]!r} is not a run id or base"))
    if not 2 <= len(pins) <= MAX_PINNED:
        raise InputError(
            Problem("compare", f"pin 2 to {MAX_PINNED} runs (ids, or base), not {len(pins)}")
        )
    if pins.count("base") > 1 or len(set(pins)) != len(pins):
        raise InputError(Problem("compare", "each run (and base) can be pinned once"))
    if all(p == "base" for p in pins):
        raise InputError(Problem("compare", "pin at least one run"))
    return pins


def picked_pins(picks: list[str]) -> str:
    """The ``runs`` text of the run history's ticked boxes: the baseline, then oldest first.

    The first item is the reference of every delta, so the order is fixed rather than the
    page's (newest first): the baseline if ticked, then the runs by id, so each later run is
    shown against the earlier one.

    >>> picked_pins(["7", "base", "3"])
    'base 3 7'
    """
    runs = sorted((p for p in picks if p != "base"), key=lambda p: (len(p), p))
    return " ".join(["base"] * ("base" in picks) + runs)


def history_rows(runs: list[Any], pinned: list[str] | None = None) -> list[dict[str, Any]]:
    """The saved forecast runs as the run history's rows, newest first, ready to tick.

    Runs of other commands (``detente montecarlo --save``, ...) are left out: compare takes
    forecast runs only (:func:`load_item`).
    """
    ticked = set(pinned or [])
    rows = []
    for run in runs:
        if run.options.get("command") != "forecast":
            continue
        rows.append(
            {
                "id": run.id,
                "saved": run.created_at.strftime("%Y-%m-%d %H:%M"),
                "source": run.source,
                "edits": len(run.edits),
                "samples": int(run.options.get("samples") or 0),
                "seed": run.seed,
                "ticked": str(run.id) in ticked,
            }
        )
    return rows


def _edit(e: dict[str, Any]) -> wb.Edit:
    return wb.Edit(e["stance"], e["field"], e["value"], e["actor"], e["issue"])


def _edit_key(e: dict[str, Any]) -> str:
    return _edit(e).label


def load_item(run: Any) -> Item:
    """A saved forecast run as a pinned column, its ratification and gaps computed again.

    Raises
    ------
    InputError
        A run of another command (its output is not a forecast), or stored inputs that no
        longer validate.
    """
    if run.options.get("command") != "forecast":
        raise InputError(
            Problem(
                "compare",
                f"run {run.id} is a `{run.command}` run; compare takes forecast runs "
                "(the page's, or `detente forecast --save`)",
            )
        )
    opened = wb.open_text(run.scenario_sha256, run.text, run.kind, run.source)
    edits = [_edit(e) for e in run.edits]
    loaded = wb.apply_edits(opened, edits)
    out = json.loads(run.outputs)
    return Item(
        label=f"run {run.id}",
        run=run,
        origin=run,
        opened=opened,
        edits={_edit_key(e): e["value"] for e in run.edits},
        raw_edits={_edit_key(e): e for e in run.edits},
        out=out,
        ratification=wb.ratification(loaded, out),
        gaps=wb.gaps(loaded, out),
    )


def baseline_item(ref: Any) -> Item:
    """The unedited scenario of run ``ref``, with its draws and seed."""
    opened = wb.open_text(ref.scenario_sha256, ref.text, ref.kind, ref.source)
    samples = int(ref.options.get("samples", wb.DEFAULT_SAMPLES))
    return Item(
        label="baseline",
        run=None,
        origin=ref,
        opened=opened,
        out=wb.baseline(opened, samples, ref.seed),
        ratification=wb.baseline_ratification(opened, samples, ref.seed),
        gaps=wb.baseline_gaps(opened, samples, ref.seed),
    )


def scenario_value(opened: Any, e: dict[str, Any]) -> float | str:
    """The scenario's own value of an edited input: the number, or its uncertainty in words.

    >>> from detente.web import workbench as wb
    >>> from detente.scenario.loading import DEFAULT_SCENARIO
    >>> op = wb.open_text("x", *wb.bundled_text(DEFAULT_SCENARIO), DEFAULT_SCENARIO)
    >>> scenario_value(op, {"stance": 0, "field": "position"})
    'uncertain, centre 20'
    """
    if e["stance"] >= 0:
        stances = opened.doc.get("stances") or []
        raw = stances[e["stance"]].get(e["field"]) if e["stance"] < len(stances) else None
    else:
        inp = wb.other_inputs(opened).get(wb.path_key(e["field"]))
        raw = None if inp is None else wb._at(opened.doc, inp.loc)
    if raw is None:
        return "(not in the scenario)"
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    centre = wb.field_value(raw)
    return "(uncertain)" if centre is None else f"uncertain, centre {centre:g}"


def _row(
    group: str, model: str, what: str, values: list[Any], digits: int, key: str | None = None
) -> dict[str, Any]:
    """One compared value across the items: each value, and its delta from the first's.

    ``key`` names the value for the page's ``data-what`` (``what`` by default).
    """
    ref = values[0]
    deltas: list[float | None] = [None]
    changed = [False]
    for v in values[1:]:
        numeric = isinstance(v, int | float) and isinstance(ref, int | float)
        numeric = numeric and not isinstance(v, bool) and not isinstance(ref, bool)
        d = v - ref if numeric else None
        deltas.append(d)
        changed.append(abs(d) > 1e-9 if d is not None else v != ref)
    return {
        "group": group,
        "model": model,
        "what": what,
        "key": what if key is None else key,
        "values": values,
        "deltas": deltas,
        "changed_at": changed,
        "changed": any(changed),
        "digits": digits,
    }


def _ratification_values(item: Item) -> dict[tuple[str, str, str], Any]:
    """(model, key, what) -> yes votes per form and body, and each form's verdict."""
    got: dict[tuple[str, str, str], Any] = {}
    for f in (item.ratification or {}).get("forms", []):
        for b in f["bodies"]:
            what = f"{f['form']} · {b['body']} yes votes (of {b['needed']} needed)"
            for m, yes in b["yes"].items():
                got[m, f"{f['form']}/{b['body']}", what] = yes
        for m, ok in f["ratified"].items():
            got[m, f"{f['form']}/ratified", f"{f['form']} ratified"] = "yes" if ok else "no"
    return got


def _gap_values(item: Item) -> dict[tuple[str, str, str], Any]:
    """(headline model, key, what) -> each public actor's gap, audience cost and victory."""
    got: dict[tuple[str, str, str], Any] = {}
    g = item.gaps or {}
    for r in g.get("rows", []):
        a = r["actor"]
        got[g["model"], f"{a}/gap", f"{a} achievement gap"] = r["gap"]
        got[g["model"], f"{a}/audience_cost", f"{a} audience cost"] = r["audience_cost"]
        got[g["model"], f"{a}/victory", f"{a} can declare victory"] = (
            None if r["victory"] is None else ("yes" if r["victory"] else "no")
        )
    return got


def _union(keys_per_item: list[list[Any]]) -> list[Any]:
    """Keys in first-seen order across the items."""
    seen: dict[Any, None] = {}
    for keys in keys_per_item:
        for k in keys:
            seen.setdefault(k, None)
    return list(seen)


def compare(items: list[Item]) -> dict[str, Any]:
    """Rows of inputs and results across pinned items, deltas against the first.

    An input edited in one item shows the scenario's own value in the items that left it.

    Returns
    -------
    dict
        ``inputs`` (every edited field, with the scenario's options where they differ) and
        ``results`` (forecasts, probabilities, ratification, achievement gaps) as rows of
        values and deltas; ``changed`` the number of result rows that differ anywhere.
    """
    inputs = []
    raw = {label: e for i in items for label, e in i.raw_edits.items()}
    for label in _union([list(i.edits) for i in items]):
        values = [
            i.edits[label] if label in i.edits else scenario_value(i.opened, raw[label])
            for i in items
        ]
        inputs.append(_row("input", "", label, values, 2))
    for key, get in (
        ("scenario", lambda i: i.origin.source),
        ("scenario SHA-256", lambda i: i.origin.scenario_sha256[:12]),
        ("seed", lambda i: i.origin.seed),
        ("draws", lambda i: int(i.origin.options.get("samples") or 0)),
    ):
        values = [get(i) for i in items]
        if any(v != values[0] for v in values):
            inputs.append(_row("option", "", key, values, 0))
    results = []
    models = [m for m in items[0].out["forecasts"] if all(m in i.out["forecasts"] for i in items)]
    for m in models:
        for issue in items[0].out["forecasts"][m]:
            values = [i.out["forecasts"][m].get(issue) for i in items]
            results.append(_row("forecast", m, issue, values, 1))
    for m in models:
        for key, _label in P_KEYS:
            values = [
                ((i.out.get("outcome") or {}).get("models", {}).get(m) or {}).get(key)
                for i in items
            ]
            results.append(_row("probability", m, key, values, 2))
    for group, get, digits in (
        ("ratification", _ratification_values, 0),
        ("achievement gap", _gap_values, 2),
    ):
        per = [get(i) for i in items]
        for m, key, what in _union([list(p) for p in per]):
            if group == "ratification" and m not in models:
                continue
            values = [p.get((m, key, what)) for p in per]
            results.append(_row(group, m, what, values, digits, key))
    return {
        "inputs": inputs,
        "results": results,
        "changed": sum(r["changed"] for r in results),
    }
