"""Bad values in the fields the outcome model added (issue 17/18) end as one line each."""

from __future__ import annotations

import copy
from importlib.resources import files

import pytest
import yaml

from detente.cli import main

BASE = yaml.safe_load(
    (files("detente") / "scenarios" / "russia-nato-2021.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("bodies", 0, "blocs", 0, "approval_cost"), -3, "approval cost -3 is not allowed"),
        (("proposals", 0, "form"), "nope", "proposals[0].form: unknown form 'nope'"),
        (("meta", "domain"), "economics", "meta.domain: Input should be 'legislative'"),
    ],
)
def test_bad_new_fields_are_one_line_errors(tmp_path, capsys, where, value, message):
    doc = copy.deepcopy(BASE)
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["forecast", str(path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert message in err and str(path) in err
