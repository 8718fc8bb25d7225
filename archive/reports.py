"""A report's parts (its page and its attachments) combined into its columns (used by
``archive.store.ReportStore``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import db
from archive.models import Report, ReportCell
from govcrawl.report.combine import Part, combine


def page_part(session: Session, report: Report) -> Part:
    """The report page's own analysis. Kept in ``page_part`` only once the report has
    attachments; until then it is the report's own columns and cells, read from them here (and
    kept, since combining overwrites them)."""
    if report.page_part is not None:
        return Part.from_dict(report.page_part)
    cells = [{"table": c.table, "row": c.row, "column": c.column, "label": c.label,
              "text": c.value_text, "value": c.value}
             for c in session.scalars(select(ReportCell).where(ReportCell.report_id == report.id)
                                      .order_by(ReportCell.id))]
    part = Part(url=report.url, text=report.text or "", format=report.format,
                stats=dict(report.stats or {}), cells=cells, flags=list(report.flags or []))
    report.page_part = part.to_dict()
    return part


def apply_combined(session: Session, report: Report) -> None:
    """Set the report's text, figures, cells and flags from its page and its attachments."""
    page = page_part(session, report)
    attachments = [Part.from_dict(a.part | {"url": a.url, "flags": a.flags})
                   for a in db.attachments_of(session, report.url)]
    combined = combine(page, attachments)
    report.text, report.format = combined.text, combined.format
    report.stats, report.flags = combined.stats, combined.flags
    db.set_cells(session, report, combined.cells)
