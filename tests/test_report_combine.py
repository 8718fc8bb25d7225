"""Combining a report page with its attachments (pure)."""

from __future__ import annotations

from govcrawl.report.combine import Part, combine

T3 = [{"table": "T3", "row": "new", "column": "total", "text": "21", "value": 21.0}]


def test_tables_from_the_attachment_when_the_page_has_none() -> None:
    page = Part("p", text="一、总体情况 " * 40, format="std2021", stats={"proactive_disclosures": 9},
                flags=["t3_missing", "no_handled_total: no application table found", "mojibake_repaired"])
    sheet = Part("a.xlsx", text="表", format="std2021", cells=T3,
                 stats={"applications_new": 21, "proactive_disclosures": 7},
                 flags=["t3_balance: 21+0 != 20+0"])
    out = combine(page, [sheet])
    assert out.tables_from == "a.xlsx" and out.cells == T3
    # Table figures from the attachment; the page's own text figures win over the attachment's.
    assert out.stats == {"applications_new": 21, "proactive_disclosures": 9}
    assert out.flags == ["mojibake_repaired", "t3_balance: 21+0 != 20+0"]
    assert out.text == page.text


def test_page_and_attachment_tables_disagree() -> None:
    page = Part("p", text="x" * 300, cells=T3, stats={"applications_new": 21, "handled_total": 21})
    pdf = Part("a.pdf", text="y", cells=T3, stats={"applications_new": 24, "handled_total": 21.0})
    out = combine(page, [pdf])
    assert out.tables_from == "p" and out.stats["applications_new"] == 21
    assert out.flags == ["page_attachment_disagree: applications_new 21 != 24 (a.pdf)"]


def test_a_page_that_points_to_its_document_takes_the_documents_text() -> None:
    page = Part("p", text="首页 政务公开 详见附件：年度报告.pdf 版权所有 " * 5)
    pdf = Part("a.pdf", text="一、总体情况 " * 200, flags=["needs_ocr_pages: 1/9"])
    out = combine(page, [pdf])
    assert out.text == pdf.text and out.flags == ["needs_ocr_pages: 1/9"]


def test_no_attachments_is_the_page_itself() -> None:
    page = Part("p", text="t", format="pre2019", stats={"applications_new": 0}, flags=["f"])
    out = combine(page, [])
    assert (out.text, out.format, out.stats, out.flags, out.tables_from) == (
        "t", "pre2019", {"applications_new": 0}, ["f"], None)
