"""The ``detente`` command line (typer + rich).

Every user mistake ends with exit status 2 and one line on stderr naming the file, the line or
field, and what is allowed. Imports of the heavy layers happen inside the commands, so that
``detente --help`` and the default forecast start quickly.
"""

from __future__ import annotations

import json
import os
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

try:  # typer >= 0.2x vendors click as typer._click; older releases use click itself
    from typer import _click
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - depends on the installed typer
    import click as _click
    from click import exceptions as _cx

from detente.commands import DbOpt, SaveOpt
from detente.errors import InputError, Problem

app = typer.Typer(
    name="detente",
    help="Model, forecast and shape multi-party negotiations. Without a SCENARIO, commands "
    "use the bundled default, russia-nato-2021 (Russia-NATO talks, December 2021).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Scenario file (.yaml/.csv) or bundled scenario name; default: the "
        "bundled russia-nato-2021."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
#: Seeds are what numpy accepts (non-negative) and fit an int64 wherever they are stored.
SEED_MAX = 2**63 - 1
#: Most Monte Carlo draws any command takes: the README's largest runs use 10,000.
MAX_SAMPLES = 1_000_000
SeedOpt = Annotated[
    int,
    typer.Option("--seed", min=0, max=SEED_MAX, help="Seed of the run's random generator."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]
ModelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        "-m",
        help="Model NAME or NAME:key=value,... (repeatable); "
        "default: every model. `detente models` lists them.",
    ),
]


