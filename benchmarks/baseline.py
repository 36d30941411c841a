"""Load a module as it was at an earlier commit, to time old and new code in one process."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def module_at_commit(commit: str, relpath: str, name: str) -> ModuleType | None:
    """``relpath`` as of ``commit``, imported as ``name`` without registering its model.

    Returns None where git or the commit is unavailable (e.g. an exported tarball).
    """
    try:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:{relpath}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.gettempdir()) / f"detente_{name}_{commit}.py"
    path.write_text(text.replace("@register\n", ""))  # do not claim the registered name
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the options' annotations through it
    spec.loader.exec_module(module)
    return module
