"""``govcrawl history URL``: the versions of one report and a text diff between them."""

from __future__ import annotations

import difflib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db import aware
from archive.models import Capture, Report
from govcrawl.identity import url_key


def _stamp(moment: datetime) -> str:
    return aware(moment).strftime("%Y-%m-%d %H:%M:%S")


def history_lines(session: Session, url: str, context: int = 1) -> list[str] | None:
    """One line per version (when first and last seen, its WARC record), then the unified diff of
    each version's text against the one before. None when the URL (any form of it: http or
    https, with or without its default port) is not a stored report."""
    report = session.scalar(select(Report).where(Report.url_key == url_key(url)))
    if report is None:
        return None
    lines = [f"{report.title or report.listed_title or url}", report.url,
             f"{len(report.versions)} version(s); first seen {_stamp(report.first_seen)}, "
             f"last seen {_stamp(report.last_seen)}"]
    versions = sorted(report.versions, key=lambda v: (_stamp(v.seen_at), v.id))
    for n, version in enumerate(versions, 1):
        capture = session.get(Capture, version.capture_id) if version.capture_id else None
        where = f"{capture.warc_file}:{capture.warc_offset}" if capture else "no capture"
        lines.append(f"  v{n}  {_stamp(version.seen_at)} … {_stamp(version.last_seen_at)}  "
                     f"{len(version.text)} chars  {where}")
    for n in range(1, len(versions)):
        old, new = versions[n - 1], versions[n]
        lines.append("")
        lines.extend(difflib.unified_diff(
            old.text.splitlines(), new.text.splitlines(), fromfile=f"v{n} {_stamp(old.seen_at)}",
            tofile=f"v{n + 1} {_stamp(new.seen_at)}", n=context, lineterm=""))
    return lines
