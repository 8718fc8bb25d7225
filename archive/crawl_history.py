"""What the database knew when a crawl started: the earlier captures per URL (validators,
originals for revisit records) and this run's own captures when it resumes after a stop, both
looked up per URL as the crawl meets it; and which capture each stored report and attachment
was analysed from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Attachment, Report
from archive.priors import PriorLookup

# What a resumed run replays from its own earlier captures: pages and redirect hops.
REPLAYABLE = (200, 301, 302, 303, 304, 307, 308)


class CrawlHistory:
    def __init__(self, session: Session, run_id: int, *, resuming: bool) -> None:
        # Earlier runs' captures per URL; this run's own when it resumes after a stop.
        # Looked up per URL as the crawl meets them (memory does not grow with the archive).
        self.priors = PriorLookup(session, exclude_runs=[run_id])
        self.resumed = (PriorLookup(session, runs=[run_id], statuses=REPLAYABLE, sources=None)
                        if resuming else PriorLookup(session, runs=[]))
        # Report URL → the capture its stored content came from.
        self.stored_reports: dict[str, str | None] = {
            url: capture for url, capture in session.execute(select(Report.url, Report.capture_id))}
        # (report URL, attachment URL) → the capture its stored analysis came from.
        self.stored_attachments: dict[tuple[str, str], str | None] = {
            (report_url, url): capture for report_url, url, capture in session.execute(
                select(Attachment.report_url, Attachment.url, Attachment.capture_id))}

    def report_unchanged(self, url: str, capture_id: str | None) -> bool:
        """The report at ``url`` is stored from exactly this capture."""
        return capture_id is not None and self.stored_reports.get(url) == capture_id

    def attachment_unchanged(self, report_url: str, url: str, capture_id: str | None) -> bool:
        return capture_id is not None and self.stored_attachments.get((report_url, url)) == capture_id
