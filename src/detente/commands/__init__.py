"""Command functions registered on the CLI app by ``detente.cli``."""

from typing import Annotated

import typer

#: ``--save``: also store the run in the run history (shared by the commands that can save;
#: defined here, not in ``saving``, so that building the CLI imports no command module)
SaveOpt = Annotated[
    bool,
    typer.Option(
        "--save",
        help="Also store the run in the run history (`detente runs list`; needs the web extra).",
    ),
]
#: ``--db``: where the run history lives
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (or SQLite file) of the run history; default $DETENTE_DB, else "
        "runs.sqlite in the user's data directory.",
    ),
]
