"""What the extraction worker processes run (the crawl's pipeline, reparse and import share it):
one page or document → its JSON-safe research record. No Scrapy here."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

from govcrawl.documents import read_document
from govcrawl.documents.limits import limit_resources
from govcrawl.report.analyse import analyse_page


def extract_page(body: bytes, url: str, content_type: str | None, site_name: str | None,
                 listed_title: str = "", listed_date: str = "") -> dict[str, Any]:
    """Worker-side: the JSON-safe record of one report page (``govcrawl.report.analyse``)."""
    return analyse_page(body, url, content_type, site_name, listed_title, listed_date)


def extract_document(body: bytes, url: str, content_type: str | None, disposition: str | None,
                     site_name: str | None, listed_title: str = "", listed_date: str = "",
                     ) -> dict[str, Any]:
    """Worker-side: a PDF/Word/spreadsheet read into paragraphs and tables, then analysed as a
    report page; ``document`` says what it was and how it read."""
    document = read_document(body, url, content_type, disposition)
    record = analyse_page(document.html.encode("utf-8"), url, "text/html; charset=utf-8",
                          site_name, listed_title, listed_date)
    record["document"] = {"kind": document.kind, "pages": document.pages, "title": document.title}
    record["flags"] = list(dict.fromkeys([*document.flags, *record.get("flags", [])]))
    if document.flags and "no_text" in record["flags"]:
        record["flags"].remove("no_text")  # the document flag says why
    return record


def limited_worker(memory_mb: int) -> None:
    """Pool initializer: a worker may not grow past ``memory_mb`` (a PDF bomb fails alone)."""
    if memory_mb > 0:
        limit_resources(memory_mb)


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, workers included (a stuck worker never returns by itself)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
