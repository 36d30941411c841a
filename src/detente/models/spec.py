"""Model specs on the command line and in scripts: ``NAME:key=value,...`` to a model.

Lives with the models so that analyses, the facade and the renderers share one parser without
importing upward (:mod:`detente.api` re-exports it).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from detente.errors import InputError, Problem
from detente.models.base import Model, registry


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text.strip()


def parse_model_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"bdm:variant=paper,max_rounds=20"`` -> ``("bdm", {"variant": "paper", "max_rounds": 20})``.

    >>> parse_model_spec("compromise:weights=equal")
    ('compromise', {'weights': 'equal'})
    """
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, val = part.partition("=")
        if not eq or not key.strip():
            raise InputError(
                Problem(
                    "--model",
                    f"option {part!r} in {spec!r} is not KEY=VALUE; "
                    "write e.g. bdm:variant=paper,max_rounds=20",
                )
            )
        options[key.strip()] = _value(val)
    return name.strip(), options


def make_model(spec: str) -> Model:
    """Instantiate a model from a spec string, with clear errors for unknown names/options."""
    name, options = parse_model_spec(spec)
    models = registry()
    if name not in models:
        raise InputError(
            Problem("--model", f"unknown model {name!r}; available: {', '.join(models)}")
        )
    try:
        return models[name](**options)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        fields = ", ".join(models[name].Options.model_fields) or "none"
        msg = err["msg"] if err["type"] != "extra_forbidden" else "unknown option"
        raise InputError(
            Problem("--model", f"{name}: option {where!r}: {msg}; options of {name}: {fields}")
        ) from None
