"""Issue 23: the commands skip the garbage collections of Python's shutdown (gc.freeze at exit)."""

from __future__ import annotations

import atexit
import gc

from detente.outputs import files


def test_the_heap_is_frozen_at_exit_once_per_process(monkeypatch):
    registered = []
    monkeypatch.setattr(atexit, "register", registered.append)
    monkeypatch.setattr(files, "_skipping", [])
    files.skip_gc_at_exit()
    files.skip_gc_at_exit()
    assert registered == [gc.freeze]
