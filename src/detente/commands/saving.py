"""``--save``: a CLI command's run stored in the workbench's run history.

A saved run holds what ``detente runs rerun`` needs to run it again and compare the bytes: the
scenario text (stored once per content hash), the command and its options, the seed, the
detente version, the output exactly as ``--json`` prints it, and the time it took. The history
is the one ``detente serve`` writes (``--db`` URL, else ``$DETENTE_DB``, else the user's data
directory), so ``detente runs list`` shows CLI and workbench runs together. ``--db`` on a
command that runs a scenario implies ``--save``: the only use of a history there is to store
the run in it, and a ``--db`` that silently did nothing would lose the run the analyst meant to
keep.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detente.scenario import Loaded


def dumps_unicode(data: Any) -> str:
    """JSON as forecast, simulate, crisis, advise, montecarlo and sensitivity print it."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def dumps_ascii(data: Any) -> str:
    """JSON as ratify prints it (non-ASCII characters escaped)."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _forecast(loaded: Loaded, o: dict[str, Any]) -> dict[str, Any]:
    from detente import api

    return api.forecast(loaded, o["models"], seed=o["seed"], samples=o["samples"])


def _simulate(loaded: Loaded, o: dict[str, Any]) -> dict[str, Any]:
    from detente import api

    return api.simulate(loaded, o["model"], rounds=o["rounds"], seed=o["seed"])


def _ratify(loaded: Loaded, o: dict[str, Any]) -> dict[str, Any]:
    from detente import api

    keys = ("forms", "proposal", "set_values", "forum", "outsiders", "discount", "samples")
    return api.ratify(loaded, nearest=o["nearest"], seed=o["seed"], **{k: o[k] for k in keys})


def _crisis(loaded: Loaded, o: dict[str, Any]) -> dict[str, Any]:
    from detente import api

    return api.crisis(loaded, samples=o["samples"], seed=o["seed"], models=o["models"])


def _advise(loaded: Loaded, o: dict[str, Any]) -> dict[str, Any]:
    from detente import api

    return api.advise(loaded, o["actor"], o["models"], samples=o["samples"], seed=o["seed"])


def _montecarlo(loaded: Loaded, o: dict[str, Any]) -> dict[str, Any]:
    from detente import api

    return api.montecarlo(loaded, samples=o["samples"], seed=o["seed"], models=o["models"])


def _sensitivity(loaded: Loaded, o: dict[str, Any]) -> dict[str, Any]:
    from detente import api

    return api.sensitivity(
        loaded,
        method=o["method"],
        models=o["models"],
        samples=o["samples"],
        seed=o["seed"],
        top=o["top"],
    )


#: per command: how to run it again from its stored options, and how its ``--json`` prints
RUNNERS: dict[str, tuple[Callable[[Loaded, dict[str, Any]], dict[str, Any]], Callable]] = {
    "forecast": (_forecast, dumps_unicode),
    "simulate": (_simulate, dumps_unicode),
    "ratify": (_ratify, dumps_ascii),
    "crisis": (_crisis, dumps_unicode),
    "advise": (_advise, dumps_unicode),
    "montecarlo": (_montecarlo, dumps_unicode),
    "sensitivity": (_sensitivity, dumps_unicode),
}


def rerun_text(command: str, loaded: Loaded, options: dict[str, Any]) -> str:
    """The ``--json`` output of a saved CLI run, computed again."""
    run, dump = RUNNERS[command]
    return dump(run(loaded, options))


def scenario_text(scenario: str | None) -> tuple[str, str, str]:
    """Text, kind and source label of a scenario argument, as ``detente serve`` reads it."""
    from detente.scenario.loading import DEFAULT_SCENARIO, bundled_scenarios, load, read_text
    from detente.web.workbench import bundled_text, kind_of

    spec = scenario or DEFAULT_SCENARIO
    loaded = load(spec)  # the CLI's own checks and messages, and the source label
    path = Path(spec)
    if not path.exists() and spec in bundled_scenarios():
        text, kind = bundled_text(spec)
    else:
        text, kind = read_text(path, spec), kind_of(path.name)
    return text, kind, loaded.source


def save_run(
    command: str,
    scenario: str | None,
    options: dict[str, Any],
    result: dict[str, Any],
    elapsed: float,
    db: str | None,
) -> int:
    """Store a CLI run in the history and say so on stderr (stdout keeps the output clean).

    ``options`` are the keyword arguments :data:`RUNNERS` needs to run it again, with ``seed``.

    Raises
    ------
    InputError
        Without the web extra, or when the history cannot be opened.
    """
    from detente.commands.serve import need_web

    need_web("--save")
    from detente import __version__
    from detente.web.store import Store

    text, kind, source = scenario_text(scenario)
    store = Store(db)
    try:
        sha = store.put_scenario(text, kind, source)
        run_id = store.save_run(
            command=command,
            scenario_sha256=sha,
            edits=[],
            options={"command": command, **options},
            seed=int(options.get("seed", 0)),
            version=__version__,
            outputs=RUNNERS[command][1](result),
            elapsed_s=elapsed,
        )
        where = store.display_url()
    finally:
        store.close()
    sys.stderr.write(f"detente: saved as run {run_id} in {where}\n")
    return run_id
