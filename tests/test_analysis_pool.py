"""govcrawl.analysis.pool: time and memory limits, failures that stay with their task, order.

Short limits (1 s) keep the module well under a minute on two cores."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import types
from collections import Counter
from typing import Any

import psutil
import pytest
from scrapy.settings import Settings

from govcrawl.analysis import AnalysisFailed, AnalysisPool, Outcome, PoolLimits
from tests.pool_tasks import act


def pool(events: list[str] | None = None, **limits: Any) -> AnalysisPool[Any]:
    return AnalysisPool(act, PoolLimits(**limits),
                        on_event=events.append if events is not None else None)


def by_key(outcomes: list[Outcome[Any]]) -> dict[Any, Outcome[Any]]:
    return {outcome.key: outcome for outcome in outcomes}


def worker_processes() -> list[psutil.Process]:
    """Descendants of this process, except multiprocessing's long-lived helpers (the fork server
    and the resource tracker are children of ours; the workers are the fork server's)."""
    me = psutil.Process()
    helpers = set()
    for child in me.children():
        try:
            if "multiprocessing" in " ".join(child.cmdline()):
                helpers.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return [p for p in me.children(recursive=True) if p.pid not in helpers]


def test_results_come_in_submission_order_within_the_window() -> None:
    sleeps = [0.4, 0.05, 0.3, 0.0, 0.2, 0.1, 0.0]  # later tasks finish first
    with pool(workers=2, window=3) as p:
        outcomes, taken_while_submitting = [], 0
        for i, seconds in enumerate(sleeps):
            for outcome in p.submit(i, "sleep", seconds, i * 10):
                taken_while_submitting += 1
                outcomes.append(outcome)
        outcomes += list(p.drain())
        assert taken_while_submitting == len(sleeps) - 3  # never more than 3 in flight
        assert [o.key for o in outcomes] == list(range(len(sleeps)))
        assert [o.value for o in outcomes] == [i * 10 for i in range(len(sleeps))]
        assert all(o.ok and o.error is None for o in outcomes)
        mapped = list(p.map((f"m{i}", ("sleep", s, i)) for i, s in enumerate(sleeps)))
        assert [(o.key, o.value) for o in mapped] == [(f"m{i}", i) for i in range(len(sleeps))]


def test_time_limit_counts_from_the_start_not_from_submission() -> None:
    # One worker, five 0.6 s tasks queued at once: the last waits 2.4 s, yet each runs 0.6 s
    # of its 1 s. A limit started at submission (review M1) would fail the last three.
    events: list[str] = []
    started = time.monotonic()
    with pool(events, workers=1, timeout=1, window=5) as p:
        outcomes = list(p.map((i, ("sleep", 0.6, i)) for i in range(5)))
    assert [(o.value, o.error) for o in outcomes] == [(i, None) for i in range(5)]
    assert time.monotonic() - started >= 3.0
    assert "timeout" not in events


def test_a_hung_task_fails_alone() -> None:
    events: list[str] = []
    started = time.monotonic()
    with pool(events, workers=2, timeout=1, window=8) as p:
        tasks = [(i, ("sleep", 0.2, i)) for i in range(6)]
        tasks.insert(2, ("hung", ("sleep", 30)))
        outcomes = by_key(list(p.map(tasks)))
    assert outcomes["hung"].error == "took longer than 1 s"
    assert outcomes["hung"].value is None
    assert [outcomes[i].value for i in range(6)] == list(range(6))
    assert time.monotonic() - started < 8
    assert Counter(events) == {"timeout": 1, "restart": 1}


def test_a_task_that_kills_its_worker_fails_alone() -> None:
    # Two killers among six innocent tasks in flight: each worker runs one task at a time, so the
    # culprit is known and nothing else is failed or run again.
    events: list[str] = []
    with pool(events, workers=2, timeout=5, window=8) as p:
        tasks: list[tuple[Any, tuple[Any, ...]]] = [(i, ("sleep", 0.3, i)) for i in range(6)]
        tasks.insert(1, ("exit", ("crash", 3)))
        tasks.insert(5, ("sigkill", ("sigkill",)))
        outcomes = by_key(list(p.map(tasks)))
        assert outcomes["exit"].error == "worker died (exit code 3)"
        assert outcomes["sigkill"].error == "worker died (exit code -9)"
        assert [(outcomes[i].value, outcomes[i].error) for i in range(6)] == [
            (i, None) for i in range(6)]
        assert Counter(events) == {"died": 2, "restart": 2}
        # The replaced workers serve the next tasks.
        assert [o.value for o in p.map([("after", ("sleep", 0, "ok"))])] == ["ok"]


def test_memory_limit_fails_the_task_and_replaces_its_worker() -> None:
    events: list[str] = []
    with pool(events, workers=1, memory_mb=256, timeout=10) as p:
        first, big, small, last = p.map([
            ("pid", ("pid",)), ("big", ("allocate", 1024)), ("small", ("allocate", 16)),
            ("pid2", ("pid",))])
    assert big.error == "MemoryError"
    assert small.value == 16 * 1024 * 1024
    assert first.ok and last.ok and first.value != last.value  # a fresh worker after the error
    assert events == ["restart"]


