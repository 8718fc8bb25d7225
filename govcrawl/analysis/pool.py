"""One process pool for report analysis, with the same failure rules for the crawl's pipeline,
the archive import and reparse.

Rules
-----
- Each worker process runs under ``RLIMIT_AS`` (``memory_mb``) so a PDF or zip bomb costs that
  worker a ``MemoryError``, not the machine its memory.
- A task's time limit counts from the moment a worker starts it. Time spent waiting in the queue
  or while a fresh worker starts up does not count.
- A task that raises, overruns, runs out of memory or kills its worker fails alone, and the
  failure names why: ``"ValueError: …"``, ``"took longer than 60 s"``, ``"MemoryError"``,
  ``"worker died (exit code -9)"``. Other tasks are not touched, and the broken worker is
  replaced.
- A bounded window of tasks in flight, with results in submission order (sync API), or any
  number of concurrent ``await pool.run(...)`` calls (async API, for Scrapy's asyncio reactor).

Design: one task at a time per worker, over the worker's own pipe
-----------------------------------------------------------------
A manager thread owns the workers. Each worker has a private duplex pipe and holds at most one
task. A task is sent only to a worker that is idle and has reported ``ready`` (initialiser done,
function imported). So the moment the task is handed over is the moment it starts, and the
timer starts then. The queue stays in the parent process, where waiting costs nothing.

This also means we always know which task a worker was running. When a worker dies (``os._exit``,
a segfault, SIGKILL from the OOM killer), the culprit is known: that task fails, and the other
workers' tasks keep running and are never re-run. There is no "broken pool" in which the culprit
is unknown, so the solo re-runs that ``pipelines/extract.py`` and the importer needed go away.
On overrun, that worker alone is SIGKILLed and replaced.

Why our own helper, not ``ProcessPoolExecutor`` or pebble
---------------------------------------------------------
- ``ProcessPoolExecutor`` cannot give a start-based time limit, because a task's start cannot
  be observed; ``asyncio.wait_for`` around it counted queue time (review M1). It also cannot
  kill one stuck worker, and a dead worker breaks the whole pool with the culprit unknown.
- pebble (5.2.3) does have start-based timeouts and known culprits. But it is a new
  dependency, and its workers share one task channel guarded by a process-shared lock. Its bug
  tracker records exactly our failure modes:
  noxdafox/pebble#97 (pool blocked after a worker is OOM-killed),
  #163 (deadlock when a worker dies while holding the channel lock),
  #153 (a task never completes after a race between killing a worker and its acknowledgement).
  With one pipe per worker and no shared lock, a killed worker cannot corrupt anyone else's
  channel. The price is the few hundred lines below, on the stdlib only.

Start method
------------
forkserver where the platform has it; otherwise the platform default.
- Forking the caller is unsafe: Scrapy's threads and this pool's manager thread may hold locks
  at fork time. Python 3.14 made forkserver the Linux default for that reason.
- ``RLIMIT_AS`` counts the address space a child inherits, so a worker forked from a 1.5 GiB
  crawl process would start with most of its allowance already used.
- The function's module is preloaded in the fork server, so a replacement or recycled worker
  starts in milliseconds instead of re-importing trafilatura. ``set_forkserver_preload`` is
  process-wide, and it has no effect once the server is running: a later pool's workers import
  their module themselves, before they report ready (not counted in the time limit).
- The function, its arguments and its result must be picklable. The function must be importable
  from a worker (a top-level function).
- As with any non-fork start method, a script that starts a pool needs the
  ``if __name__ == "__main__":`` guard. The fork server imports the main module, and the
  project's entry points (``govcrawl``, ``scrapy``, scrapyd's runner) all have it.

Settings: ``PoolLimits.from_settings`` reads
- ``GOVCRAWL_EXTRACT_WORKERS`` (0 = one per usable core);
- ``GOVCRAWL_EXTRACT_TIMEOUT`` (seconds a task may run, counted from its start; 0 = no limit);
- ``GOVCRAWL_EXTRACT_MEMORY_MB`` (address space per worker, MiB; 0 = no limit);
- ``GOVCRAWL_EXTRACT_MAX_TASKS`` (new): a worker is replaced after this many tasks (0 = never,
  the default). It bounds the slow growth of a long-lived worker (parser caches and heap
  fragmentation) that would otherwise bring it ever closer to its ``RLIMIT_AS`` and so fail an
  innocent large document. A few hundred (e.g. 200) costs one fork from the preloaded server
  per few hundred pages.

Events (``on_event``)
---------------------
- ``"timeout"``: a task overran and its worker was killed.
- ``"died"``: a worker exited unexpectedly (with or without a task).
- ``"restart"``: a worker was replaced after a failure (timeout, death, MemoryError).
- ``"recycled"``: a worker was replaced after ``max_tasks_per_worker`` tasks.

Once ``run()`` has been used, the callback runs in that event loop's thread (safe for Scrapy's
stats). Otherwise it runs in the pool's manager thread, so keep it cheap and thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from govcrawl.documents.limits import limit_resources

__all__ = ["AnalysisFailed", "AnalysisPool", "Outcome", "PoolLimits"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# A worker that dies this many times in a row before it is ready (its function cannot be
# imported, the memory limit is below what Python needs to start) will not start: the pool
# fails its tasks instead of forking forever.
_STARTUP_ATTEMPTS = 3
# How long a worker asked to stop (close, recycle) may take before it is killed.
_STOP_GRACE = 5.0
_READY, _DONE = "ready", "done"


def _usable_cores() -> int:
    # The cores this process may run on (taskset, cpuset), not how many the machine has.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class SettingsLike(Protocol):
    """What ``PoolLimits.from_settings`` needs of a settings object (a Scrapy ``Settings``)."""

    def getint(self, name: str, default: int = 0) -> int: ...

    def getfloat(self, name: str, default: float = 0.0) -> float: ...


@dataclass(frozen=True)
class PoolLimits:
    """How many workers, and what each task and worker may cost."""

    workers: int = 0  # 0 = one per usable core
    timeout: float = 60.0  # seconds per task, from its start in a worker; 0 = no limit
    memory_mb: int = 0  # address space per worker (MiB); 0 = no limit
    window: int = 0  # tasks in flight in the sync API; 0 = 2 × workers
    max_tasks_per_worker: int = 0  # replace a worker after this many tasks; 0 = never

    def __post_init__(self) -> None:
        for name in ("workers", "timeout", "memory_mb", "window", "max_tasks_per_worker"):
            if getattr(self, name) < 0:
                raise ValueError(f"PoolLimits.{name} must not be negative")

    @property
    def worker_count(self) -> int:
        return self.workers or _usable_cores()

    @property
    def in_flight(self) -> int:
        """The sync API's window: tasks submitted and not yet handed back."""
        return self.window or 2 * self.worker_count

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> PoolLimits:
        """The extraction limits of the crawl's settings (see the module docstring)."""
        return cls(workers=settings.getint("GOVCRAWL_EXTRACT_WORKERS", 0),
                   timeout=settings.getfloat("GOVCRAWL_EXTRACT_TIMEOUT", 60.0),
                   memory_mb=settings.getint("GOVCRAWL_EXTRACT_MEMORY_MB", 2048),
                   max_tasks_per_worker=settings.getint("GOVCRAWL_EXTRACT_MAX_TASKS", 0))


