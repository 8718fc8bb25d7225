"""Reports published as attachments in the simulated web (洪泽区, www.hongze.gov.cn).

Served through the simulated web's proxy on 127.0.0.1; documents are opened with pdfplumber,
python-docx and openpyxl, never with the crawler's own readers.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import docx
import lxml.html
import openpyxl
import pdfplumber
import pytest

from govcrawl.report.analyse import STAT_KEYS
from simweb import ExpectedReport, SimulatedWeb, build_test_web

ROOT = Path(__file__).resolve().parent.parent
HOST = "www.hongze.gov.cn"
BASE = f"http://{HOST}"
COLUMN = f"{BASE}/zwgk/zfxxgknb/index.html"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OCTET = "application/octet-stream"
SAMPLE = ROOT / "simweb" / "documents_data" / "hongze_qu_2023_report.pdf"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


@pytest.fixture(scope="module")
def web() -> Iterator[SimulatedWeb]:
    with build_test_web() as w:
        yield w


def fetch(web: SimulatedWeb, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET through the proxy (loopback only); HTTP errors come back as responses."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": web.proxy_url}), _NoRedirect
    )
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def reports(web: SimulatedWeb) -> dict[str, ExpectedReport]:
    """洪泽区's ground truth by title."""
    return {r.title: r for r in web.expected_reports if urlsplit(r.url).hostname == HOST}


def links(url: str, body: bytes) -> dict[str, str]:
    """Absolute href -> link text of a page."""
    doc = lxml.html.fromstring(body.decode("utf-8"))
    return {urljoin(url, a.get("href")): a.text_content().strip() for a in doc.xpath("//a[@href]")}


def pdf_text(body: bytes) -> str:
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def filename_of(disposition: str) -> str:
    """The filename of a Content-Disposition as received (http.client decodes latin-1)."""
    m = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    if m:
        return unquote(m.group(1))
    m = re.search(r'filename="([^"]*)"', disposition)
    assert m, disposition
    return m.group(1).encode("latin-1").decode("utf-8")


# ------------------------------------------------------------------------------ ground truth
def test_portal_is_listed_with_its_reports(web):
    (site,) = [s for s in web.sites if urlsplit(s.url).hostname == HOST]
    assert (site.name, site.level, site.region_code) == ("淮安市洪泽区人民政府", "county", "320813")
    assert "hongze.gov.cn" in web.domains
    by_title = reports(web)
    assert len(by_title) == 10
    sources = {r.source for r in by_title.values()}
    assert sources == {"attachment", "page+attachment"}
    for r in by_title.values():
        assert r.attachments and set(r.attachments) <= web.attachment_urls, r.title
        assert r.url not in web.distractor_urls
        if r.source == "attachment" and r.url in web.attachment_urls:
            assert r.attachments == (r.url,)  # the list links the document itself


def test_ground_truth_entries(web):
    by_title = reports(web)
    r2019 = by_title["洪泽区2019年政府信息公开工作年度报告"]
    assert r2019.url == f"{BASE}/attach/download.jsp?id=4711" and r2019.source == "attachment"
    r2020 = by_title["洪泽区2020年政府信息公开工作年度报告"]
    assert r2020.source == "page+attachment" and r2020.flags == ("page_attachment_disagree",)
    assert r2020.url.endswith(".html") and r2020.attachments[0].endswith(".pdf")
    r2021 = by_title["洪泽区2021年政府信息公开工作年度报告"]
    assert r2021.source == "page+attachment" and r2021.attachments[0].endswith(".xlsx")
    r2022 = by_title["洪泽区2022年政府信息公开工作年度报告"]
    assert re.fullmatch(rf"{BASE}/uploadfiles/2023/01/\d+\.pdf", r2022.url)
    real = by_title["洪泽区人民政府2023年政府信息公开工作年度报告"]
    assert (real.issuer, real.year, real.source) == ("淮安市洪泽区人民政府", 2023, "attachment")
    assert real.flags == ("t4_reconsideration_total", "t4_litigation_after_reconsideration_total")
    assert by_title["洪泽区财政局2022年度政府信息公开工作年度报告"].attachments[0].endswith(".docx")
    edu = by_title["洪泽区教育局2022年度政府信息公开工作年度报告"]
    assert edu.url == f"{BASE}/attach/download.jsp?id=4712" and edu.agency == "教育局"
    broken = {
        "岔河镇2022年政府信息公开工作年度报告": "needs_ocr",
        "洪泽区交通运输局2022年度政府信息公开工作年度报告": "damaged_document",
        "洪泽区农业农村局2022年度政府信息公开工作年度报告": "not_a_document",
    }
    for title, flag in broken.items():
        r = by_title[title]
        assert r.flags == (flag,) and r.source == "attachment"
        assert set(r.stats or {}) == {"format"}, title  # no figures can be read
    assert by_title["岔河镇2022年政府信息公开工作年度报告"].admin_level == "township"


