"""What the database knew when a crawl started: the earlier captures per URL (validators,
originals for revisit records) and this run's own captures when it resumes after a stop, both
looked up per URL key as the crawl meets them; and which capture each stored report and
attachment was analysed from, also looked up per key. Bounded caches in front of indexed
lookups: memory does not grow with the archive."""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from archive.models import Attachment, Capture, Report
from archive.priors import PriorLookup
from archive.store import Recent
from govcrawl.identity import url_key

# What a resumed run replays from its own earlier captures: pages and redirect hops.
REPLAYABLE = (200, 301, 302, 303, 304, 307, 308)
# Stored reports' and attachments' captures kept at hand (a report is asked about when it is
# fetched again, right after it was stored or looked up).
RECENT = 4096


class CrawlHistory:
    def __init__(self, session: Session, run_id: int, *, resuming: bool) -> None:
        self.session = session
        # Earlier runs' captures per URL key; this run's own when it resumes after a stop.
        self.priors = PriorLookup(session, exclude_runs=[run_id])
        self.resumed = (PriorLookup(session, runs=[run_id], statuses=REPLAYABLE, sources=None)
                        if resuming else PriorLookup(session, runs=[]))
        # Report URL key → the capture its stored content came from (the latest known).
        self.stored_reports: Recent[str, str | None] = Recent(RECENT)
        # (report URL key, attachment URL key) → the capture its stored analysis came from.
        self.stored_attachments: Recent[tuple[str, str], str | None] = Recent(RECENT)
        # Some stored report or attachment rests on a capture a crash cut off (flagged lost by
        # the repair): the crawl must reach it again, so lists are walked whole this time.
        self.lost_reports = bool(session.scalar(select(exists().where(
            Capture.lost_at.is_not(None),
            or_(Capture.id.in_(select(Report.capture_id)),
                Capture.id.in_(select(Attachment.capture_id)))))))

    def stored_report(self, url: str, capture_id: str | None) -> None:
        """The report at ``url`` (any form) is stored from ``capture_id`` now."""
        self.stored_reports[url_key(url)] = capture_id

    def stored_attachment(self, report_url: str, url: str, capture_id: str | None) -> None:
        self.stored_attachments[(url_key(report_url), url_key(url))] = capture_id

    def report_unchanged(self, url: str, capture_id: str | None) -> bool:
        """The report at ``url`` (any form of it) is stored from exactly this capture."""
        if capture_id is None:
            return False
        key = url_key(url)
        if key not in self.stored_reports:
            with self.session.no_autoflush:
                self.stored_reports[key] = self.session.scalar(
                    select(Report.capture_id).where(Report.url_key == key))
        return self.stored_reports[key] == capture_id

    def attachment_unchanged(self, report_url: str, url: str, capture_id: str | None) -> bool:
        if capture_id is None:
            return False
        key = (url_key(report_url), url_key(url))
        if key not in self.stored_attachments:
            with self.session.no_autoflush:
                self.stored_attachments[key] = self.session.scalar(
                    select(Attachment.capture_id).where(Attachment.report_url == key[0],
                                                        Attachment.url_key == key[1]))
        return self.stored_attachments[key] == capture_id
