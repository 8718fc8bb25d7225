"""Reports published as attachments: documents rendered from generated reports, the real
洪泽区 2023 sample, and the page bodies that link them.

Rendering goes through :mod:`simweb.documents`; here the results are made
deterministic (fixed PDF dates and ids, fixed ZIP member times and OOXML core dates: the same
build gives the same bytes, so the same ETags) and cached per process (the writers take a
while, and tests build the test web many times).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources

from .content import Cell, Composed, Table, esc, heading, para

__all__ = [
    "MIME",
    "OCTET_STREAM",
    "sample_document",
    "pdf_document",
    "docx_document",
    "xlsx_document",
    "upload_path",
    "link_line",
    "narrative_html",
]

MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OCTET_STREAM = "application/octet-stream"

_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate) ?\(D:)(\d{14})")
_OOXML_DATE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_Frozen = tuple[tuple[tuple[Cell, ...], ...], ...]


def sample_document(name: str) -> bytes:
    """A real document bundled in ``simweb/documents_data`` (package data)."""
    return resources.files("simweb").joinpath("documents_data", name).read_bytes()


def pdf_document(
    title: str,
    paragraphs: Sequence[str],
    tables: Sequence[Table] = (),
    *,
    when: dt.datetime,
    scanned: bool = False,
) -> bytes:
    """A report PDF (text layer, or page images only when ``scanned``) dated ``when``."""
    return _render("pdf", title, tuple(paragraphs), _freeze(tables), when, scanned)


def docx_document(
    title: str, paragraphs: Sequence[str], tables: Sequence[Table] = (), *, when: dt.datetime
) -> bytes:
    """A report DOCX dated ``when``."""
    return _render("docx", title, tuple(paragraphs), _freeze(tables), when, False)


def xlsx_document(title: str, tables: Sequence[Table], *, when: dt.datetime) -> bytes:
    """A workbook of ``tables`` (one sheet each, ``title`` on top) dated ``when``."""
    return _render("xlsx", title, (), _freeze(tables), when, False)


def _freeze(tables: Sequence[Table]) -> _Frozen:
    return tuple(tuple(tuple(row) for row in table) for table in tables)


@cache
def _render(
    kind: str,
    title: str,
    paragraphs: tuple[str, ...],
    tables: _Frozen,
    when: dt.datetime,
    scanned: bool,
) -> bytes:
    from . import documents

    grids: list[Table] = [[list(row) for row in table] for table in tables]
    if kind == "pdf":
        with _invariant_reportlab():
            body = documents.report_pdf(title, list(paragraphs), grids, scanned=scanned)
        return _stable_pdf(body, when)
    if kind == "docx":
        return _stable_zip(documents.report_docx(title, list(paragraphs), grids), when)
    return _stable_zip(documents.report_xlsx(title, grids), when)


@contextlib.contextmanager
def _invariant_reportlab() -> Iterator[None]:
    """reportlab without its time-based document id and dates."""
    from reportlab import rl_config

    before = rl_config.invariant
    rl_config.invariant = 1
    try:
        yield
    finally:
        rl_config.invariant = before


def _stable_pdf(body: bytes, when: dt.datetime) -> bytes:
    """Creation/modification dates set to ``when`` (same length: offsets stay valid)."""
    stamp = when.strftime("%Y%m%d%H%M%S").encode()
    return _PDF_DATE.sub(lambda m: m.group(1) + stamp, body)


def _stable_zip(body: bytes, when: dt.datetime) -> bytes:
    """The OOXML package re-zipped with member times and core dates set to ``when``."""
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = _OOXML_DATE.sub(iso, data)
            member = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, data, compresslevel=6)
    return out.getvalue()


# ------------------------------------------------------------------------------ page bodies
def upload_path(when: dt.datetime, n: int, ext: str) -> str:
    """Where a CMS stores an upload: ``/uploadfiles/2023/01/20230128093015042.pdf``."""
    return f"/uploadfiles/{when:%Y}/{when:%m}/{when:%Y%m%d%H%M%S}{n:03d}.{ext}"


def link_line(lead: str, href: str, text: str) -> str:
    """One paragraph such as ``点击下载：<a href="…">xxx年度报告.docx</a>``."""
    return (
        f'<p style="text-indent:2em;">{esc(lead)}'
        f'<a href="{esc(href)}" target="_blank">{esc(text)}</a></p>'
    )


def narrative_html(composed: Composed, tables_line: str) -> str:
    """The report page without sections 二–四 (the tables): ``tables_line`` (which links the
    workbook holding them) stands where they were."""
    out: list[str] = []
    skipping = False
    for kind, value in composed.blocks:
        if not isinstance(value, str):
            continue
        if kind == "h":
            skipping = value.startswith(("二、", "三、", "四、"))
            if value.startswith("二、"):
                out.append(tables_line)
            if not skipping:
                out.append(heading(value))
        elif kind == "right":
            out.append(f'<p style="text-align:right;">{esc(value)}</p>')
        elif not skipping:
            out.append(para(value))
    return "\n".join(out)