class AnalysisFailed(Exception):
    """A task failed; ``message`` says why (the same text as ``Outcome.error``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Outcome(Generic[T]):
    """One task's result: ``value`` if it succeeded, else ``error`` saying why it failed."""

    key: Any
    value: T | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def describe(exc: BaseException) -> str:
    """``"ValueError: message"``, or the bare type name when there is no message."""
    try:
        message = str(exc)
    except Exception:  # a broken __str__ must not lose the failure itself
        message = ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# -- worker side ----------------------------------------------------------------------------------
def _reply(conn: Connection, ok: bool, payload: Any, retire: bool) -> bool:
    """Send one task's result; False when the worker should stop (pipe gone, or retiring)."""
    try:
        conn.send((_DONE, ok, payload, retire))
    except OSError:
        return False  # the pool is gone
    except Exception as exc:  # the value could not be pickled (or not within the memory limit)
        retire = retire or isinstance(exc, MemoryError)
        try:
            conn.send((_DONE, False, f"the result could not be sent back: {describe(exc)}",
                       retire))
        except Exception:
            return False
    return not retire


def _work(conn: Connection, function: Callable[..., Any], memory_mb: int) -> None:
    """A worker process: runs one task at a time from its own pipe until the pipe closes."""
    # Ctrl-C goes to the whole process group, but stopping is the parent's decision (Scrapy lets
    # the items in flight finish on the first one). So a worker must not die of it mid-task.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The same for SIGTERM (a graceful stop), whatever start method made this worker.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if memory_mb > 0:
        limit_resources(memory_mb)
    try:
        conn.send((_READY, os.getpid()))
    except OSError:
        return
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):
            return  # the pool closed the pipe
        except MemoryError:  # the message was read only in part: the pipe is out of step now
            _reply(conn, False, "MemoryError: the task's arguments exceed the memory limit", True)
            return
        except Exception as exc:  # read whole but could not be unpickled here: this task only
            if not _reply(conn, False, describe(exc), False):
                return
            continue
        if args is None:
            return  # asked to stop
        try:
            ok, payload, retire = True, function(*args), False
        except MemoryError as exc:
            # A failed allocation can leave C libraries in an unknown state, and a fragmented heap
            # behind: this worker is replaced.
            ok, payload, retire = False, describe(exc), True
        except Exception as exc:
            ok, payload, retire = False, describe(exc), False
        except BaseException as exc:  # SystemExit and the like: report it, then stop
            ok, payload, retire = False, describe(exc), True
        del args  # a body can be megabytes: don't keep it while waiting for the next task
        if not _reply(conn, ok, payload, retire):
            return


