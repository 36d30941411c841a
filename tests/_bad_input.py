"""One edit of the bundled default scenario, run through the CLI: the error must be one line.

Shared by the tests of the scenario fields (issue 17/18): each sets one field of the default
scenario to a bad value and checks that ``command`` ends with exit status 2 and a single stderr
line that names the file and says what is allowed.
"""

from __future__ import annotations

import copy
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from detente.cli import main

BASE = yaml.safe_load(
    (files("detente") / "scenarios" / "russia-nato-2021.yaml").read_text(encoding="utf-8")
)


def one_line_error(
    tmp_path: Path, capsys: Any, where: tuple, value: Any, command: str = "validate"
) -> str:
    """Set ``where`` (a path of keys/indices) to ``value``, run ``command`` on the file, and
    return its one-line error (after checking exit status 2, no traceback, the file named)."""
    doc = copy.deepcopy(BASE)
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([command, str(path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Traceback" not in err and str(path) in err
    assert err.count("\n") == 1, err
    return err
