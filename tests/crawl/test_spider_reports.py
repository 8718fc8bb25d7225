"""The spider's parse_report and parse_attachment: items from the meta the lists gave, documents,
attachments, and what is skipped when nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request

from archive import db
from archive.models import Attachment, Report
from govcrawl.discovery.plan import Role
from govcrawl.items import AttachmentDoc, ReportPage, ReportSeen
from govcrawl.meta import StepMeta
from tests.crawl.helpers import (
    LUEYANG,
    earlier_crawl,
    fixture_page,
    html_response,
    make_crawler,
    make_spider,
    response,
    spider_request,
    store_rows,
)

REPORT = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html"
PDF = "http://www.lueyang.gov.cn/uploadfiles/2023/01/20230128093011.pdf"
TITLE = "略阳县2022年政府信息公开工作年度报告"
ARTICLE = "<p>根据《中华人民共和国政府信息公开条例》，现公布本年度报告。</p>" * 40
PAGE = f"<html><head><title>{TITLE}</title></head><body><div id='zoom'>{ARTICLE}</div></body></html>"


def _with_links(*links: str) -> str:
    anchors = "".join(f"<p>{link}</p>" for link in links)
    return f"<html><body><div id='zoom'>{ARTICLE}{anchors}</div></body></html>"


def _report_request(url: str = REPORT, **meta) -> Request:
    return spider_request(url, LUEYANG, Role.REPORT, text=TITLE, site_name="略阳县", **meta)


@pytest.fixture
def spider(tmp_path: Path):
    return make_spider(make_crawler(tmp_path), site=LUEYANG)


def test_report_page_becomes_a_report_page_item_with_the_lists_title_and_date(spider) -> None:
    request = _report_request(listed_date="2023-01-28", capture_id="<urn:uuid:1>",
                              payload_digest="sha1:ABC")
    before = datetime.now(UTC)
    (item,) = spider.parse_report(html_response(REPORT, PAGE, request=request))
    assert isinstance(item, ReportPage)
    assert (item.url, item.site_url, item.site_name, item.listed_title, item.listed_date) == (
        REPORT, LUEYANG, "略阳县", TITLE, "2023-01-28")
    assert (item.capture_id, item.payload_digest) == ("<urn:uuid:1>", "sha1:ABC")
    assert item.body == PAGE.encode() and item.content_type == "text/html; charset=utf-8"
    assert (item.document, item.source, item.flags, item.disposition) == (False, "live", [], None)
    assert before <= item.fetched_at <= datetime.now(UTC)


def test_pdf_body_is_a_document_report_not_searched_for_attachments(spider) -> None:
    body = fixture_page("documents/hongze_qu_2023_report.pdf")
    headers = {"Content-Type": "application/pdf",
               "Content-Disposition": 'attachment; filename="report.pdf"'}
    (item,) = spider.parse_report(response(PDF, body, headers=headers,
                                           request=_report_request(PDF)))
    assert isinstance(item, ReportPage) and item.document and item.body == body
    assert item.disposition == 'attachment; filename="report.pdf"'


def test_document_is_recognised_by_its_bytes_behind_a_script_url(spider) -> None:
    url = "http://www.lueyang.gov.cn/getfile.jsp?id=7"
    body = fixture_page("documents/gbgkb_2021_format_template_from_govnianbao.docx")
    (item,) = spider.parse_report(response(url, body, request=_report_request(url),
                                           headers={"Content-Type": "application/octet-stream"}))
    assert item.document


def test_report_page_linking_a_pdf_and_a_docx_requests_both_for_the_report(spider) -> None:
    body = _with_links("<a href='/uploadfiles/2023/01/nb.pdf'>年度报告.pdf</a>",
                       "<a href='/uploadfiles/2023/01/tables.docx'>附件：统计表.docx</a>",
                       "<a href='http://www.other.gov.cn/x.docx'>外站.docx</a>")
    item, *requests = spider.parse_report(html_response(REPORT, body, request=_report_request()))
    assert isinstance(item, ReportPage) and not item.document
    assert [r.url for r in requests] == ["http://www.lueyang.gov.cn/uploadfiles/2023/01/nb.pdf",
                                         "http://www.lueyang.gov.cn/uploadfiles/2023/01/tables.docx"]
    for request in requests:
        assert request.callback == spider.parse_attachment and request.errback == spider.on_error
        assert StepMeta.of(request).role is Role.ATTACHMENT and StepMeta.of(request).report_url == REPORT
        assert StepMeta.of(request).site_url == LUEYANG


def test_report_page_whose_only_attachment_is_a_download_script_requests_it(spider) -> None:
    # The review's divergence (design.md (c)4): plan accepts getfile.jsp, the pre-check did not.
    body = _with_links("<a href='/getfile.jsp?id=7'>附件下载</a>")
    item, *requests = spider.parse_report(html_response(REPORT, body, request=_report_request()))
    assert [r.url for r in requests] == ["http://www.lueyang.gov.cn/getfile.jsp?id=7"]


def test_report_page_without_documents_requests_nothing_more(spider) -> None:
    body = _with_links("<a href='/zwgk/'>返回</a>", "<a href='/download/'>下载中心</a>")
    assert len(list(spider.parse_report(html_response(REPORT, body,
                                                      request=_report_request())))) == 1


def test_report_from_a_web_archive_carries_its_source_and_capture_time(spider) -> None:
    request = _report_request(archived_at="2021-03-04T05:06:07+00:00")
    (item,) = spider.parse_report(html_response(REPORT, PAGE, request=request))
    assert item.source == "wayback"
    assert item.fetched_at == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_cut_transfer_is_flagged_truncated_capture(spider) -> None:
    (item,) = spider.parse_report(html_response(REPORT, PAGE, request=_report_request(),
                                                flags=["dataloss"]))
    assert item.flags == ["truncated_capture"]


# -- nothing new: ReportSeen / no attachment item --------------------------------------------

def _stored(tmp_path: Path) -> tuple[str, str]:
    """An earlier crawl stored the report and its PDF; returns their capture ids."""
    ids = earlier_crawl(tmp_path, [(REPORT, PAGE.encode(), {"Content-Type": "text/html"}),
                                   (PDF, b"%PDF-1.4 ...", {"Content-Type": "application/pdf"})])
    now = db.now()
    store_rows(tmp_path, Report(url=REPORT, capture_id=ids[REPORT], first_seen=now, last_seen=now),
               Attachment(report_url=REPORT, url=PDF, capture_id=ids[PDF], first_seen=now,
                          last_seen=now))
    return ids[REPORT], ids[PDF]


@pytest.mark.parametrize("flags", [["unchanged", "identical_payload"],
                                   ["unchanged", "not_modified"], ["from_archive"]])
def test_unchanged_report_already_stored_is_only_seen(tmp_path: Path, flags) -> None:
    capture, _ = _stored(tmp_path)
    spider = make_spider(make_crawler(tmp_path), site=LUEYANG)
    results = list(spider.parse_report(html_response(
        REPORT, PAGE, request=_report_request(capture_id=capture), flags=flags)))
    assert len(results) == 1 and isinstance(results[0], ReportSeen)
    assert (results[0].url, results[0].capture_id) == (REPORT, capture)


def test_report_is_read_again_unless_unchanged_and_stored_from_the_same_capture(
        tmp_path: Path) -> None:
    capture, _ = _stored(tmp_path)
    spider = make_spider(make_crawler(tmp_path), site=LUEYANG)
    for capture_id, flags in ((capture, []), ("<urn:uuid:other>", ["unchanged"]),
                              (None, ["unchanged"])):
        (item,) = spider.parse_report(html_response(
            REPORT, PAGE, request=_report_request(capture_id=capture_id), flags=flags))
        assert isinstance(item, ReportPage)


def test_attachment_becomes_an_attachment_doc_for_its_report(spider) -> None:
    request = spider_request(PDF, LUEYANG, Role.ATTACHMENT, text="年度报告（PDF）",
                             site_name="略阳县", report_url=REPORT, capture_id="<urn:uuid:9>")
    headers = {"Content-Type": "application/pdf", "Content-Disposition": "inline"}
    (item,) = spider.parse_attachment(response(PDF, b"%PDF-1.4 x", headers=headers,
                                               request=request, flags=["dataloss"]))
    assert isinstance(item, AttachmentDoc)
    assert (item.url, item.report_url, item.site_name, item.link_text) == (
        PDF, REPORT, "略阳县", "年度报告（PDF）")
    assert (item.content_type, item.disposition, item.capture_id, item.flags) == (
        "application/pdf", "inline", "<urn:uuid:9>", ["truncated_capture"])
    assert item.body == b"%PDF-1.4 x"


def test_unchanged_attachment_already_stored_yields_nothing(tmp_path: Path) -> None:
    _, capture = _stored(tmp_path)
    spider = make_spider(make_crawler(tmp_path), site=LUEYANG)

    def parse(report_url: str, flags: list[str]) -> list:
        request = spider_request(PDF, LUEYANG, Role.ATTACHMENT, report_url=report_url,
                                 capture_id=capture)
        return list(spider.parse_attachment(response(PDF, b"%PDF-1.4 ...", request=request,
                                                     flags=flags)))
    assert parse(REPORT, ["unchanged", "identical_payload"]) == []
    assert parse(REPORT, ["from_archive"]) == []
    assert len(parse(REPORT, [])) == 1  # fetched whole: read again
    # the same file linked from another report is that report's attachment too
    assert len(parse(REPORT.replace("1500123", "1500999"), ["unchanged"])) == 1