def emit_json(data: Any) -> None:
    """Deterministic JSON on stdout (same input and seed give identical bytes)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def console(wide: bool = False):
    """A rich console; ``wide`` output to a pipe or file is not squeezed into 80 columns."""
    from rich.console import Console

    con = Console(highlight=False)
    if wide and not con.is_terminal and not os.environ.get("COLUMNS"):
        con = Console(highlight=False, width=160)
    return con


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def print_split_table(
    con: Any,
    title: str,
    keys: list[str],
    columns: list[str],
    rows: list[list[str]],
    footer: list[list[str]] | None = None,
) -> None:
    """Print a table of ``keys`` columns and value ``columns``, split into several tables of
    whole columns when the console is too narrow: numbers are never cut (issue 20)."""
    from rich.table import Table

    footer = footer or []
    every = rows + footer

    def width(k: int, head: str) -> int:
        return max([len(head), *(len(r[k]) for r in every)]) + 3

    fixed = sum(width(k, h) for k, h in enumerate(keys)) + 1
    groups: list[list[int]] = [[]]
    used = fixed
    for j, head in enumerate(columns):
        w = width(len(keys) + j, head)
        if groups[-1] and used + w > con.width:
            groups.append([])
            used = fixed
        groups[-1].append(j)
        used += w
    for g, group in enumerate(groups):
        suffix = f" ({g + 1} of {len(groups)})" if len(groups) > 1 else ""
        table = Table(title=title + suffix, title_justify="left")
        for k, head in enumerate(keys):
            table.add_column(head, no_wrap=True, justify="left" if k == 0 else "right")
        for j in group:
            table.add_column(columns[j], justify="right", no_wrap=True)
        for r in rows:
            table.add_row(*r[: len(keys)], *(r[len(keys) + j] for j in group))
        if footer:
            table.add_section()
            for r in footer:
                table.add_row(*r[: len(keys)], *(r[len(keys) + j] for j in group))
        con.print(table)


SamplesOpt = Annotated[
    int | None,
    typer.Option(
        "--samples",
        min=0,
        max=1_000_000,
        help="Monte Carlo draws behind P(agreement), P(ratified) and P(escalation) "
        "(default 200, the same in every command; 0: point forecasts only).",
    ),
]


def _p(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


@app.command()
def forecast(
    scenario: ScenarioArg = None,
    model: ModelOpt = None,
    json_out: JsonOpt = False,
    seed: SeedOpt = 0,
    samples: SamplesOpt = None,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """Where the talks are likely to end: deal or no deal, escalation, and every model's package."""
    import time

    from rich.table import Table

    from detente import api
    from detente.scenario import load

    t0 = time.perf_counter()
    loaded = load(scenario)
    out = api.forecast(loaded, model, seed=seed, samples=samples)
    if save:
        from detente.commands.saving import save_run

        opts = {"models": model, "seed": seed, "samples": samples}
        save_run("forecast", scenario, opts, out, time.perf_counter() - t0, db)
    if json_out:
        emit_json(out)
        return
    sc = loaded.scenario
    con = console(wide=True)
    title = sc.meta.title + (f" (as of {sc.meta.as_of})" if sc.meta.as_of else "")
    oc = out.get("outcome")
    head = out["headline"]
    if oc is not None and head.get("sentence"):
        con.print(f"[bold]{title}[/]")
        con.print(
            f"Outcome ({head['model']}'s package): {head['sentence']}.",
            markup=False,
            soft_wrap=True,
        )
    if oc is None or not head.get("sentence"):
        con.print(f"[bold]{title}[/]")
    specs = list(out["forecasts"])
    body: list[list[str]] = []
    for issue in sc.issues:
        sq = "" if issue.status_quo is None else _fmt(issue.status_quo.centre)
        body.append([issue.id, sq] + [_fmt(out["forecasts"][s][issue.id]) for s in specs])
    checks = out.get("checks")
    extra: list[list[str]] = []
    if oc is not None:
        rows: list[tuple[str, Any]] = []
        if checks and "range" in checks:
            ch = checks["range"]["challenger"]
            rows.append(
                (f"{ch} share of pie", lambda s: _p(checks["models"][s].get("challenger_share")))
            )
        if checks:
            rows.append(
                ("signed at centre", lambda s: "yes" if checks["models"][s]["signed"] else "NO")
            )

        def prob(key: str):
            def f(spec: str) -> str:
                m = oc["models"].get(spec)
                return "-" if m is None else _p(m[key])

            return f

        rows += [
            ("P(agreement)", prob("p_agreement")),
            ("P(ratified | agr.)", prob("p_ratified_given_agreement")),
            ("P(escalation)", prob("p_escalation")),
        ]
        extra = [[label, "", *[f(spec) for spec in specs]] for label, f in rows]
    print_split_table(
        con,
        "Packages by model (what a deal would look like)",
        ["issue", "status quo"],
        specs,
        body,
        extra,
    )
    if oc is not None:
        form = f" in the form {oc['form']}" if oc.get("form") else ""
        con.print(
            f"P(...) over {oc['samples']} draws of the inputs (seed {oc['seed']}){form}; "
            f"signatories: {', '.join(oc['signatories'])}; P(escalation) without a deal "
            f"{oc['p_escalation_no_deal']:.2f}"
            + (
                f"; some package would be signed by all in "
                f"{oc['p_range_open'][oc['form']]:.0%} of draws"
                if oc.get("p_range_open") and oc.get("form") in oc["p_range_open"]
                else ""
            )
            + (
                f"; the talks can finish by the deadline in {oc['p_talks_in_time']:.0%} of "
                "draws (crisis.talks_months)"
                if oc.get("p_talks_in_time", 1.0) < 1.0
                else ""
            )
            + ". Definitions: docs/outcome.md.",
            markup=False,
            soft_wrap=True,
        )
        commits = (oc.get("form_commits") or {}).get(oc.get("form") or "")
        if commits:
            terms = [f"{k} at {v:g}" for k, v in commits["fixes"].items()]
            terms += [f"{k} within {lo:g}-{hi:g}" for k, (lo, hi) in commits["bounds"].items()]
            con.print(
                f"The form {oc['form']} commits every package it carries: "
                + ", ".join(terms)
                + "; the P(...) rows and RUS's share are for the package so carried.",
                markup=False,
                soft_wrap=True,
            )
    drivers = (oc or {}).get("range_open_drivers") or []
    if drivers:
        con.print(
            "What would have to be true for a deal: the draws in which some package would be "
            "signed by all differ most in "
            + "; ".join(
                f"{d['input']} ({d['mean_open']:.3g} there, {d['mean_closed']:.3g} elsewhere)"
                for d in drivers
            )
            + ".",
            markup=False,
            soft_wrap=True,
        )
    if checks and "range" in checks:
        r = checks["range"]
        ch = r["challenger"]
        if r["empty"]:
            con.print(
                f"Acceptable range at the centre of the inputs: EMPTY. {ch} signs only for at "
                f"least {r['low']:.2f} of the pie; the targets concede at most {r['high']:.2f}"
                + (f" ({r['binding_target']} concedes least)" if r.get("binding_target") else "")
                + ".",
                markup=False,
                soft_wrap=True,
            )
        else:
            con.print(
                f"Acceptable range at the centre of the inputs: {ch} shares {r['low']:.2f} to "
                f"{r['high']:.2f} of the pie are signed by every party.",
                markup=False,
                soft_wrap=True,
            )
        for line in _refusal_lines(checks):
            con.print("  " + line, markup=False, soft_wrap=True)
    lead = head.get("model")
    if lead:
        con.print(f"Headline model: {lead} ({head['why']}).", markup=False, soft_wrap=True)
        terms = head.get("terms_given_agreement")
        words = Table(title=f"What the {lead} package means", title_justify="left")
        words.add_column("issue", no_wrap=True)
        words.add_column("name")
        words.add_column(lead, justify="right", no_wrap=True)
        if terms:
            words.add_column("if agreed", justify="right", no_wrap=True)
        words.add_column("nearest anchor on the scale")
        for issue in sc.issues:
            x = out["forecasts"][lead][issue.id]
            scale = f" ({issue.scale.min:g}-{issue.scale.max:g})"
            row = [issue.id, (issue.name or issue.id) + scale, _fmt(x)]
            if terms:
                row.append(_fmt(terms[issue.id]))
            label = issue.label(x)
            commits = ((out.get("outcome") or {}).get("form_commits") or {}).get(
                (out.get("outcome") or {}).get("form") or ""
            )
            if commits and issue.id in commits["fixes"]:
                v = commits["fixes"][issue.id]
                label += f" (as a {out['outcome']['form']}: {v:g}, {issue.label(v)})"
            words.add_row(*row, label)
        con.print(words)
        if terms:
            con.print(
                "'if agreed': the mean package over the draws in which every signatory signs.",
                markup=False,
                soft_wrap=True,
            )
    for spec, desc in out["models"].items():
        if "domain" in desc:
            err = desc.get("validated_error", {})
            con.print(
                f"{spec}: fitted on {desc['domain']}; validated error there: MAE "
                f"{err.get('mae', float('nan')):.1f} points on a 0-100 scale "
                f"({err.get('protocol')}). Outside that domain read it as one more model, "
                "not the forecast.",
                markup=False,
                soft_wrap=True,
            )
    for note in out.get("diagnostics", []):
        con.print(f"[yellow]note:[/] {note['text']}", soft_wrap=True)
    for spec, why in out["skipped"].items():
        con.print(f"[yellow]{spec} did not run:[/] {why}")
    if oc is not None:
        for spec, why in oc["skipped"].items():
            if spec not in out["skipped"]:
                con.print(f"[yellow]{spec}: no P(...) —[/] {why}")


