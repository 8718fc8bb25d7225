"""Package the WARC folder as a WACZ 1.1.1 file (what ReplayWeb.page and pywb open).

py-wacz (the reference implementation) does the packaging: WARCs STORED under ``archive/``, the
compressed CDXJ index ``indexes/index.cdx.gz`` with its ``indexes/index.idx``, ``datapackage.json``
with a sha256 hash per file and ``datapackage-digest.json``. We hand it ``pages/pages.jsonl``:
one page per report, from the database, checked against the WARC record it names.

py-wacz runs in a child interpreter: importing it changes cdxj-indexer's defaults process-wide
and it prints progress to stdout.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archive.cdxj import closed_warc_files
from archive.db import session_factory
from archive.models import Capture, Report

log = logging.getLogger(__name__)

# ``python -m wacz`` always exits 0 (its __main__ drops main()'s result): call main() ourselves.
_RUN_WACZ = "import sys; from wacz.main import main; sys.exit(main(sys.argv[1:]))"


class WaczError(RuntimeError):
    """py-wacz refused to package the archive; the message carries its output."""


@dataclass
class WaczSummary:
    """What ``write_wacz`` packaged."""

    path: str
    warc_files: list[str]  # base names, as stored under archive/ in the WACZ
    pages: int  # entries of pages/pages.jsonl (one per report)
    size: int  # bytes of the WACZ file
    seconds: float
    skipped_open: list[str] = field(default_factory=list)  # .open files left out
    skipped_reports: list[str] = field(default_factory=list)  # "url: why" (no record to replay)


@dataclass(frozen=True)
class Page:
    """One pages.jsonl entry."""

    id: str
    url: str
    ts: str  # ISO 8601, UTC, seconds (the CDXJ timestamp's precision)
    title: str

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "url": self.url, "ts": self.ts, "title": self.title},
                          ensure_ascii=False)


def _record_header(path: Path, offset: int) -> tuple[str, str, str] | None:
    """(type, target URI, WARC-Date) of the record at ``offset``, None if there is none."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)), None)
    except (OSError, ValueError, EOFError, ArchiveLoadFailed) as exc:
        log.debug("no record at %s:%d: %s", path, offset, exc)
        return None
    if record is None:
        return None
    headers = record.rec_headers
    return (record.rec_type, headers.get_header("WARC-Target-URI") or "",
            headers.get_header("WARC-Date") or "")


def _iso_seconds(warc_date: str) -> str:
    moment = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_pages(db_url: str, warc_files: list[Path]) -> tuple[list[Page], list[str]]:
    """One page per report whose capture record is in ``warc_files`` (matched by file name, so
    a moved WARC folder still matches); returns the pages and the skipped reports as
    ``"url: why"``."""
    by_name = {p.name: p for p in warc_files}
    pages: list[Page] = []
    skipped: list[str] = []
    query = (select(Report.id, Report.url, Report.title, Report.listed_title,
                    Capture.warc_file, Capture.warc_offset)
             .join(Capture, Capture.id == Report.capture_id, isouter=True)
             .order_by(Report.id))
    with session_factory(db_url)() as session:
        rows = session.execute(query).all()
    for report_id, url, title, listed_title, warc_file, offset in rows:
        if warc_file is None:
            skipped.append(f"{url}: no capture")
            continue
        path = by_name.get(Path(warc_file).name)
        if path is None:
            skipped.append(f"{url}: its WARC file {Path(warc_file).name} is not packaged")
            continue
        header = _record_header(path, offset)
        if header is None or header[0] not in ("response", "revisit"):
            skipped.append(f"{url}: no response record at {path.name}:{offset}")
            continue
        _, target, date = header
        # The page must name the archived URL, or the replay finds nothing at its timestamp.
        pages.append(Page(f"report-{report_id}", target or url, _iso_seconds(date),
                          title or listed_title or url))
    return pages, skipped


def write_pages_jsonl(pages: list[Page], out: Path, *, title: str = "Annual reports") -> None:
    """pages.jsonl: the json-pages-1.0 header line, then one line per page."""
    header = {"format": "json-pages-1.0", "id": "pages", "title": title}
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for page in pages:
            fh.write(page.to_json() + "\n")


def write_wacz(db_url: str, warc_dir: str, out_path: str, *, title: str | None = None) -> WaczSummary:
    """Package every closed ``*.warc.gz`` of ``warc_dir`` (``.open`` files skipped with a
    warning) with its CDXJ index and the report pages as the WACZ file ``out_path``.

    Reports whose capture record is not in those files are left out of pages.jsonl with a
    warning (listed in the summary). Raises ValueError when there is no closed WARC file,
    WaczError when py-wacz fails."""
    started = time.monotonic()
    folder = Path(warc_dir)
    open_files = sorted(p.name for p in folder.glob("*.warc.gz.open")) if folder.is_dir() else []
    warcs = closed_warc_files(folder)
    if not warcs:
        raise ValueError(f"no closed WARC files (*.warc.gz) in {folder}")
    pages, skipped = report_pages(db_url, warcs)
    for line in skipped:
        log.warning("report left out of pages.jsonl: %s", line)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed: an interrupted run leaves no truncated WACZ under the real name.
    partial = out.with_name(out.name + ".part")
    with tempfile.TemporaryDirectory() as tmp:
        pages_file = Path(tmp) / "pages.jsonl"
        write_pages_jsonl(pages, pages_file, title=title or "Annual reports")
        command = [sys.executable, "-c", _RUN_WACZ, "create", "-o", str(partial),
                   "--hash-type", "sha256",
                   # Copied as written: py-wacz's own matching would drop or retime pages.
                   "--pages", str(pages_file), "--copy-pages",
                   *(["--title", title] if title else []),
                   *[str(p) for p in warcs]]
        proc = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        raise WaczError(f"py-wacz failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    os.replace(partial, out)
    return WaczSummary(
        path=str(out), warc_files=[p.name for p in warcs], pages=len(pages),
        size=out.stat().st_size, seconds=time.monotonic() - started,
        skipped_open=open_files, skipped_reports=skipped)
