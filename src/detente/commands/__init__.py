"""Command functions registered on the CLI app by ``detente.cli``."""

from typing import Annotated

import typer

#: ``--save``: also store the run in the run history (shared by the commands that can save;
#: defined here, not in ``saving``, so that building the CLI imports no command module)


def _save_or_db(ctx: typer.Context, save: bool) -> bool:
    """``--save``, also on when ``--db`` names a history: ``--db`` alone means "save it there".

    Click processes the options given on the command line before the ones left out, so when
    ``--db`` is given without ``--save``, ``db`` is in ``ctx.params`` by the time this runs.
    """
    return bool(save or ctx.params.get("db"))


SaveOpt = Annotated[
    bool,
    typer.Option(
        "--save",
        callback=_save_or_db,
        help="Also store the run in the run history (`detente runs list`; needs the web extra). "
        "--db URL implies --save.",
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