def _refusal_lines(checks: dict[str, Any]) -> list[str]:
    """Who refuses which packages at the centre of the inputs, one line per side."""
    r = checks["range"]
    ch, form = r["challenger"], checks.get("form")
    by_side: dict[str, list[tuple[str, str, float]]] = {"challenger": [], "target": []}
    for spec, m in checks["models"].items():
        for ref in m["refuse"]:
            by_side[ref["side"]].append((ref["actor"], spec, m.get("challenger_share", 0.0)))
    lines = []
    if by_side["challenger"]:
        pkgs = ", ".join(f"{s} ({x:.2f})" for _, s, x in by_side["challenger"])
        alt = "fight" if r["war_value"] >= r["no_deal_value"] else "walk away"
        parts = r.get("parts") or {}
        why = (
            f"{parts['one_shot']:.2f} in a one-shot crisis (Fearon 1995), "
            f"{parts['over_years']:.2f} valued over years (a one-off cost of war against a "
            f"lasting share), {parts['with_decline']:.2f} with its odds expected to fall from "
            f"{r['p_win']:.2f} to {r['p_future']:.2f} (Powell 2006: war now beats a smaller share "
            "later)"
            if r["power_shift"] and parts
            else f"war is worth {r['war_value']:.2f} of the pie to it"
        )
        lines.append(
            f"{ch} would rather {alt} than sign {pkgs}: it needs at least {r['low']:.2f}"
            + (f" in the form {form}" if form else "")
            + f"; {why}."
        )
    if by_side["target"]:
        who = sorted({a for a, _, _ in by_side["target"]})
        pkgs = ", ".join(sorted({f"{s} ({x:.2f})" for _, s, x in by_side["target"]}))
        lines.append(
            f"{', '.join(who)} would rather refuse {pkgs}: more than the {r['high']:.2f} every "
            "target concedes, given the war it expects without a deal."
        )
    return lines