# -- parent side ----------------------------------------------------------------------------------
@dataclass(eq=False)
class _Task:
    args: tuple[Any, ...]
    future: Future[Any]
    started: bool = False  # the future is RUNNING (it can no longer be cancelled)


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False  # initialised and waiting for its first task
    task: _Task | None = None
    deadline: float = math.inf  # monotonic time its task must be done by
    done: int = 0  # tasks it has finished (for recycling)


_OPEN, _CLOSING, _KILLED, _CLOSED = "open", "closing", "killed", "closed"


class _Inbox:
    """What the callers' threads share with the manager thread: the queue and the pool's state.

    Every operation is short and non-blocking, so ``run()`` can use it from the event loop."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tasks: deque[_Task] = deque()
        self.state = _OPEN
        self.broken: str | None = None  # why every task fails now (workers cannot start)
        self.wake_r, self.wake_w = os.pipe()
        self.pipe_open = True
        # A wake-up must never block a caller; one unread byte is enough to wake the manager.
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def wake(self) -> None:
        """Wake the manager (call with ``lock`` held: the pipe is closed under it, and a write
        to a closed and reused descriptor would land in someone else's file)."""
        if self.pipe_open:
            with contextlib.suppress(BlockingIOError):  # full: the manager is awake anyway
                os.write(self.wake_w, b"\0")

    def clear_wake(self) -> None:
        try:
            while os.read(self.wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def put(self, task: _Task, start: Callable[[], None]) -> None:
        """Queue ``task``; ``start`` (the manager thread, if not running yet) is called under the
        lock, so a concurrent ``close()`` either sees the thread or refuses the task."""
        with self.lock:
            if self.state != _OPEN:
                raise RuntimeError("the analysis pool is closed")
            if self.broken is not None:
                task.future.set_exception(AnalysisFailed(self.broken))
                return
            self.tasks.append(task)
            start()
            self.wake()

    def take(self) -> _Task | None:
        """The next task to run; a task whose future was cancelled (its caller gave up) is
        dropped."""
        with self.lock:
            while self.tasks:
                task = self.tasks.popleft()
                if task.started or task.future.set_running_or_notify_cancel():
                    task.started = True
                    return task
        return None

    def put_back(self, task: _Task) -> None:
        with self.lock:
            self.tasks.appendleft(task)

    def pending(self) -> bool:
        with self.lock:
            return bool(self.tasks)

    def take_all(self) -> list[_Task]:
        with self.lock:
            tasks, self.tasks = list(self.tasks), deque()
        return tasks

    def close_pipe(self) -> None:
        with self.lock:
            if self.pipe_open:
                self.pipe_open = False
                os.close(self.wake_r)
                os.close(self.wake_w)


class _Manager:
    """Runs in the pool's thread: owns the worker processes, hands tasks to idle workers, watches
    their deadlines and deaths."""

    def __init__(self, inbox: _Inbox, function: Callable[..., Any], limits: PoolLimits,
                 context: BaseContext, emit: Callable[[str], None]) -> None:
        self.inbox = inbox
        self.function = function
        self.limits = limits
        self.context = context
        self.emit = emit
        self.workers: list[_Worker] = []
        self.retiring: list[tuple[BaseProcess, float]] = []  # asked to stop, and since when
        self.startup_failures = 0
        self.spawned = 0

    def run(self) -> None:
        try:
            self._serve()
        except BaseException as exc:
            # A bug here must not leave callers waiting forever on futures nobody will resolve.
            log.exception("analysis pool manager failed")
            self.inbox.broken = f"the analysis pool failed: {describe(exc)}"
            self._abort(self.inbox.broken)

    def _serve(self) -> None:
        inbox = self.inbox
        while True:
            state = inbox.state
            if state == _KILLED:
                self._abort("the analysis pool was killed")
                return
            self._reap_retired()
            if inbox.broken is not None:
                for task in inbox.take_all():
                    self._fail(task, inbox.broken)
            elif state == _OPEN or inbox.pending():
                while len(self.workers) < self.limits.worker_count:
                    self.workers.append(self._spawn())
            self._dispatch()
            if state == _CLOSING and not inbox.pending() and not self._busy():
                self._stop_all()
                return
            ready = wait([inbox.wake_r, *(w.conn for w in self.workers),
                          *(w.process.sentinel for w in self.workers)], self._wait_time())
            if inbox.wake_r in ready:
                inbox.clear_wake()
            for worker in list(self.workers):
                if worker.conn in ready or worker.process.sentinel in ready:
                    self._service(worker)
            self._enforce_deadlines()

    def _busy(self) -> bool:
        return any(worker.task is not None for worker in self.workers)

    def _wait_time(self) -> float | None:
        deadline = min((w.deadline for w in self.workers if w.task is not None), default=math.inf)
        if self.retiring:
            deadline = min(deadline, time.monotonic() + 1.0)  # look at stopping workers now and then
        return None if deadline == math.inf else max(0.0, deadline - time.monotonic())

    def _spawn(self) -> _Worker:
        parent, child = self.context.Pipe()
        self.spawned += 1
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_work, args=(child, self.function, self.limits.memory_mb),
            name=f"analysis-worker-{self.spawned}", daemon=True)
        process.start()
        child.close()  # the worker holds it now: its exit is then an EOF on ``parent``
        return _Worker(process, parent)

    def _dispatch(self) -> None:
        for worker in self.workers:
            while worker.ready and worker.task is None:
                task = self.inbox.take()
                if task is None:
                    return
                try:
                    data = ForkingPickler.dumps(task.args)
                except Exception as exc:  # an argument that cannot be pickled: this task only
                    self._fail(task, f"the arguments could not be sent: {describe(exc)}")
                    continue  # and this worker takes the next one
                try:
                    worker.conn.send_bytes(data)
                except OSError:
                    # The worker died since it said it was idle: the task never started. It
                    # goes back to the front of the line; the death is seen by its sentinel.
                    self.inbox.put_back(task)
                    break
                # Handed to an idle worker: it starts now, and so does its clock.
                worker.task = task
                timeout = self.limits.timeout
                worker.deadline = time.monotonic() + timeout if timeout > 0 else math.inf
                task.args = ()  # the worker has its own copy now

    def _service(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                self._handle(worker, worker.conn.recv())
                if worker not in self.workers:
                    return  # retired after its answer
        except (EOFError, OSError):
            self._died(worker)
            return
        if not worker.process.is_alive():
            self._died(worker)

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        if message[0] == _READY:
            worker.ready = True
            self.startup_failures = 0
            return
        _, ok, payload, retire = message
        task, worker.task, worker.deadline = worker.task, None, math.inf
        worker.done += 1
        if task is not None:
            if ok:
                task.future.set_result(payload)
            else:
                self._fail(task, payload)
        limit = self.limits.max_tasks_per_worker
        if retire:
            self._retire(worker, "restart")
        elif limit and worker.done >= limit:
            self._retire(worker, "recycled")

    def _retire(self, worker: _Worker, event: str) -> None:
        """Ask an idle worker to stop; a new one is started in its place."""
        self.workers.remove(worker)
        with contextlib.suppress(OSError):  # already gone
            worker.conn.send(None)
        worker.conn.close()
        self.retiring.append((worker.process, time.monotonic()))
        self.emit(event)

    def _died(self, worker: _Worker) -> None:
        self.workers.remove(worker)
        worker.conn.close()
        process = worker.process
        process.join(1.0)  # its pipe closed because it exited: the exit code follows at once
        if process.exitcode is None:
            process.kill()
            process.join()
        reason = f"exit code {process.exitcode}"
        self.emit("died")
        if worker.task is not None:
            log.warning("analysis worker %s died (%s)", process.pid, reason)
            self._fail(worker.task, f"worker died ({reason})")
        elif not worker.ready:
            self.startup_failures += 1
            if self.inbox.broken is not None:
                return  # one of the last workers started before the pool gave up
            if self.startup_failures >= _STARTUP_ATTEMPTS:
                self.inbox.broken = f"workers could not start ({reason})"
                log.error("analysis pool: %s", self.inbox.broken)
                return
        self.emit("restart")

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.task is None or worker.deadline > now:
                continue
            self.workers.remove(worker)
            worker.process.kill()  # a stuck worker never returns by itself
            worker.process.join(_STOP_GRACE)
            worker.conn.close()
            self._fail(worker.task, f"took longer than {self.limits.timeout:g} s")
            self.emit("timeout")
            self.emit("restart")

    def _reap_retired(self) -> None:
        now, still = time.monotonic(), []
        for process, since in self.retiring:
            if not process.is_alive():
                continue
            if now - since > _STOP_GRACE:
                process.kill()
                process.join(_STOP_GRACE)
                continue
            still.append((process, since))
        self.retiring = still

    def _stop_all(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError):  # already gone
                worker.conn.send(None)
            worker.conn.close()
        processes = [w.process for w in self.workers] + [p for p, _ in self.retiring]
        self.workers, self.retiring = [], []
        deadline = time.monotonic() + _STOP_GRACE
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(_STOP_GRACE)

    def _abort(self, message: str) -> None:
        """Kill every worker now and fail every task that has not finished."""
        for worker in self.workers:
            if worker.task is not None:
                self._fail(worker.task, message)
            worker.process.kill()
        for task in self.inbox.take_all():
            self._fail(task, message)
        for worker in self.workers:
            worker.process.join(_STOP_GRACE)
            worker.conn.close()
        for process, _ in self.retiring:
            process.kill()
            process.join(_STOP_GRACE)
        self.workers, self.retiring = [], []

    @staticmethod
    def _fail(task: _Task, message: str) -> None:
        if not task.future.done():
            task.future.set_exception(AnalysisFailed(message))


class AnalysisPool(Generic[T]):
    """Runs ``function(*args)`` in worker processes under ``limits``; see the module docstring.

    Sync use (one thread): ``submit``/``drain``/``map`` yield ``Outcome``s in submission order
    and keep at most ``limits.in_flight`` tasks in flight. Async use: ``await run(*args)`` from
    any number of coroutines; nothing in it blocks the event loop. Processes start with the first
    task. ``close()`` lets submitted tasks finish; ``kill()`` stops everything now."""

    def __init__(self, function: Callable[..., T], limits: PoolLimits | None = None, *,
                 on_event: Callable[[str], None] | None = None,
                 start_method: str | None = None) -> None:
        self.function = function
        self.limits = limits or PoolLimits()
        self.on_event = on_event
        # Fail here, in the caller, rather than in the manager thread at the first task.
        pickle.dumps(function)
        if start_method is None and "forkserver" in multiprocessing.get_all_start_methods():
            start_method = "forkserver"
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            # Workers forked from a server that has already imported the worker module start in
            # milliseconds (see the module docstring).
            self._context.set_forkserver_preload(list(dict.fromkeys(
                ["govcrawl.analysis._server", "__main__", __name__, function.__module__])))
        self._inbox = _Inbox()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ordered: deque[tuple[Any, Future[T]]] = deque()  # the sync API's tasks in flight

    # -- plumbing -------------------------------------------------------------------------------
    def _emit(self, name: str) -> None:
        callback = self.on_event
        if callback is None:
            return
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody counts now
                loop.call_soon_threadsafe(callback, name)
            return
        try:
            callback(name)
        except Exception:  # a failing counter must not stop the pool
            log.exception("analysis pool: on_event(%r) failed", name)

    def _enqueue(self, args: tuple[Any, ...]) -> Future[T]:
        future: Future[T] = Future()
        self._inbox.put(_Task(args, future), self._start)
        return future

    def _start(self) -> None:
        """Start the manager thread (with the inbox lock held, at the first task)."""
        if self._thread is not None:
            return
        manager = _Manager(self._inbox, self.function, self.limits, self._context, self._emit)
        # A daemon thread: a pool someone forgot to close must not hang the interpreter's exit
        # (multiprocessing's exit handler then terminates the daemon workers).
        self._thread = threading.Thread(target=manager.run, name="analysis-pool", daemon=True)
        self._thread.start()

    # -- sync API -------------------------------------------------------------------------------
    def submit(self, key: Any, *args: Any) -> Iterator[Outcome[T]]:
        """Queue ``function(*args)`` under ``key`` and return the outcomes that must be taken to
        keep the window, oldest first.

        The task is queued at once, even if the iterator is never consumed. But the window is
        kept only by consuming it."""
        self._ordered.append((key, self._enqueue(args)))
        return self._overflow()

    def _overflow(self) -> Iterator[Outcome[T]]:
        while len(self._ordered) > self.limits.in_flight:
            yield self._take()

    def drain(self) -> Iterator[Outcome[T]]:
        """Every outcome not yet taken, in submission order (waits for them)."""
        while self._ordered:
            yield self._take()

    def map(self, items: Iterable[tuple[Any, tuple[Any, ...]]]) -> Iterator[Outcome[T]]:
        """``(key, args)`` pairs → their outcomes in order, at most a window in memory."""
        for key, args in items:
            yield from self.submit(key, *args)
        yield from self.drain()

    def _take(self) -> Outcome[T]:
        key, future = self._ordered.popleft()
        try:
            # No timeout needed: the manager resolves every future (result, failure, deadline).
            return Outcome(key, future.result())
        except AnalysisFailed as exc:
            return Outcome(key, None, exc.message)

    # -- async API ------------------------------------------------------------------------------
    async def run(self, *args: Any) -> T:
        """``function(*args)`` in a worker; raises ``AnalysisFailed`` when it failed. Only puts
        the task in a queue and awaits its future: the loop thread never waits on a worker."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()  # events are delivered in this loop
        return await asyncio.wrap_future(self._enqueue(args))

    async def aclose(self) -> None:
        """``close()`` without blocking the event loop while the last tasks finish."""
        await asyncio.to_thread(self.close)

    # -- lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        """Accept no more tasks, let those submitted finish, stop the workers. Outcomes not yet
        taken can still be drained afterwards."""
        self._shutdown(_CLOSING)

    def kill(self) -> None:
        """Stop now: kill the workers, fail whatever has not finished, forget untaken outcomes."""
        self._shutdown(_KILLED)
        self._ordered.clear()

    def _shutdown(self, state: str) -> None:
        inbox = self._inbox
        with inbox.lock:
            if inbox.state in (_KILLED, _CLOSED) or inbox.state == state:
                return
            inbox.state = state
            thread = self._thread  # no thread can start once the state is not open
            inbox.wake()
        if thread is threading.current_thread():
            return  # called from on_event in the manager thread: it stops by itself
        if thread is not None:
            thread.join()
        with inbox.lock:
            if inbox.state == _CLOSING:
                inbox.state = _CLOSED
        inbox.close_pipe()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.kill()  # an error (or Ctrl-C) in the caller: don't wait for the queue
