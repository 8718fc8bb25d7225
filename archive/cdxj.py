"""CDXJ index of our WARC files, written by cdxj-indexer (the indexer pywb, py-wacz and
ReplayWeb.page share), so the lines are exactly the ones ``cdxj-indexer`` writes.

A line is ``SURT-urlkey 14-digit-timestamp {json}`` with url, mime, status, digest, length,
offset and filename (relative to the WARC folder); lines are sorted. Only response and revisit
records are indexed (revisits with mime ``warc/revisit``, as cdxj-indexer does).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import IO

with warnings.catch_warnings():
    # cdxj-indexer imports pyamf, which imports the deprecated pkg_resources: noise, not a fault.
    warnings.simplefilter("ignore", UserWarning)
    from cdxj_indexer.main import CDXJIndexer

from archive.warc import OPEN_SUFFIX

log = logging.getLogger(__name__)

# Explicit, not cdxj-indexer's default list: importing py-wacz appends "warcinfo" to that list
# process-wide, and we want response/revisit records only (metadata/request are not replayed).
RECORDS = "response,revisit"


class _LineCounter:
    """A text sink that forwards to ``out`` and counts the lines written."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


def write_cdxj(
    warc_files: Sequence[str | os.PathLike[str]],
    out: IO[str] | str | os.PathLike[str],
    *,
    dir_root: str | os.PathLike[str] | None = None,
) -> int:
    """Write the sorted CDXJ index of ``warc_files`` to ``out`` (a text stream or a path);
    returns the number of lines.

    ``filename`` in each line is relative to ``dir_root``, or the file's base name without it
    (its name inside its WARC folder)."""
    if isinstance(out, str | os.PathLike):
        path = Path(out)
        tmp = path.with_name(path.name + ".tmp")
        # Written aside, then renamed: a reader never sees half an index.
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            count = write_cdxj(warc_files, fh, dir_root=dir_root)
        os.replace(tmp, path)
        return count
    sink = _LineCounter(out)
    indexer = CDXJIndexer(
        sink,
        [os.fspath(f) for f in warc_files],
        sort=True,
        records=RECORDS,
        dir_root=os.fspath(dir_root) if dir_root is not None else None,
    )
    indexer.process_all()
    return sink.lines


def closed_warc_files(warc_dir: str | os.PathLike[str]) -> list[Path]:
    """The closed ``*.warc.gz`` files of a folder, sorted; warns about ``.open`` ones (a crawl
    is writing them: their last record may be half written), which are left out."""
    folder = Path(warc_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"no WARC folder at {folder}")
    for partial in sorted(folder.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        log.warning("skipping %s: still being written (a crawl in progress?)", partial.name)
    return sorted(p for p in folder.glob("*.warc.gz") if p.is_file())


def index_warc_dir(warc_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> int:
    """Index every closed WARC file of ``warc_dir`` into the CDXJ file ``out_path``; returns
    the number of lines."""
    return write_cdxj(closed_warc_files(warc_dir), out_path, dir_root=warc_dir)