@app.command()
def simulate(
    scenario: ScenarioArg = None,
    model: Annotated[
        str,
        typer.Option("--model", "-m", help="Model NAME[:key=value,...]; default bdm."),
    ] = "bdm",
    rounds: Annotated[
        int | None,
        typer.Option("--rounds", min=1, max=10_000, help="Rounds to run (default: model's rule)."),
    ] = None,
    json_out: JsonOpt = False,
    seed: SeedOpt = 0,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """Round by round: positions and forecast after each round, and why actors moved."""
    import time

    from detente import api

    t0 = time.perf_counter()
    out = api.simulate(scenario, model, rounds=rounds, seed=seed)
    if save:
        from detente.commands.saving import save_run

        opts = {"model": model, "rounds": rounds, "seed": seed}
        save_run("simulate", scenario, opts, out, time.perf_counter() - t0, db)
    if json_out:
        emit_json(out)
        return
    con = console(wide=True)
    issues = list(out["rounds"][0]["forecast"])
    print_split_table(
        con,
        f"{out['model']} on {out['scenario']}: forecast by round",
        ["round", "events"],
        issues,
        [
            [str(r["round"]), str(len(r.get("events", [])))]
            + [_fmt(r["forecast"][i]) for i in issues]
            for r in out["rounds"]
        ],
    )
    shown = 6
    for r in out["rounds"]:
        events = r.get("events", [])
        if not events:
            continue
        con.print(f"[bold]round {r['round']}[/]")
        for e in events[:shown]:
            con.print("  " + api.event_words(e), markup=False)
        if len(events) > shown:
            con.print(f"  ... and {len(events) - shown} more (--json lists every event)")
    con.print(f"options: {json.dumps(out['options'])}; converged: {out['converged']}", markup=False)
    for note in out.get("diagnostics", []):
        con.print(f"note: {note}", markup=False)


@app.command()
def validate(
    files: Annotated[
        list[str] | None,
        typer.Argument(help="Scenario files or bundled names; default russia-nato-2021."),
    ] = None,
) -> None:
    """Check scenario files and list every problem found (exit 2 if any)."""
    from detente.scenario import load

    files = files or ["russia-nato-2021"]

    bad = False
    for f in files:
        try:
            loaded = load(f)
        except InputError as exc:
            bad = True
            for p in exc.problems:
                typer.echo(str(p), err=True)
            continue
        sc = loaded.scenario
        typer.echo(
            f"{f}: ok ({len(sc.actors)} actors, {len(sc.issues)} issues, {len(sc.stances)} stances)"
        )
    if bad:
        raise typer.Exit(2)


@app.command()
def scenarios(json_out: JsonOpt = False) -> None:
    """List the bundled scenarios."""
    from rich.table import Table

    from detente.scenario import bundled_scenarios, load

    rows = []
    for name in bundled_scenarios():
        sc = load(name).scenario
        rows.append(
            {
                "name": name,
                "title": sc.meta.title,
                "as_of": str(sc.meta.as_of) if sc.meta.as_of else None,
                "actors": len(sc.actors),
                "issues": len(sc.issues),
            }
        )
    if json_out:
        emit_json(rows)
        return
    table = Table(title="Bundled scenarios", title_justify="left")
    for col in ("name", "title", "as of", "actors", "issues"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["title"], r["as_of"] or "", str(r["actors"]), str(r["issues"]))
    console().print(table)


@app.command()
def models(json_out: JsonOpt = False) -> None:
    """List the models with their citations and default options."""
    from rich.table import Table

    from detente.models import registry

    rows = [cls().describe() for cls in registry().values()]
    if json_out:
        emit_json(rows)
        return
    con = console(wide=True)
    if con.width < 120:  # narrow: one block per model, nothing squeezed into thin columns
        for r in rows:
            opts = ", ".join(f"{k}={v}" for k, v in r["options"].items()) or "-"
            con.print(f"[bold]{r['model']}[/]: {r['title']}")
            con.print(f"  options: {opts}", markup=False)
            con.print(f"  citation: {r['citation']}", markup=False)
        return
    table = Table(title="Models", title_justify="left", show_lines=True)
    for col in ("model", "title", "default options", "citation"):
        table.add_column(col)
    for r in rows:
        opts = ", ".join(f"{k}={v}" for k, v in r["options"].items()) or "-"
        table.add_row(r["model"], r["title"], opts, r["citation"])
    con.print(table)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
    force: ForceOpt = False,
) -> None:
    """Print the JSON Schema of scenario files (for editors checking YAML as it is typed)."""
    from detente.scenario import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        from detente.outputs.files import write_atomic

        write_atomic(output, text, force=force)


