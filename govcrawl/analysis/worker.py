"""What the analysis workers run, for the crawl, import and reparse alike: one fetched thing
(page or document) → its ``Analysis``. No Scrapy, no database.

One entry point replaces five (``extract_page``, ``extract_document``, the importer's
``analyse_record``, reparse's ``analyse_capture``, ``analyse_page``), two of which decoded and
parsed the same page twice."""

from __future__ import annotations

from dataclasses import dataclass, field

from govcrawl.analysis.result import Analysis, DocumentInfo
from govcrawl.discovery.titles import is_report_title
from govcrawl.documents import read_document
from govcrawl.documents.route import is_document
from govcrawl.encoding import decode_html
from govcrawl.report.analyse import analyse_page
from govcrawl.report.extract import page_meta, page_title


@dataclass
class AnalysisTask:
    """One page or document to analyse, with what its list said of it."""

    url: str
    body: bytes = field(repr=False)
    content_type: str | None = None
    disposition: str | None = None  # Content-Disposition (a download's file name)
    site_name: str | None = None
    listed_title: str = ""
    listed_date: str = ""  # ISO date printed next to the link in its list
    # True/False when the caller knows; None: decided from URL, headers and magic bytes.
    document: bool | None = None
    # Import: a page is analysed only if its own title is a report title (checked cheaply first,
    # so trafilatura never runs on the ordinary pages of a third-party WARC).
    own_title_required: bool = False


def analyse(task: AnalysisTask) -> Analysis | None:
    """The task's analysis; None only when ``own_title_required`` and the page's own title is
    not a report title."""
    document = task.document
    if document is None:
        document = is_document(task.url, task.content_type, task.disposition, task.body)
    if document:
        return _document(task)
    if task.own_title_required:
        html, _ = decode_html(task.body, task.content_type)
        if not is_report_title(" ".join((page_title(html, page_meta(html)) or "").split())):
            return None
    analysis = Analysis.from_record(analyse_page(
        task.body, task.url, task.content_type, task.site_name, task.listed_title,
        task.listed_date))
    if task.own_title_required and not is_report_title(analysis.title or ""):
        return None
    return analysis


def _document(task: AnalysisTask) -> Analysis:
    """A PDF/Word/spreadsheet read into paragraphs and tables, then analysed as a report page;
    its document flags (needs_ocr …) say how it read."""
    document = read_document(task.body, task.url, task.content_type, task.disposition)
    analysis = Analysis.from_record(analyse_page(
        document.html.encode("utf-8"), task.url, "text/html; charset=utf-8", task.site_name,
        task.listed_title, task.listed_date))
    analysis.document = DocumentInfo(kind=document.kind, pages=document.pages,
                                     title=document.title)
    flags = list(dict.fromkeys([*document.flags, *analysis.flags]))
    if document.flags and "no_text" in flags:
        flags.remove("no_text")  # the document flag says why
    analysis.flags = flags
    return analysis