def test_stats_use_the_analysis_names_and_balance(web):
    readable = [r for r in reports(web).values() if "applications_new" in (r.stats or {})]
    assert len(readable) == 7
    for r in readable:
        s = r.stats or {}
        figures = set(s) - {"format", "t3_new", "t3_carried", "t3_handled", "t3_forward"}
        assert figures <= set(STAT_KEYS) and len(figures) >= 15, r.title
        assert s["applications_new"] + s["applications_carried_over"] == (
            s["handled_total"] + s["carried_forward"]
        ), r.title
        assert s["handled_total"] == sum(
            s[k]
            for k in (
                "disclosed",
                "partially_disclosed",
                "not_disclosed",
                "unable_to_provide",
                "not_processed",
                "other_handling",
            )
        ), r.title
        assert s["litigation_total"] == (
            s["litigation_direct_total"] + s["litigation_after_reconsideration_total"]
        )
        assert (s["t3_new"], s["t3_handled"]) == (s["applications_new"], s["handled_total"])


def test_non_reports_are_distractors_linked_from_lists(web):
    news = f"{BASE}/xwzx/index.html"
    _, _, body = fetch(web, news)
    (work_report,) = [u for u, t in links(news, body).items() if t == "洪泽区2023年政府工作报告"]
    services = f"{BASE}/bsfw/index.html"
    _, _, body = fetch(web, services)
    (form,) = [u for u, t in links(services, body).items() if t == "政府信息公开申请表"]
    expected = {r.url for r in web.expected_reports}
    for url, ctype in ((work_report, PDF), (form, DOCX)):
        assert url in web.distractor_urls and url in web.attachment_urls and url not in expected
        status, headers, _ = fetch(web, url)
        assert status == 200 and headers["Content-Type"] == ctype
    assert "政府工作报告" in flat(pdf_text(fetch(web, work_report)[2]))


# ------------------------------------------------------------------------------ over HTTP
def test_column_links_each_kind_with_the_report_title(web):
    status, _, body = fetch(web, COLUMN)
    assert status == 200
    listed = links(COLUMN, body)
    for r in reports(web).values():
        assert listed.get(r.url) == r.title, r.title
    hrefs = set(listed)
    assert {f"{BASE}/attach/download.jsp?id=4711", f"{BASE}/attach/download.jsp?id=4712"} <= hrefs
    assert any(re.search(r"/uploadfiles/\d{4}/\d\d/\d+\.pdf$", u) for u in hrefs)
    assert any(re.search(r"/html/HOSZF/\d{6}/\d+\.html$", u) for u in hrefs)