@app.command(context_settings={"ignore_unknown_options": True})
def explain(
    term: Annotated[
        list[str] | None,
        typer.Argument(
            help="A term as any command prints it, a command or an option, e.g. "
            '"P(escalation)", dEU, "acceptable range", --samples; default: list every term.'
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Define a term of the outputs, a command or an option (from the glossary, one source)."""
    from detente import glossary

    if not term:
        items = glossary.entries()
        if json_out:
            emit_json(
                [{"term": e.term, "also": list(e.aliases), "section": e.section} for e in items]
            )
            return
        section = None
        for e in items:
            if e.section != section:
                section = e.section
                typer.echo(f"{section}:")
            typer.echo(f"  {e.term}" + (f" (also {', '.join(e.aliases)})" if e.aliases else ""))
        return
    query = " ".join(term)
    found = glossary.lookup(query)
    if not found:
        raise InputError(
            Problem(
                "glossary",
                f"no entry for {query!r}; `detente explain` lists every term",
                field="TERM",
            )
        )
    if json_out:
        emit_json(
            [
                {"term": e.term, "also": list(e.aliases), "section": e.section, "text": e.text}
                for e in found
            ]
        )
        return
    import shutil
    import textwrap

    width = min(100, shutil.get_terminal_size((100, 24)).columns) - 2
    if len(found) > 1:
        typer.echo(f"{len(found)} entries contain {query!r}:")
    for k, e in enumerate(found):
        if k:
            typer.echo("")
        typer.echo(f"{e.term} ({e.section})")
        if e.aliases:
            typer.echo(
                textwrap.fill(
                    "also: " + ", ".join(e.aliases),
                    width,
                    initial_indent="  ",
                    subsequent_indent="  ",
                )
            )
        for para in e.text.split("\n\n"):
            typer.echo(textwrap.fill(para, width, initial_indent="  ", subsequent_indent="  "))


class _LazyCommand(typer.core.TyperCommand):
    """Stands in for a command of its own module in ``detente --help`` until the command runs.

    Its help is the command's docstring (or the sub-app's ``help=``), read from the module's
    source without importing it; :meth:`_LazyGroup.resolve_command` swaps in the real command.
    """

    def __init__(self, name: str, module: str, attr: str) -> None:
        super().__init__(name=name)
        self.module, self.attr = module, attr
        self._help: str | None = None

    @property  # type: ignore[override]
    def help(self) -> str:  # click reads it for the command list
        if self._help is None:
            self._help = _source_help(self.module, self.attr)
        return self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    def load(self, group: Any) -> _click.Command:
        """Import the module and build the command as typer would have when registered."""
        import importlib

        obj = getattr(importlib.import_module(self.module), self.attr)
        if obj is _backtest_app:
            obj = obj()
        if isinstance(obj, typer.Typer):
            for info in obj.registered_commands:
                _bound_options(info.callback)
            cmd = typer.main.get_group(obj)
            cmd.name = self.name
            return cmd
        _bound_options(obj)
        info = typer.models.CommandInfo(name=self.name, callback=obj)
        return typer.main.get_command_from_info(
            info,
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=group.rich_markup_mode,
        )


def _source_help(module: str, attr: str) -> str:
    """The docstring of function ``attr`` in ``module`` (or the ``help=`` of the ``typer.Typer``
    assigned to ``attr``), parsed from the source so that listing commands imports nothing."""
    import ast
    import importlib.util
    import inspect

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:  # pragma: no cover - a broken install
        return ""
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == attr:
            return inspect.cleandoc(ast.get_docstring(node, clean=False) or "")
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == attr for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            for kw in node.value.keywords:
                if kw.arg == "help" and isinstance(kw.value, ast.Constant):
                    return inspect.cleandoc(str(kw.value.value))
    return ""


class _LazyGroup(typer.core.TyperGroup):
    """The root command: commands of their own modules are imported only when they run, so
    that ``detente --help`` and ``detente forecast`` do not load the analyses of every other
    command (``python benchmarks/bench_cli.py`` reports the start-up)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (module, attr) in LAZY_COMMANDS.items():
            self.commands.setdefault(name, _LazyCommand(name, module, attr))

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if isinstance(cmd, _LazyCommand) and name is not None:
            cmd = self.commands[name] = cmd.load(self)
        return name, cmd, rest


#: Commands that live in their own modules, in the order ``detente --help`` lists them after
#: the ones defined here: name -> (module, function or ``typer.Typer`` sub-app).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "ratify": ("detente.commands.ratify", "ratify"),
    "crisis": ("detente.commands.crisis", "crisis"),
    "convert": ("detente.commands.convert", "convert"),
    "advise": ("detente.commands.advise", "advise"),
    "report": ("detente.commands.report", "report"),
    "montecarlo": ("detente.commands.montecarlo", "montecarlo"),
    "sensitivity": ("detente.commands.montecarlo", "sensitivity"),
    "calibrate": ("detente.commands.calibrate", "calibrate"),
    "serve": ("detente.commands.serve", "serve"),  # the web stack is imported only when it runs
    "backtest": ("detente.cli", "_backtest_app"),  # a function building the sub-app
    "runs": ("detente.commands.runs", "runs_app"),
}


app.info.cls = _LazyGroup


def _backtest_app() -> typer.Typer:
    """Backtests on real outcomes (DEU: EU legislative decisions)."""
    from detente.commands.backtest import backtest_deu

    sub = typer.Typer(help=_backtest_app.__doc__, no_args_is_help=True)
    sub.command(name="deu")(backtest_deu)
    return sub


#: Bounds every command gets for these options, whichever module declares them (a bound the
#: module sets itself is kept): numpy refuses a negative seed deep inside a run (a ValueError
#: some commands blamed on another option), and a billion samples ends in a MemoryError. Checked
#: while the command line is parsed, the error names the option.
OPTION_BOUNDS: dict[str, tuple[int | None, int]] = {
    "seed": (0, SEED_MAX),
    "samples": (None, MAX_SAMPLES),
    "top": (1, 10_000),  # entries to print: `advise --top -1` was accepted
}


def _bound_options(fn: Any) -> None:
    """Give a command's ``--seed``, ``--samples`` and ``--top`` the ranges of OPTION_BOUNDS."""
    if fn is None:
        return
    hints = typing.get_type_hints(fn, include_extras=True)
    for name, (low, high) in OPTION_BOUNDS.items():
        hint = hints.get(name)
        if hint is None or typing.get_origin(hint) is not Annotated:
            continue
        for info in typing.get_args(hint)[1:]:
            if isinstance(info, typer.models.OptionInfo):
                if info.min is None:
                    info.min = low
                if info.max is None:
                    info.max = high
                # the modules use postponed (string) annotations, evaluated afresh by every
                # get_type_hints: store the evaluated, now bounded, annotation for typer to read
                fn.__annotations__[name] = hint


for _info in app.registered_commands:  # the commands of its own modules get theirs on loading
    _bound_options(_info.callback)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps user mistakes to exit status 2 with one line on stderr."""
    # OpenBLAS's threads do not pay on detente's small matrix products (a few issues by a few
    # hundred members): they spin between calls and took the CPU from the main thread and the
    # compiled kernels' threads, 4x the CPU time of `ratify --nearest` on a busy 2-core machine.
    # Thread counts do not change OpenBLAS's sums (same output). Set before NumPy loads OpenBLAS
    # (this module does not import NumPy); a value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from detente.outputs.files import forget_inputs

    forget_inputs()  # "an input of this run" means this run's, also when main is called again
    try:
        code = app(args=argv, prog_name="detente", standalone_mode=False)
    except InputError as exc:
        sys.stderr.write(f"detente: {exc.first_line}\n")
        sys.exit(2)
    except _cx.NoArgsIsHelpError:
        sys.exit(0)  # typer has printed the help already
    except _cx.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        sys.stderr.write(f"detente: {exc.format_message()}{hint}\n")
        sys.exit(2)
    except _cx.ClickException as exc:
        sys.stderr.write(f"detente: {exc.format_message()}\n")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("detente: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except MemoryError:  # within the limits this should not happen; say so in one line
        sys.stderr.write(
            "detente: not enough memory for this run; use fewer --samples or a smaller scenario\n"
        )
        sys.exit(2)
    except OSError as exc:  # e.g. an output folder that does not exist, a read-only file
        where = f"{exc.filename}: " if exc.filename else ""
        sys.stderr.write(f"detente: {where}{exc.strerror or exc}\n")
        sys.exit(2)
    # click returns the code of a typer.Exit raised inside a command when not standalone
    if isinstance(code, int) and code:
        sys.exit(code)
