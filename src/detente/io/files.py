"""Writing output files safely.

Files are written atomically: a run that stops half-way leaves no partial file behind. No output
replaces a file this run has read as input (``montecarlo talks.yaml -o talks.yaml`` would lose
the scenario), and a command with a ``--force`` option keeps an existing output unless it is
given.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from detente.errors import InputError, Problem

# (device, inode) of every file read as input by this process: a link or another spelling of
# the same path is the same file
_INPUTS: set[tuple[int, int]] = set()


def remember_input(info: os.stat_result) -> None:
    """Record a file read as input (its ``stat``), so that no output replaces it."""
    _INPUTS.add((info.st_dev, info.st_ino))


def forget_inputs() -> None:
    """Forget the inputs of earlier runs.

    The CLI calls this first, so that a long-lived process (tests, a notebook calling ``main``)
    does not mistake a new file on a recycled inode for an input of the current run.
    """
    _INPUTS.clear()


def _is_input(path: Path) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    return (info.st_dev, info.st_ino) in _INPUTS


def check_output(path: str | Path, force: bool | None = None) -> None:
    """Refuse an output path that names a folder, an input of this run, or (without force) a file.

    Parameters
    ----------
    path
        The file to write.
    force
        ``False``: an existing file is kept (the command has a ``--force`` option, not given);
        ``True``: it is replaced; ``None``: the command has no ``--force`` option and an existing
        output is replaced, as before the option existed. An input file is never replaced.

    Raises
    ------
    InputError
        With one line naming the file and what to do.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(Problem(str(path), "is a folder; give a file name to write"))
    if _is_input(path):
        raise InputError(
            Problem(str(path), "is an input file of this run; write the output to another file")
        )
    if force is False and (path.exists() or path.is_symlink()):
        raise InputError(Problem(str(path), "already exists; pass --force to overwrite it"))


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: str | bytes, force: bool | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    ``force`` is as in :func:`check_output`, which runs first.
    """
    path = Path(path)
    check_output(path, force)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "the folder does not exist", str(folder))
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        # mkstemp makes the file 0600; a briefing saved to a shared folder must follow the
        # umask like any other tool's output
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