def test_report_pages_link_their_attachments(web):
    by_title = reports(web)
    leads = {
        "洪泽区2020年政府信息公开工作年度报告": "附件：",
        "洪泽区2021年政府信息公开工作年度报告": "统计表详见附件：",
        "洪泽区人民政府2023年政府信息公开工作年度报告": "详见附件：",
        "洪泽区财政局2022年度政府信息公开工作年度报告": "点击下载：",
    }
    for title, lead in leads.items():
        r = by_title[title]
        status, _, body = fetch(web, r.url)
        text = body.decode("utf-8")
        assert status == 200 and title in text
        (doc,) = r.attachments
        name = links(r.url, body)[doc]
        assert name.endswith((".pdf", ".docx", ".xlsx")) and f"{lead}<a href=" in text, title
    # the page with text only: sections 一, 五, 六 on the page, no table
    _, _, body = fetch(web, by_title["洪泽区2021年政府信息公开工作年度报告"].url)
    text = body.decode("utf-8")
    for h in ("一、总体情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        assert h in text
    assert "<table" not in text and "三、收到和处理政府信息公开申请情况" not in text
    # the page with everything in the DOCX: one line
    _, _, body = fetch(web, by_title["洪泽区财政局2022年度政府信息公开工作年度报告"].url)
    article = lxml.html.fromstring(body.decode("utf-8")).xpath('//div[@id="Zoom"]')[0]
    assert len(article.xpath(".//p")) == 1


DOCUMENTS = {
    # title -> (Content-Type, filename in Content-Disposition or None)
    "洪泽区2019年政府信息公开工作年度报告": (OCTET, "洪泽区2019年政府信息公开工作年度报告.pdf"),
    "洪泽区教育局2022年度政府信息公开工作年度报告": (
        OCTET,
        "洪泽区教育局2022年度政府信息公开工作年度报告.pdf",
    ),
    "洪泽区2020年政府信息公开工作年度报告": (PDF, None),
    "洪泽区2021年政府信息公开工作年度报告": (XLSX, None),
    "洪泽区2022年政府信息公开工作年度报告": (PDF, None),
    "洪泽区人民政府2023年政府信息公开工作年度报告": (PDF, None),
    "洪泽区财政局2022年度政府信息公开工作年度报告": (DOCX, None),
    "岔河镇2022年政府信息公开工作年度报告": (PDF, None),
    "洪泽区交通运输局2022年度政府信息公开工作年度报告": (PDF, None),
    "洪泽区农业农村局2022年度政府信息公开工作年度报告": ("text/html", None),
}


@pytest.mark.parametrize("title", sorted(DOCUMENTS))
def test_documents_served_with_type_disposition_and_validators(web, title):
    ctype, filename = DOCUMENTS[title]
    (url,) = reports(web)[title].attachments
    status, headers, body = fetch(web, url, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"] == ctype
    assert int(headers["Content-Length"]) == len(body)
    if filename is None:
        assert "Content-Disposition" not in headers
    else:
        disposition = headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and filename_of(disposition) == filename
    # binaries are never gzipped; the HTML error page is, like any text
    assert (headers.get("Content-Encoding") == "gzip") == (ctype == "text/html")
    if ctype == "text/html":
        body = gzip.decompress(body)
    assert headers["ETag"] and headers["Last-Modified"]
    assert 200 <= len(body) <= 300_000
    etag = headers["ETag"].removeprefix("W/")
    status, _, body = fetch(web, url, {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert fetch(web, url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(web, url, {"If-None-Match": '"other"'})[0] == 200


def test_raw_utf8_and_rfc5987_filenames_on_the_wire(web):
    for n, raw in ((4711, True), (4712, False)):
        url = f"{BASE}/attach/download.jsp?id={n}"
        _, headers, _ = fetch(web, url)
        value = headers["Content-Disposition"]
        if raw:  # UTF-8 bytes straight in the header, as many CMS send them
            assert "洪泽区".encode().decode("latin-1") in value and "filename*" not in value
        else:
            assert value.startswith("attachment; filename*=UTF-8''%E6%B4%AA%E6%B3%BD")
            assert value.isascii()


def test_truncated_pdf_is_really_cut(web):
    (url,) = reports(web)["洪泽区交通运输局2022年度政府信息公开工作年度报告"].attachments
    status, headers, body = fetch(web, url)
    assert status == 200 and int(headers["Content-Length"]) == len(body)  # uploaded broken
    assert body.startswith(b"%PDF-") and b"%%EOF" not in body and b"startxref" not in body
    whole = reports(web)["洪泽区2022年政府信息公开工作年度报告"].url  # a complete one
    assert fetch(web, whole)[2].rstrip().endswith(b"%%EOF")


def test_pdf_url_serving_an_html_error_page(web):
    r = reports(web)["洪泽区农业农村局2022年度政府信息公开工作年度报告"]
    assert r.url.endswith(".pdf")
    status, headers, body = fetch(web, r.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body.lstrip().lower().startswith(b"<!doctype html") and b"%PDF" not in body
    assert "404 Not Found" in body.decode("utf-8")


# ------------------------------------------------------------------------------ the documents
def test_generated_pdfs_hold_text_and_tables(web):
    by_title = reports(web)
    for title in (
        "洪泽区2019年政府信息公开工作年度报告",
        "洪泽区2022年政府信息公开工作年度报告",
        "洪泽区教育局2022年度政府信息公开工作年度报告",
    ):
        r = by_title[title]
        text = flat(pdf_text(fetch(web, r.attachments[0])[2]))
        assert title in text
        for h in ("一、总体情况", "三、收到和处理政府信息公开申请情况", "（七）总计"):
            assert h in text, (title, h)
        s = r.stats or {}
        assert f"全年共收到政府信息公开申请{s['applications_new']}件" in text
        assert f"主动公开政府信息{s['proactive_disclosures']}条" in text


def test_scanned_pdf_has_no_text_layer(web):
    (url,) = reports(web)["岔河镇2022年政府信息公开工作年度报告"].attachments
    with pdfplumber.open(io.BytesIO(fetch(web, url)[2])) as pdf:
        assert pdf.pages and all(not page.chars and page.images for page in pdf.pages)


def test_real_sample_served_as_the_2023_report(web):
    (url,) = reports(web)["洪泽区人民政府2023年政府信息公开工作年度报告"].attachments
    body = fetch(web, url)[2]
    assert body == SAMPLE.read_bytes()
    assert hashlib.sha1(body).hexdigest() == "0a3f8848818f483d7abd00b8be3e38832a9e1bf3"
    text = flat(pdf_text(body))
    assert "洪泽区人民政府2023年政府信息公开工作年度报告" in text and "1136条" in text


def test_docx_holds_the_report_with_merged_table_cells(web):
    r = reports(web)["洪泽区财政局2022年度政府信息公开工作年度报告"]
    document = docx.Document(io.BytesIO(fetch(web, r.attachments[0])[2]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert r.title in text and "一、总体情况" in text and "六、其他需要报告的事项" in text
    t2, t3, t4 = document.tables
    assert "第二十条第（一）项" in t2.cell(0, 0).text
    grid = [[c.text for c in row.cells] for row in t3.rows]
    new_row = next(row for row in grid if row[0].startswith("一、本年新收"))
    assert int(new_row[-1]) == (r.stats or {})["applications_new"]
    assert grid[0][0] == grid[2][2]  # the corner cell spans 3×3 (merged)
    assert int(t4.rows[-1].cells[4].text) == (r.stats or {})["reconsideration_total"]


def test_xlsx_holds_the_standard_tables_of_the_2021_format(web):
    r = reports(web)["洪泽区2021年政府信息公开工作年度报告"]
    book = openpyxl.load_workbook(io.BytesIO(fetch(web, r.attachments[0])[2]))
    t2, t3, t4 = book.worksheets
    assert t3["A1"].value == r.title
    t2_values = [c for row in t2.iter_rows(values_only=True) for c in row if c is not None]
    assert "本年制发件数" in t2_values and "现行有效件数" in t2_values  # 2021 format
    rows = {row[0]: row for row in t3.iter_rows(min_row=2, values_only=True) if row[0]}
    s = r.stats or {}
    assert rows["一、本年新收政府信息公开申请数量"][-1] == s["applications_new"]
    assert rows["四、结转下年度继续办理"][-1] == s["carried_forward"]
    labels = [c for row in t3.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(label.startswith("1.申请人无正当理由逾期不补正") for label in labels)  # (六)1–3
    assert any(str(m) == "A2:C4" for m in t3.merged_cells.ranges)  # the corner, merged
    last = list(t4.iter_rows(values_only=True))[-1]
    assert (last[4], last[9], last[14]) == (
        s["reconsideration_total"],
        s["litigation_direct_total"],
        s["litigation_after_reconsideration_total"],
    )


def test_page_and_attachment_disagree_on_applications_new(web):
    r = reports(web)["洪泽区2020年政府信息公开工作年度报告"]
    new = (r.stats or {})["applications_new"]
    page = fetch(web, r.url)[2].decode("utf-8")
    doc = lxml.html.fromstring(page)
    t3 = next(t for t in doc.xpath("//table") if "本年新收" in t.text_content())
    row = next(tr for tr in t3.xpath(".//tr") if "本年新收" in tr.text_content())
    assert int(row.xpath("./td")[-1].text_content()) == new
    text = flat(pdf_text(fetch(web, r.attachments[0])[2]))
    assert f"全年共收到政府信息公开申请{new + 3}件" in text
    assert f"全年共收到政府信息公开申请{new}件" not in text


def test_documents_are_deterministic_and_dated(web):
    """Same bytes in another process (another time, another hash seed): same ETags."""
    code = (
        "import hashlib\n"
        "from simweb import build_test_web\n"
        f"vh = build_test_web().hosts[{HOST!r}]\n"
        "print(hashlib.sha256(b''.join(p.body for _, p in sorted(vh.pages.items()))).hexdigest())"
    )
    here = hashlib.sha256(
        b"".join(p.body for _, p in sorted(web.hosts[HOST].pages.items()))
    ).hexdigest()
    env = {**os.environ, "PYTHONHASHSEED": "7", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == here
    r = reports(web)["洪泽区财政局2022年度政府信息公开工作年度报告"]
    with zipfile.ZipFile(io.BytesIO(fetch(web, r.attachments[0])[2])) as z:
        assert {info.date_time[:3] for info in z.infolist()} == {r.published.timetuple()[:3]}
        assert f"{r.published.isoformat()}T".encode() in z.read("docProps/core.xml")


# ------------------------------------------------------------------------------ revisions
def test_revise_still_works_and_leaves_the_attachment_portal_alone():
    web = build_test_web()
    before = {t: (p.body, p.etag) for t, p in web.hosts[HOST].pages.items()}
    n_reports = len(web.expected_reports)
    rev = web.revise()
    assert len(rev.edited) == 3 and len(rev.added) == 3
    assert not [u for u in rev.changed if urlsplit(u).hostname == HOST]
    assert {t: (p.body, p.etag) for t, p in web.hosts[HOST].pages.items()} == before
    assert len(web.expected_reports) == n_reports + 3
