"""``detente convert IN OUT``: import files from other tools into detente's own formats.

Input formats (``--from``, or recognised from the suffix and the file's first lines):

``yaml``           detente YAML scenario (``.yaml``, ``.yml``, ``.json``)
``csv``            detente CSV stakeholder table (``actor,issue,position,salience,capability``)
``ktab``           KTAB SMP CSV (second row ``Actor,Description,...``), SMP XML or Excel-2003 XML
``decide``         Decide exchange-model input (tab-separated ``'#A'/'#P'/'#M'/'#D'`` records)
``genius``         GENIUS domain XML; profiles from ``--profile`` or found beside the domain
``predictioneer``  Predictioneer-style table (``actor,clout,position,salience[,issue]``)

Output formats (``--to``, or OUT's suffix): ``yaml`` (``.yaml``/``.yml``) or ``csv``. The result is
validated as a detente scenario before it is written, atomically; an existing OUT is kept unless
``--force``. Warnings (what a format cannot hold, GENIUS evaluations that are not single-peaked on
the item order, ties) go to stderr.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from detente.errors import InputError, Problem
from detente.outputs.files import write_atomic

if TYPE_CHECKING:
    from detente.scenario.schema import Loc

IN_FORMATS = ("yaml", "csv", "ktab", "decide", "genius", "predictioneer")
OUT_FORMATS = ("yaml", "csv")
_LABEL = {"ktab": "KTAB", "decide": "Decide", "genius": "GENIUS", "predictioneer": "Predictioneer"}


@dataclass
class Converted:
    """What a conversion produced: the document, its text, and the warnings to show."""

    document: dict[str, Any]
    text: str
    from_format: str
    to_format: str
    warnings: list[str] = field(default_factory=list)


def _xml_root(head: bytes) -> str:
    head = re.sub(rb"<!--.*?-->|<\?.*?\?>", b"", head, flags=re.S)
    m = re.search(rb"<([A-Za-z_][\w.\-:]*)", head)
    return m.group(1).decode("ascii", "replace") if m else ""


def detect_format(path: Path) -> str:
    """The input format of a file, from its suffix and first lines (InputError if unclear)."""
    from detente.scenario.loading import read_bytes

    source = str(path)
    if not path.is_file():
        raise InputError(Problem(source, "no such file" if not path.exists() else "not a file"))
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        return "yaml"
    head = read_bytes(path, source)[:16384]
    text = head.decode("utf-8-sig", "replace")
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if re.match(r"^'?#[APMDO/]'?(\t|$)", first):
        return "decide"
    if suffix == ".xml" or first.startswith("<"):
        root = _xml_root(head)
        if root in ("negotiation_template", "utility_space"):
            return "genius"
        if root in ("Scenario", "Workbook"):
            return "ktab"
        raise InputError(
            Problem(
                source,
                f"XML with root <{root or '?'}> is neither GENIUS (<negotiation_template>, "
                "<utility_space>) nor KTAB (<Scenario>, <Workbook>); name the format with --from",
            )
        )
    # newline="": the csv module then reads CR (old Mac), LF and CRLF line ends alike
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)][:2]
    header = {c.strip().lower() for c in rows[0]} if rows else set()
    if {"actor", "issue", "position", "salience", "capability"} <= header:
        return "csv"
    if len(rows) > 1 and [c.strip().lower() for c in rows[1][:2]] == ["actor", "description"]:
        return "ktab"
    if {"actor", "position", "salience"} <= header and header & {"clout", "power", "capability"}:
        return "predictioneer"
    raise InputError(
        Problem(
            source,
            "cannot tell the format from the suffix and first lines; name it with --from "
            f"({', '.join(IN_FORMATS)})",
        )
    )


def _out_format(path: Path, to_format: str | None) -> str:
    if to_format:
        fmt = to_format.lower()
        if fmt not in OUT_FORMATS:
            raise InputError(
                Problem("--to", f"unknown output format {to_format!r}; allowed: yaml, csv")
            )
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    raise InputError(
        Problem(
            str(path),
            f"cannot tell the output format from suffix {suffix or '(none)'!r}; use .yaml or "
            ".csv, or --to yaml|csv",
        )
    )


def _genius_options(pairs: list[str]) -> Any:
    from detente.io.genius import GeniusOptions

    values: dict[str, str] = {}
    for p in pairs:
        key, eq, val = p.partition("=")
        if not eq:
            raise InputError(Problem("--genius-option", f"{p!r} is not KEY=VALUE, e.g. ties=mean"))
        values[key.strip()] = val.strip()
    try:
        return GeniusOptions(**values)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        allowed = ", ".join(GeniusOptions.model_fields)
        raise InputError(
            Problem(
                "--genius-option",
                f"{'.'.join(map(str, err['loc']))}: {err['msg']} (options: {allowed})",
            )
        ) from None


def _capabilities(pairs: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for p in pairs:
        key, eq, val = p.rpartition("=")
        try:
            out[key.strip()] = float(val)
        except ValueError:
            key = ""
        if not eq or not key.strip():
            raise InputError(Problem("--capability", f"{p!r} is not AGENT=NUMBER, e.g. England=2"))
    return out


def load_input(
    path: Path,
    fmt: str,
    profiles: list[str] | None = None,
    capabilities: dict[str, float] | None = None,
    genius_options: list[str] | None = None,
) -> tuple[dict[str, Any], dict[Loc, int], list[str]]:
    """Read ``path`` in format ``fmt`` into a scenario document, its line map and warnings."""
    from detente.io import export  # the importers load only when a conversion runs
    from detente.scenario.loading import parse_csv, read_bytes, read_text
    from detente.scenario.yamlmap import parse_yaml

    source = str(path)
    if fmt not in IN_FORMATS:
        raise InputError(
            Problem("--from", f"unknown input format {fmt!r}; allowed: {', '.join(IN_FORMATS)}")
        )
    if (profiles or capabilities or genius_options) and fmt != "genius":
        raise InputError(
            Problem(
                "--profile",
                f"--profile, --capability and --genius-option apply to GENIUS input, not {fmt}",
            )
        )
    # every importer reads a regular file within the size limit (a FIFO or /dev/zero never ends)
    read_bytes(path, source)
    if fmt == "yaml":
        doc, lines = parse_yaml(read_text(path, source), source)
        if not isinstance(doc, dict):
            raise InputError(Problem(source, "the top level must be a mapping", line=1))
        return doc, lines, []
    if fmt == "csv":
        doc, lines = parse_csv(read_text(path, source), source, path.stem)
        return doc, lines, []
    if fmt == "predictioneer":
        from detente.io.predictioneer import read_predictioneer

        table = read_predictioneer(path)
        return export.to_document(table), table.lines, []
    if fmt == "genius":
        from detente.io.genius import read_genius

        g = read_genius(
            path,
            list(profiles or []) or None,
            options=_genius_options(list(genius_options or [])),
            capabilities=capabilities,
        )
        return export.to_document(g), {}, list(g.warnings)
    if fmt == "decide":
        from detente.io.decide import read_decide

        return export.to_document(read_decide(path), source, "Decide"), {}, []
    from detente.io.ktab import read_ktab

    result = read_ktab(path)
    doc = export.to_document(result, source, "KTAB")
    options = getattr(result, "options", None)
    if options:
        opts = ", ".join(f"{k}={v}" for k, v in options.items())
        doc["meta"]["description"] += f" KTAB model options in the file: {opts}."
    return doc, {}, []


def convert_file(
    input: str | Path,
    output: str | Path,
    from_format: str | None = None,
    to_format: str | None = None,
    profiles: list[str] | None = None,
    force: bool = False,
    capabilities: dict[str, float] | None = None,
    genius_options: list[str] | None = None,
) -> Converted:
    """Convert ``input`` to ``output`` (see the module docstring); return what was written.

    Raises
    ------
    InputError
        On any problem with the input, an output that exists (without ``force``), or a
        conversion the output format cannot hold (a range or distribution in CSV).
    """
    from detente.io import export
    from detente.scenario.loading import parse_csv, validate_document
    from detente.scenario.yamlmap import parse_yaml

    src, dst = Path(input), Path(output)
    fmt = from_format.lower() if from_format else detect_format(src)
    out_fmt = _out_format(dst, to_format)
    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise InputError(Problem(str(dst), "is the input file; write the conversion elsewhere"))
    if dst.exists() and not force:
        raise InputError(Problem(str(dst), "already exists; pass --force to overwrite it"))
    if dst.is_dir():
        raise InputError(Problem(str(dst), "is a folder; give an output file name"))
    if not dst.parent.is_dir():
        raise InputError(Problem(str(dst), f"folder {str(dst.parent)!r} does not exist"))
    doc, lines, warnings = load_input(src, fmt, profiles, capabilities, genius_options)
    validate_document(doc, lines, str(src))
    if out_fmt == "yaml":
        label = _LABEL.get(fmt, "detente " + fmt.upper())
        text = export.render_yaml(
            doc, header=f"Converted by `detente convert` from {label} file {src.name}"
        )
        check_doc, check_lines = parse_yaml(text, str(dst))
    else:
        text, dropped = export.render_csv(doc, str(src))
        if dropped:
            warnings.append(
                "the CSV table cannot hold: " + "; ".join(dropped) + " (use YAML to keep them)"
            )
        check_doc, check_lines = parse_csv(text, str(dst), dst.stem)
    # the written text must read back as a valid scenario; a failure here is a bug, not the user's
    validate_document(check_doc, check_lines, str(dst))
    write_atomic(dst, text, force=force)
    return Converted(doc, text, fmt, out_fmt, warnings)


def convert(
    input: Annotated[Path, typer.Argument(help="File to convert.")],
    output: Annotated[Path, typer.Argument(help="Scenario file to write (.yaml or .csv).")],
    from_format: Annotated[
        str | None,
        typer.Option("--from", help=f"Input format: {', '.join(IN_FORMATS)} (default: guessed)."),
    ] = None,
    to_format: Annotated[
        str | None, typer.Option("--to", help="Output format: yaml or csv (default: OUT's suffix).")
    ] = None,
    genius_profile: Annotated[
        list[str] | None,
        typer.Option("--profile", help="GENIUS utility profile, one per agent (repeatable)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
    capability: Annotated[
        list[str] | None,
        typer.Option("--capability", help="GENIUS: AGENT=NUMBER capability (default 1 each)."),
    ] = None,
    genius_option: Annotated[
        list[str] | None,
        typer.Option(
            "--genius-option",
            help="GENIUS import option KEY=VALUE: ties=first|mean, duplicate_items=last|error.",
        ),
    ] = None,
) -> None:
    """Convert KTAB, Decide, GENIUS or Predictioneer files (or detente YAML/CSV) to YAML or CSV."""
    result = convert_file(
        input,
        output,
        from_format=from_format,
        to_format=to_format,
        profiles=list(genius_profile or []),
        force=force,
        capabilities=_capabilities(list(capability or [])),
        genius_options=list(genius_option or []),
    )
    for w in result.warnings:
        typer.echo(f"detente: warning: {w}", err=True)
    doc = result.document
    typer.echo(
        f"{output}: wrote {result.to_format} from {result.from_format} "
        f"({len(doc['actors'])} actors, {len(doc['issues'])} issues, "
        f"{len(doc['stances'])} stances)"
    )
