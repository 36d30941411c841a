"""Advice for one actor as JSON-ready data (``detente advise``).

Moved here from ``detente.commands.advise`` (issue 19: the CLI and the workbench call it through
:func:`detente.api.advise`); the name and signature are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from detente.errors import InputError, Problem
from detente.scenario import Loaded, load


def advice_report(
    scenario: str | Loaded | None,
    actor: str,
    models: list[str] | None = None,
    samples: int = 200,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Rank ``actor``'s moves on a scenario (JSON-ready; :func:`detente.analyses.advice.advise`).

    Parameters
    ----------
    scenario
        A loaded scenario, or a file or bundled name to load (None: the default scenario).
    actor
        The actor to advise.
    models
        Model specs whose forecast is the deal (default: the advice's own choice).
    samples, seed
        Monte Carlo draws and the seed of the run.
    progress
        Called with (steps done, steps in all) as the moves are evaluated.

    Raises
    ------
    InputError
        Unknown actor or model, fewer than one draw.
    """
    from detente.analyses.advice import AdviceOptions, advise
    from detente.models.spec import make_model

    loaded = scenario if isinstance(scenario, Loaded) else load(scenario)
    sc = loaded.scenario
    if actor not in sc.actor_ids():
        raise InputError(
            Problem(
                loaded.source,
                f"unknown actor {actor!r}; known: {', '.join(sc.actor_ids())}",
                field="--actor",
            )
        )
    if samples < 1:
        raise InputError(
            Problem(loaded.source, f"{samples}; allowed: 1 or more", field="--samples")
        )
    kw: dict[str, Any] = {"samples": samples}
    if models:
        for m in models:
            make_model(m)  # unknown names and options end as one clear line
        kw["models"] = tuple(models)
    try:
        out = advise(sc, actor, AdviceOptions(**kw), seed=seed, progress=progress)
    except ValueError as exc:
        raise InputError(Problem(loaded.source, str(exc), field="--model")) from None
    out["scenario_source"] = loaded.source
    return out
