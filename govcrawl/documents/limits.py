"""Resource limits for the worker processes that read documents (a PDF or zip bomb must cost
that worker a MemoryError, not the machine its memory)."""

from __future__ import annotations

import resource

__all__ = ["limit_resources"]


def limit_resources(memory_mb: int) -> None:
    """Cap this process's address space at ``memory_mb`` MiB and switch off core dumps.

    Meant as a ``ProcessPoolExecutor(initializer=limit_resources, initargs=(mb,))``; never
    raises the limit above a hard limit already in force."""
    limit = int(memory_mb) * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
