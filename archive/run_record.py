"""A crawl's ``crawl_runs`` row and its problems: opened (or resumed) at the start, problems
recorded as they happen, status and counts written at the end."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from archive import db
from archive.models import CrawlRun
from archive.runs import run_counts

logger = logging.getLogger(__name__)


class RunRecord:
    def __init__(self, session: Session, arguments: dict[str, Any],
                 resume_run: int | None = None) -> None:
        """A new run with ``arguments``, or the interrupted run ``resume_run`` continued."""
        self.session = session
        process = {"pid": os.getpid(), "host": socket.gethostname()}
        self.resuming = bool(resume_run)
        if resume_run:
            run = session.get(CrawlRun, resume_run)
            if run is None:
                raise ValueError(f"no crawl run {resume_run} to resume")
            run.status = "running"
            run.finished_at = None
            run.arguments = {**run.arguments, **process,
                             "resumed": [*run.arguments.get("resumed", []), db.now().isoformat()]}
        else:
            run = CrawlRun(started_at=db.now(), arguments={**arguments, **process})
            session.add(run)
        session.commit()
        self.run = run
        # Counts of the process(es) before this one, added to at the end (resumption).
        self.previous_counts: dict[str, Any] = dict(run.counts or {}) if resume_run else {}

    @property
    def id(self) -> int:
        return self.run.id

    def problem(self, kind: str, message: str, url: str | None = None) -> None:
        """Record a problem in the log and the database (committed with the next batch)."""
        logger.warning("%s: %s%s", kind, message, f" ({url})" if url else "")
        db.record_problem(self.session, kind, message, url=url, run_id=self.run.id)

    def finish(self, reason: str, process_counts: Mapping[str, int | float]) -> None:
        """Status from Scrapy's close reason; counts: the process's counters added to those of
        earlier resumptions, and the outcome counts from the database, which holds the whole
        run whatever stopped it."""
        counts = {k: self.previous_counts.get(k, 0) + v for k, v in process_counts.items()}
        counts |= run_counts(self.session, self.run.id)
        self.run.finished_at = db.now()
        self.run.status = "finished" if reason == "finished" else reason
        self.run.counts = counts
