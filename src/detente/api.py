"""Thin facade over the layers: load -> compile -> models, returning JSON-ready results.

The CLI renders these dicts; scripts and notebooks can call them directly.

>>> from detente import api
>>> out = api.forecast("ec-emissions-1994", ["compromise"])
>>> sorted(out) == ["actors", "forecasts", "issues", "models", "scenario", "skipped"]
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem
from detente.models.base import Model, registry
from detente.scenario import Loaded, compile_scenario, load


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


def model_specs(specs: list[str] | None) -> list[str]:
    """The requested specs, or every registered model with default options."""
    return list(specs) if specs else list(registry())


def _issue_dict(arrays: ScenarioArrays, values: np.ndarray) -> dict[str, float]:
    return {i: float(v) for i, v in zip(arrays.issue_ids, values, strict=True)}


def run_models(
    arrays: ScenarioArrays,
    specs: list[str],
    rng: np.random.Generator,
    strict: bool,
) -> tuple[dict[str, np.ndarray], dict[str, dict], dict[str, str]]:
    """Forecast with each model. ``strict``: a model that cannot run is an error, else skipped."""
    forecasts: dict[str, np.ndarray] = {}
    described: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for spec in specs:
        model = make_model(spec)
        try:
            forecasts[spec] = model.forecast(arrays, rng)
        except ValueError as exc:
            if strict:
                raise InputError(Problem(arrays.name, f"model {spec}: {exc}")) from None
            skipped[spec] = str(exc)
            continue
        described[spec] = model.describe()
    return forecasts, described, skipped


def _loaded(scenario: str | Path | Loaded | None) -> Loaded:
    return scenario if isinstance(scenario, Loaded) else load(scenario)


def forecast(
    scenario: str | Path | Loaded | None = None,
    models: list[str] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Point forecasts of every requested model (PRODUCT.md's JSON contract, plus metadata)."""
    loaded = _loaded(scenario)
    arrays = compile_scenario(loaded.scenario, name=loaded.source)
    rng = np.random.default_rng(seed)
    fc, described, skipped = run_models(arrays, model_specs(models), rng, strict=bool(models))
    return {
        "scenario": loaded.source,
        "actors": list(arrays.actor_ids),
        "issues": list(arrays.issue_ids),
        "forecasts": {spec: _issue_dict(arrays, out[0]) for spec, out in fc.items()},
        "models": described,
        "skipped": skipped,
    }


def simulate(
    scenario: str | Path | Loaded | None,
    model: str,
    rounds: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Round-by-round trajectory of one model; round 0 is the input."""
    loaded = _loaded(scenario)
    arrays = compile_scenario(loaded.scenario, name=loaded.source)
    m = make_model(model)
    try:
        sim = m.simulate(arrays, rounds=rounds, rng=np.random.default_rng(seed))
    except ValueError as exc:
        raise InputError(Problem(loaded.source, f"model {model}: {exc}")) from None
    out_rounds = []
    for t in range(sim.positions.shape[0]):
        positions = {
            actor: {
                issue: float(sim.positions[t, 0, a, d])
                for d, issue in enumerate(arrays.issue_ids)
                if arrays.mask[a, d]
            }
            for a, actor in enumerate(arrays.actor_ids)
        }
        entry: dict[str, Any] = {
            "round": t,
            "positions": positions,
            "forecast": _issue_dict(arrays, sim.forecasts[t, 0]),
        }
        if t < len(sim.events) and sim.events[t]:
            entry["events"] = sim.events[t]
        out_rounds.append(entry)
    result: dict[str, Any] = {
        "model": model,
        "scenario": loaded.source,
        "options": m.describe()["options"],
        "converged": bool(sim.converged),
        "rounds": out_rounds,
    }
    if sim.agreement is not None:
        result["agreement"] = {
            i: bool(v) for i, v in zip(arrays.issue_ids, sim.agreement[0], strict=True)
        }
    return result