def test_an_exception_is_the_tasks_failure_and_the_worker_goes_on() -> None:
    events: list[str] = []
    with pool(events, workers=1) as p:
        before, failed, unsendable, after = p.map([
            ("a", ("pid",)), ("b", ("fail", "bad input")),
            ("c", ("sleep", 0, threading.Lock())), ("d", ("pid",))])
    assert failed.error == "ValueError: bad input" and failed.value is None
    assert unsendable.error is not None
    assert unsendable.error.startswith("the arguments could not be sent: TypeError")
    assert before.value == after.value  # same worker: an exception costs no restart
    assert events == []


def test_async_run_isolates_failures_without_blocking_the_loop() -> None:
    events: list[tuple[str, int]] = []

    async def main() -> tuple[list[Any], float, int]:
        loop_thread = threading.get_ident()
        p = AnalysisPool(act, PoolLimits(workers=2, timeout=1),
                         on_event=lambda name: events.append((name, threading.get_ident())))
        largest_gap, running = 0.0, True

        async def ticker() -> None:
            nonlocal largest_gap
            last = time.monotonic()
            while running:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                largest_gap, last = max(largest_gap, now - last), now

        tick = asyncio.create_task(ticker())
        calls = [p.run("sleep", 0.2, i) for i in range(6)]
        calls.insert(3, p.run("sleep", 30))
        calls.insert(5, p.run("crash", 3))
        results = await asyncio.gather(*calls, return_exceptions=True)
        running = False
        await tick
        await p.aclose()
        await asyncio.sleep(0)  # deliver events scheduled just before the close
        return results, largest_gap, loop_thread

    started = time.monotonic()
    results, largest_gap, loop_thread = asyncio.run(main())
    failures = {i: r.message for i, r in enumerate(results) if isinstance(r, AnalysisFailed)}
    assert failures == {3: "took longer than 1 s", 5: "worker died (exit code 3)"}
    assert [r for r in results if not isinstance(r, AnalysisFailed)] == list(range(6))
    assert time.monotonic() - started < 8
    assert largest_gap < 0.5  # the loop kept turning while workers ran, hung and died
    assert Counter(name for name, _ in events) == {"timeout": 1, "died": 1, "restart": 2}
    assert {thread for _, thread in events} == {loop_thread}  # safe for Scrapy's stats


def test_a_worker_is_recycled_after_max_tasks() -> None:
    events: list[str] = []
    with pool(events, workers=1, max_tasks_per_worker=2) as p:
        pids = [o.value for o in p.map((i, ("pid",)) for i in range(5))]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert len(set(pids)) == 3
    assert events == ["recycled", "recycled"]


def test_close_leaves_no_child_processes() -> None:
    p = pool(workers=2)
    pids = {o.value for o in p.map((i, ("pid",)) for i in range(4))}
    assert pids and all(psutil.pid_exists(pid) for pid in pids)
    p.close()
    assert worker_processes() == []
    assert not any(psutil.pid_exists(pid) for pid in pids)
    with pytest.raises(RuntimeError):
        list(p.submit("late", "pid"))


def test_kill_stops_hung_work_at_once() -> None:
    p = pool(workers=1, timeout=0)  # no time limit: only kill() ends this task
    assert list(p.submit("hung", "sleep", 30)) == []
    time.sleep(0.3)
    started = time.monotonic()
    p.kill()
    assert time.monotonic() - started < 3
    assert list(p.drain()) == []
    assert worker_processes() == []


def test_workers_that_cannot_start_fail_the_tasks_instead_of_restarting_forever(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A function the parent can name but the workers cannot import: every worker dies starting.
    ghost = types.ModuleType("ghost_tasks_for_pool_test")
    exec("def nothing():\n    return None\n", ghost.__dict__)
    monkeypatch.setitem(sys.modules, ghost.__name__, ghost)
    events: list[str] = []
    started = time.monotonic()
    with AnalysisPool(ghost.nothing, PoolLimits(workers=1), on_event=events.append) as p:
        outcomes = list(p.map([("a", ()), ("b", ())]))
        assert [o.error for o in outcomes] == ["workers could not start (exit code 1)"] * 2
        assert [o.error for o in p.map([("c", ())])] == ["workers could not start (exit code 1)"]
    assert time.monotonic() - started < 10
    assert events == ["died", "restart", "died", "restart", "died"]  # three tries, no more


def test_limits_from_settings() -> None:
    settings = Settings({"GOVCRAWL_EXTRACT_WORKERS": 3, "GOVCRAWL_EXTRACT_TIMEOUT": 30.5,
                         "GOVCRAWL_EXTRACT_MEMORY_MB": 1024})
    limits = PoolLimits.from_settings(settings)
    assert limits == PoolLimits(workers=3, timeout=30.5, memory_mb=1024, max_tasks_per_worker=0)
    assert limits.in_flight == 6
    settings.set("GOVCRAWL_EXTRACT_MAX_TASKS", 200)
    assert PoolLimits.from_settings(settings).max_tasks_per_worker == 200
    assert PoolLimits(workers=0).worker_count >= 1
    with pytest.raises(ValueError):
        PoolLimits(timeout=-1)
