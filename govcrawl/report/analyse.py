"""One report page → its research record: text (raw and normalised), fields, format, the standard
tables as tidy cells, key figures, and flags. Pure; runs in the extraction workers and in reparse.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Any

from govcrawl.discovery.titles import is_report_title
from govcrawl.encoding import decode_html
from govcrawl.report.consistency import check_consistency
from govcrawl.report.extract import extract_report, page_text, url_date
from govcrawl.report.fields import read_fields
from govcrawl.report.figures import FIGURE_NAMES
from govcrawl.report.normalize import normalize_text
from govcrawl.report.tables import (
    ParsedTables,
    detect_format,
    key_stats,
    parse_tables_html,
    parse_tables_text,
)
from govcrawl.report.textstats import text_stats

STANDARD_FORMATS = ("std2019", "std2021")
# The key figures, in the order a researcher reads them (export columns); other code imports
# the name from here.
STAT_KEYS = FIGURE_NAMES


def _has_t3(parsed: ParsedTables) -> bool:
    return any(c.table == "T3" for c in parsed.cells)


def _tables(html: str, text: str) -> ParsedTables:
    """The standard tables from the page's HTML, else from tables flattened into the text, else
    from the page's own lines.

    The last step is there because trafilatura, outside a known article container, collapses
    identical short paragraphs ("0", "0 0 0 0 0 0 0"): a table flattened into one cell per
    paragraph then loses cells, and must be read from the markup's lines instead."""
    parsed = parse_tables_html(html)
    if _has_t3(parsed):
        return parsed
    flattened = parse_tables_text(text)
    best = flattened if len(flattened.cells) > len(parsed.cells) else parsed
    unparsed = any("_unparsed" in flag for flag in flattened.flags)
    if unparsed or (not _has_t3(flattened) and "本年新收" in text):
        lines = parse_tables_text(normalize_text(page_text(html)).text)
        if len(lines.cells) > len(best.cells):
            best = lines
    return best


def gap_flags(fmt: str, stats: dict[str, Any], parsed: ParsedTables) -> list[str]:
    """Say why a key figure is missing, so no report lacks one silently."""
    flags = []
    has_t3 = any(c.table == "T3" for c in parsed.cells)
    if fmt in STANDARD_FORMATS and not has_t3 and not any(f.startswith("t3_") for f in parsed.flags):
        flags.append("t3_missing")
    if fmt in STANDARD_FORMATS and "handled_total" not in stats:
        flags.append("no_handled_total: " + ("no application table found" if not has_t3
                                             else "the application table has no (七)总计 row"))
    if "applications_new" not in stats:
        flags.append("no_applications_new: " + ("neither a table nor the text states it" if not has_t3
                                                else "the application table has no 本年新收 row"))
    return flags


def analyse_page(body: bytes, url: str, content_type: str | None = None,
                 site_name: str | None = None, listed_title: str = "",
                 listed_date: str = "") -> dict[str, Any]:
    """The JSON-safe record of one report page (see ``govcrawl.report``).

    When the page shows no report title of its own (a bare heading, a broken page, a
    document), its fields are read with the title the list gave it; with no date of its own,
    the date the list printed next to it is its publication date. Figures in tables win over
    figures in the text."""
    extracted = extract_report(body, url, content_type, site_name)
    if is_report_title(listed_title) and not is_report_title(extracted.title or ""):
        fields = read_fields(listed_title, extracted.text, extracted.meta, site_name)
        extracted = replace(extracted, fields=replace(fields, published=extracted.fields.published or fields.published))
    own = extracted.fields.published
    # The list's date beats one guessed from the URL (an upload path is not a publication date).
    if listed_date and (own is None or own == url_date(url)):
        extracted = replace(extracted, fields=replace(extracted.fields,
                                                      published=date.fromisoformat(listed_date)))
    html, _ = decode_html(body or b"", content_type)
    normalized = normalize_text(extracted.text)
    parsed = _tables(html, normalized.text)
    stats: dict[str, Any] = dict(key_stats(parsed.cells))
    for key, value in text_stats(normalized.text).items():
        stats.setdefault(key, value)
    fmt = detect_format(parsed, extracted.fields.year, normalized.text)
    flags = [*normalized.flags, *parsed.flags, *check_consistency(parsed.cells, stats),
             *gap_flags(fmt, stats, parsed)]
    if not extracted.text:
        flags.insert(0, "no_text")
    record = extracted.to_dict()
    record.update(
        text=normalized.text,
        raw_text=extracted.text,
        format=fmt,
        stats=stats,
        cells=[asdict(cell) for cell in parsed.cells],
        flags=list(dict.fromkeys(flags)),
    )
    return record
