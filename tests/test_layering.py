"""The package's layers import only downwards (issue 19, step 1).

scenario, io, errors, arrays -> models -> analyses -> api -> outputs -> web, commands, cli.
Every import statement of every module is read with :mod:`ast` (also those inside functions,
which the CLI uses to stay fast at start-up), so a lazy import cannot hide an upward one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import detente

SRC = Path(detente.__file__).resolve().parent

#: rank of each top-level part of the package; a module may import its own rank or lower
LAYERS: dict[str, int] = {
    "errors": 0,
    "arrays": 0,
    "scenario": 0,
    "io": 0,
    "data": 0,
    "glossary": 0,  # reads the glossary file; imports nothing of detente
    "lazy_imports": 0,  # an import-system hook; imports nothing of detente
    "models": 1,
    "analyses": 2,
    "api": 3,
    "outputs": 4,
    "web": 5,
    "commands": 5,
    "cli": 5,
    "__main__": 5,
}

#: (importing module, imported module) allowed to go up, each with its reason
EXCEPTIONS: dict[tuple[str, str], str] = {
    # api.report is the facade's entry to the briefing, which is rendered output (charts):
    # imported when called, never at import time
    ("detente.api", "detente.outputs.report"): "the facade's report() renders the briefing",
}


def _layer(module: str) -> tuple[str, int] | None:
    """The part and rank of a ``detente...`` module name (None for the package itself)."""
    parts = module.split(".")
    if parts[0] != "detente" or len(parts) < 2:
        return None
    return parts[1], LAYERS[parts[1]]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            if base == "detente":  # `from detente import api`: a name may be a module
                found += [
                    (node.lineno, f"detente.{a.name}" if a.name in LAYERS else "detente")
                    for a in node.names
                ]
            else:
                found.append((node.lineno, base))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.relative_to(SRC).parts)


def test_every_part_has_a_layer() -> None:
    parts = {_module_name(p).split(".")[1] for p in _modules() if _module_name(p) != "detente"}
    assert parts <= set(LAYERS), f"give these a layer: {sorted(parts - set(LAYERS))}"


def test_no_import_goes_up() -> None:
    upward = []
    for path in _modules():
        module = _module_name(path)
        own = _layer(module)
        if own is None:
            continue
        for line, target in _imports(path, module):
            other = _layer(target) if target.startswith("detente.") else None
            if other is None or other[0] not in LAYERS:
                continue
            if other[1] > own[1] and (module, target) not in EXCEPTIONS:
                upward.append(f"{path.relative_to(SRC)}:{line}: {own[0]} imports {target}")
    assert not upward, "imports going up the layers:\n" + "\n".join(upward)


def test_nothing_below_the_front_ends_imports_commands_or_cli() -> None:
    bad = []
    for path in _modules():
        module = _module_name(path)
        own = _layer(module)
        if own is None or own[0] in ("commands", "cli", "__main__"):
            continue
        for line, target in _imports(path, module):
            if target.startswith(("detente.commands", "detente.cli")):
                bad.append(f"{path.relative_to(SRC)}:{line}: {target}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("heavy", ["numpy", "scipy"])
def test_help_does_not_import_the_numeric_stack(heavy: str) -> None:
    # start-up speed: building the CLI (what `detente --help` does) must stay light
    code = f"import sys\nimport detente.cli\nprint({heavy!r} in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
