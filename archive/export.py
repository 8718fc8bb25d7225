"""Export reports as JSONL or CSV, each with a pointer back to its archived WARC record.

One record per report (per URL key): ``url`` is the URL it was last fetched under (its
capture's), ``urls`` every URL it was seen under (portals link one page over http and https,
with and without ``:80``; CSV joins them with spaces), ``url_key`` its identity.

CSV cells that a spreadsheet would read as a formula (text starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return: titles, agencies, cell labels and values as printed all come
from the pages) get a leading ``'`` (OWASP's CSV-injection advice), so opening the export in
Excel or WPS runs nothing (review M5). Numbers stay numbers; JSONL is data, not a sheet, and is
written as stored."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from archive.db import aware
from archive.models import Attachment, Capture, Report
from govcrawl.report.figures import FIGURE_NAMES as STAT_KEYS

FORMATS = ("jsonl", "csv", "cells")
CSV_COLUMNS = (
    "url", "urls", "url_key", "title", "year", "region", "admin_level", "agency", "issuer", "published", "format",
    "source", "archived_at",
    *STAT_KEYS, "site", "warc_file", "warc_offset", "warc_length", "payload_digest", "fetched_at",
    "first_seen", "last_seen", "flags", "attachments", "text",
)
CELL_COLUMNS = ("url", "year", "region", "admin_level", "agency", "table", "row", "column", "label",
                "value_text", "value")


def _iso(value: Any) -> str | None:
    # SQLite gives back naive datetimes; every one stored is UTC, so say so (as PostgreSQL does).
    if isinstance(value, datetime):
        value = aware(value)
    return value.isoformat() if value is not None else None


def _capture(c: Capture | None, cwd: str | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "warc_file": os.path.relpath(c.warc_file, cwd or os.getcwd()),
        "offset": c.warc_offset,
        "length": c.warc_length,
        "digest": c.payload_digest,
        "fetched_at": _iso(c.fetched_at),
        "status": c.status,
        "record_id": c.id,
    }


def report_record(report: Report, cwd: str | None = None) -> dict[str, Any]:
    """One report as a JSON-safe dict; ``capture.warc_file`` opens from ``cwd``."""
    capture = _capture(report.capture, cwd)
    attachments = [
        {"url": a.url, "link_text": a.link_text, "content_type": a.content_type, "kind": a.kind,
         "pages": a.pages, "flags": a.flags or [], "capture": _capture(a.capture, cwd)}
        for a in report.attachments
    ]
    c = report.capture
    return {
        "url": report.url,
        "urls": [u.url for u in report.urls] or [report.url],
        "url_key": report.url_key,
        "source": c.source if c is not None else None,
        "archived_at": _iso(c.archived_at) if c is not None else None,
        "archive_url": c.archive_url if c is not None else None,
        "title": report.title,
        "year": report.year,
        "region": report.region,
        "admin_level": report.admin_level,
        "agency": report.agency,
        "issuer": report.issuer,
        "published": _iso(report.published),
        "format": report.format,
        "site": report.site.name if report.site else None,
        "text": report.text,
        "stats": report.stats or {},
        "tables": [
            {"table": c.table, "row": c.row, "column": c.column, "label": c.label,
             "text": c.value_text, "value": c.value}
            for c in report.cells
        ],
        "flags": report.flags or [],
        "first_seen": _iso(report.first_seen),
        "last_seen": _iso(report.last_seen),
        "capture": capture,
        "attachments": attachments,
    }


def iter_reports(session: Session) -> Iterator[Report]:
    query = (select(Report).options(selectinload(Report.capture), selectinload(Report.site),
                                    selectinload(Report.cells), selectinload(Report.urls),
                                    selectinload(Report.attachments).selectinload(Attachment.capture))
             .order_by(Report.region, Report.year, Report.url))
    yield from session.scalars(query.execution_options(yield_per=500))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_safe(value: Any) -> Any:
    """``value`` as a spreadsheet shows it, not runs it: text that would start a formula gets
    a leading ``'``; anything else (numbers, None, other text) is returned as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _SafeWriter(csv.DictWriter):  # type: ignore[type-arg]
    """A DictWriter whose text cells are ``sheet_safe``."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: sheet_safe(v) for k, v in rowdict.items()})


def export(session: Session, fmt: str, out: IO[str], *, sheet_safe_csv: bool = True) -> int:
    """Write every report to ``out`` in ``fmt``; returns how many. ``sheet_safe_csv``: CSV text
    that would start a spreadsheet formula is prefixed with ``'`` (see the module docstring)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (choose {', '.join(FORMATS)})")
    count = 0
    writer = None
    if fmt in ("csv", "cells"):
        kind = _SafeWriter if sheet_safe_csv else csv.DictWriter
        writer = kind(out, fieldnames=CSV_COLUMNS if fmt == "csv" else CELL_COLUMNS)
        writer.writeheader()
    for report in iter_reports(session):
        record = report_record(report)
        if writer is None:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif fmt == "cells":
            who = {k: record[k] for k in ("url", "year", "region", "admin_level", "agency")}
            for cell in record["tables"]:
                writer.writerow(who | {"table": cell["table"], "row": cell["row"], "column": cell["column"],
                                       "label": cell["label"], "value_text": cell["text"], "value": cell["value"]})
        else:
            capture = record.pop("capture") or {}
            stats = record.pop("stats")
            row = {k: v for k, v in record.items() if k in CSV_COLUMNS}
            row |= {key: stats.get(key) for key in STAT_KEYS}
            row["flags"] = ";".join(map(str, record["flags"]))
            row["attachments"] = " ".join(a["url"] for a in record["attachments"])
            row["urls"] = " ".join(record["urls"])
            row |= {
                "warc_file": capture.get("warc_file"),
                "warc_offset": capture.get("offset"),
                "warc_length": capture.get("length"),
                "payload_digest": capture.get("digest"),
                "fetched_at": capture.get("fetched_at"),
            }
            writer.writerow(row)
        count += 1
    return count
