"""Work done by a forked child process while this one goes on (where ``os.fork`` exists).

Used by the CLI's HTML report (figures and advice) and by ``ratify --nearest`` (the searches).
Forking is unsafe in a process with other threads at work (the web server): callers fork only
when the CLI asks them to.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import Any

_UNSET = object()


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the OS tells it, else the count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1


class Forked:
    """``fn(*args)`` computed by a forked child process, started at once; :meth:`result` waits.

    The child has this process's state as it is at the fork, so its result is the one this
    process would compute; it comes back pickled through a pipe. If the child fails, ``fn(*args)``
    runs here instead.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn, self.args, self.value = fn, args, _UNSET
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (coverage is not measured in it)
            code = 1
            try:
                os.close(read)
                data = pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)  # no atexit handlers, no flushing of the parent's buffers
        os.close(write)
        self.pid, self.read = pid, read

    def result(self) -> Any:
        """The child's result (or this process's, if the child failed)."""
        if self.value is _UNSET:
            with os.fdopen(self.read, "rb") as src:
                data = src.read()
            _, status = os.waitpid(self.pid, 0)
            self.value = pickle.loads(data) if status == 0 else self.fn(*self.args)
        return self.value

    def stop(self) -> None:
        """Kill and reap the child, whose result is no longer wanted."""
        try:
            os.close(self.read)
        except OSError:  # pragma: no cover - closed while its result was being read
            pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):  # pragma: no cover - already reaped
            pass
