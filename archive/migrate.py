"""The data migration to URL identity: rows an older version wrote get their URL keys, and the
reports it kept once per URL form (``https://…`` and ``http://…``, ``http://host:80/…``) are
merged into one report per key. Runs when the archive is opened (``archive.db.connect``), in the
transaction that upgrades the schema, before the unique index on ``reports.url_key`` is made.

Merging the reports that share a key keeps one row: the one seen last (its content, its URL as
the report's ``url``), with the earliest first-seen time of them all. The others' versions move
to it (a version whose text the kept report has already is folded into that one), their URLs
become its ``report_urls``, their attachments become its attachments, their cells go (the kept
content's cells stay). Captures are never deleted: the WARC records and their rows stay, and
the versions that moved keep pointing at them.

Idempotent and resumable: only rows without a key are touched, so a migration cut short (or
rows written later by an older version) is finished by the next open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from archive.db import aware, text_digest
from archive.models import Attachment, Capture, Report, ReportCell, ReportUrl, ReportVersion
from govcrawl.identity import url_key

__all__ = ["MigrationResult", "migrate_url_identity", "needs_url_identity"]

# Rows read and written per statement: bounded memory, and SQLite's variable limit far away.
BATCH = 5000
_CHUNK = 500  # keys per IN (…)


@dataclass
class MigrationResult:
    """What one migration did (for the log and the tests)."""

    captures_keyed: int = 0
    reports_keyed: int = 0
    reports_merged: int = 0  # rows folded into another report of the same key
    attachments_keyed: int = 0
    attachments_merged: int = 0
    merged_keys: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.captures_keyed or self.reports_keyed or self.attachments_keyed)


def needs_url_identity(conn: Connection) -> bool:
    """Some capture or report has no key yet (cheap once the keys' indexes exist)."""
    for column in (Capture.__table__.c.url_key, Report.__table__.c.url_key):
        if conn.execute(select(column.table.c.id).where(column.is_(None)).limit(1)).first():
            return True
    return False


def migrate_url_identity(conn: Connection) -> MigrationResult:
    """Key every unkeyed capture, report and attachment; merge the reports (and attachments)
    that share a key. In ``conn``'s transaction."""
    result = MigrationResult()
    result.captures_keyed = _key_captures(conn)
    _key_reports(conn, result)
    _key_attachments(conn, result)
    return result


# -- captures ----------------------------------------------------------------------------------
def _key_captures(conn: Connection) -> int:
    """Batches in primary-key order (no index on the new column is needed to find them)."""
    table = Capture.__table__
    keyed, after = 0, ""
    set_key = (update(table).where(table.c.id == bindparam("_id"))
               .values(url_key=bindparam("_key")))
    while True:
        rows = conn.execute(select(table.c.id, table.c.url)
                            .where(table.c.id > after, table.c.url_key.is_(None))
                            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return keyed
        conn.execute(set_key, [{"_id": row.id, "_key": url_key(row.url)} for row in rows])
        keyed += len(rows)
        after = rows[-1].id


# -- reports -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Row:
    id: int
    url: str
    url_key: str | None
    first_seen: datetime
    last_seen: datetime


def _key_reports(conn: Connection, result: MigrationResult) -> None:
    table = Report.__table__
    columns = (table.c.id, table.c.url, table.c.url_key, table.c.first_seen, table.c.last_seen)
    unkeyed = [_Row(*row) for row in conn.execute(select(*columns).where(table.c.url_key.is_(None)))]
    if not unkeyed:
        return
    groups: dict[str, list[_Row]] = defaultdict(list)
    for row in unkeyed:
        groups[url_key(row.url)].append(row)
    for chunk in _chunks(sorted(groups)):  # reports already keyed that an unkeyed one joins
        for row in conn.execute(select(*columns).where(table.c.url_key.in_(chunk))):
            groups[row.url_key].append(_Row(*row))
    alone = [(key, rows[0]) for key, rows in groups.items() if len(rows) == 1]
    # Most reports have one form only: keyed, and given their URL, in batches.
    for start in range(0, len(alone), BATCH):
        batch = alone[start:start + BATCH]
        conn.execute(update(table).where(table.c.id == bindparam("_id"))
                     .values(url_key=bindparam("_key")),
                     [{"_id": row.id, "_key": key} for key, row in batch])
        conn.execute(insert(ReportUrl.__table__), [
            {"report_id": row.id, "url": row.url, "first_seen": aware(row.first_seen),
             "last_seen": aware(row.last_seen)} for _, row in batch])
    result.reports_keyed += len(alone)
    for key, rows in groups.items():
        if len(rows) == 1:
            continue
        kept = max(rows, key=lambda r: (aware(r.last_seen), r.id))
        others = [r for r in rows if r is not kept]
        _merge_reports(conn, kept, others)
        result.reports_merged += len(others)
        result.merged_keys.append(key)
        first_seen = min(aware(r.first_seen) for r in rows)
        conn.execute(update(table).where(table.c.id == kept.id)
                     .values(url_key=key, first_seen=first_seen))
        for row in rows:
            _note_url(conn, kept.id, row.url, aware(row.first_seen), aware(row.last_seen))
        result.reports_keyed += sum(r.url_key is None for r in rows)


def _merge_reports(conn: Connection, kept: _Row, others: Sequence[_Row]) -> None:
    """Fold ``others`` into ``kept`` (see the module): versions, URLs; cells and rows go."""
    versions = ReportVersion.__table__
    other_ids = [r.id for r in others]
    own = conn.execute(select(versions.c.id, versions.c.text_digest, versions.c.seen_at,
                              versions.c.last_seen_at)
                       .where(versions.c.report_id == kept.id).order_by(versions.c.id)).all()
    latest = own[-1].id if own else None
    if latest is None:
        latest = _baseline_version(conn, kept.id)
    spans = {row.text_digest: (row.id, aware(row.seen_at), aware(row.last_seen_at))
             for row in own}
    moved = conn.execute(select(versions.c.id, versions.c.text_digest, versions.c.seen_at,
                                versions.c.last_seen_at)
                         .where(versions.c.report_id.in_(other_ids)).order_by(versions.c.id)).all()
    kept_moved = []
    for version in moved:
        seen, last = aware(version.seen_at), aware(version.last_seen_at)
        same = spans.get(version.text_digest)
        if same is None:
            conn.execute(update(versions).where(versions.c.id == version.id)
                         .values(report_id=kept.id))
            spans[version.text_digest] = (version.id, seen, last)
            kept_moved.append(version.id)
            continue
        # A text the kept report has already: one version, seen over both spans.
        same_id, same_seen, same_last = same
        spans[version.text_digest] = (same_id, min(same_seen, seen), max(same_last, last))
        conn.execute(update(versions).where(versions.c.id == same_id).values(
            seen_at=min(same_seen, seen), last_seen_at=max(same_last, last)))
        conn.execute(delete(versions).where(versions.c.id == version.id))
    if latest is not None and any(moved_id > latest for moved_id in kept_moved):
        _renumber_last(conn, latest)
    urls = ReportUrl.__table__
    for alias in conn.execute(select(urls).where(urls.c.report_id.in_(other_ids))).all():
        conn.execute(delete(urls).where(urls.c.id == alias.id))
        _note_url(conn, kept.id, alias.url, aware(alias.first_seen), aware(alias.last_seen))
    conn.execute(delete(ReportCell.__table__).where(ReportCell.__table__.c.report_id.in_(other_ids)))
    conn.execute(delete(Report.__table__).where(Report.__table__.c.id.in_(other_ids)))


def _baseline_version(conn: Connection, report_id: int) -> int | None:
    """A report stored before versions were kept gets its content as a version (as
    ``archive.db.baseline_version`` does), so the content stays the latest one."""
    table = Report.__table__
    row = conn.execute(select(table.c.text, table.c.capture_id, table.c.first_seen,
                              table.c.last_seen).where(table.c.id == report_id)).first()
    if row is None or not row.text:
        return None
    inserted = conn.execute(insert(ReportVersion.__table__).values(
        report_id=report_id, capture_id=row.capture_id, payload_digest=None,
        text_digest=text_digest(row.text), text=row.text, seen_at=row.first_seen,
        last_seen_at=row.last_seen))
    return int(inserted.inserted_primary_key[0])


def _renumber_last(conn: Connection, version_id: int) -> None:
    """Give the kept content's version the highest id again (versions are read in id order, the
    last being the report's current text): a copy under a new id replaces it."""
    table = ReportVersion.__table__
    row = conn.execute(select(table).where(table.c.id == version_id)).mappings().one()
    values: dict[str, Any] = {k: v for k, v in row.items() if k != "id"}
    conn.execute(delete(table).where(table.c.id == version_id))
    conn.execute(insert(table).values(**values))


def _note_url(conn: Connection, report_id: int, url: str, first_seen: datetime,
              last_seen: datetime) -> None:
    """A ``report_urls`` row for (report, url), or its times widened when there is one."""
    table = ReportUrl.__table__
    row = conn.execute(select(table.c.id, table.c.first_seen, table.c.last_seen).where(
        table.c.report_id == report_id, table.c.url == url)).first()
    if row is None:
        conn.execute(insert(table).values(report_id=report_id, url=url, first_seen=first_seen,
                                          last_seen=last_seen))
        return
    conn.execute(update(table).where(table.c.id == row.id).values(
        first_seen=min(aware(row.first_seen), first_seen),
        last_seen=max(aware(row.last_seen), last_seen)))


# -- attachments -------------------------------------------------------------------------------
def _key_attachments(conn: Connection, result: MigrationResult) -> None:
    """An older version's rows name their report by one form of its URL: they get the report's
    key (merged reports' documents become the kept one's) and their own; two rows for one
    document of one report become the one seen last."""
    table = Attachment.__table__
    columns = (table.c.id, table.c.report_url, table.c.url, table.c.url_key, table.c.first_seen,
               table.c.last_seen)
    unkeyed = conn.execute(select(*columns).where(table.c.url_key.is_(None))).all()
    if not unkeyed:
        return
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in unkeyed:
        groups[(url_key(row.report_url), url_key(row.url))].append(row)
    report_keys = sorted({report for report, _ in groups})
    for chunk in _chunks(report_keys):
        for row in conn.execute(select(*columns).where(table.c.report_url.in_(chunk),
                                                       table.c.url_key.is_not(None))):
            if (row.report_url, row.url_key) in groups:
                groups[(row.report_url, row.url_key)].append(row)
    for (report, document), rows in groups.items():
        kept = max(rows, key=lambda r: (aware(r.last_seen), r.id))
        others = [r.id for r in rows if r is not kept]
        if others:  # first: the kept row's new (report_url, url) may be one of theirs
            conn.execute(delete(table).where(table.c.id.in_(others)))
            result.attachments_merged += len(others)
        conn.execute(update(table).where(table.c.id == kept.id).values(
            report_url=report, url_key=document,
            first_seen=min(aware(r.first_seen) for r in rows)))
        result.attachments_keyed += sum(r.url_key is None for r in rows)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]
