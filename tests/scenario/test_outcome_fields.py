"""Bad values in the fields the outcome model added (issue 17/18) end as one line each."""

from __future__ import annotations

from importlib.resources import files

import pytest
import yaml

from tests._bad_input import one_line_error

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
    assert message in one_line_error(tmp_path, capsys, where, value, "forecast")
