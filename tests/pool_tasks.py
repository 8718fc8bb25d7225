"""Worker-side functions for tests/test_analysis_pool.py.

They are top-level functions in an importable module, because the pool's workers (forked from
the fork server) import them by name. A pool runs one function, so ``act`` dispatches to the
behaviour a test asks of each task."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any


def sleep(seconds: float, value: Any = None) -> Any:
    time.sleep(seconds)
    return value


def crash(code: int = 3) -> None:
    os._exit(code)  # dies without a word, like a segfault in a C library


def sigkill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    time.sleep(10)  # not reached


def allocate(mb: int) -> int:
    data = bytearray(mb * 1024 * 1024)  # MemoryError past the worker's RLIMIT_AS
    return len(data)


def fail(message: str) -> None:
    raise ValueError(message)


def pid() -> int:
    return os.getpid()


ACTIONS: dict[str, Callable[..., Any]] = {
    "sleep": sleep, "crash": crash, "sigkill": sigkill, "allocate": allocate, "fail": fail,
    "pid": pid,
}


def act(name: str, *args: Any) -> Any:
    """Run the test behaviour ``name`` with ``args``."""
    return ACTIONS[name](*args)
