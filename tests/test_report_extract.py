"""extract_report on saved pages: golden fields, meta, titles, fallbacks, worker safety."""

from __future__ import annotations

import json
import pickle
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from govcrawl.report import ExtractedReport, extract_report, page_meta, page_text, page_title
from govcrawl.report.fields import ReportFields

FIXTURES = Path(__file__).parent / "fixtures" / "report"
GOLDEN = sorted(p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json"))


def load(name: str) -> tuple[bytes, dict]:
    spec = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return (FIXTURES / f"{name}.html").read_bytes(), spec


def run(name: str) -> tuple[ExtractedReport, dict]:
    body, spec = load(name)
    return extract_report(body, spec["url"], spec["content_type"], spec["site_name"]), spec


def test_every_seed_has_a_page_with_and_without_meta_tags():
    for prefix in ("000", "001", "002", "003", "004"):
        assert {f"{prefix}_{kind}" for kind in ("plain", "meta")} <= {
            g[:3] + g[g.rfind("_") :] for g in GOLDEN
        }
    assert "shanghai_fragment" in GOLDEN and "shanghai_meta" in GOLDEN


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_fields(name):
    report, spec = run(name)
    assert report.fields.to_dict() == spec["expected"]
    assert report.title == spec["expected"]["title"]


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_text_and_encoding(name):
    report, spec = run(name)
    assert report.encoding == spec["encoding"]
    assert "\ufffd" not in report.text
    for snippet in spec["text_contains"]:
        assert snippet in report.text
    for snippet in spec["text_excludes"]:
        assert snippet not in report.text
    for key, value in spec.get("meta", {}).items():
        assert report.meta[key] == value


def test_gbk_page_with_utf8_header_reads_clean():
    report, _ = run("003_hengxianhe_plain")  # served as charset=utf-8, body is GBK
    assert report.encoding == "gb18030"
    assert "横现河街道办事处结合实际" in report.text


def test_printed_date_beats_url_date():
    report, spec = run("dept_health_bracket_year")  # URL says t20220125, page says 2022年01月20日
    assert "t20220125" in spec["url"]
    assert report.fields.published.isoformat() == "2022-01-20"


def test_url_date_is_the_last_resort():
    body = (
        "<html><body><h1>师宗县2022年政府信息公开工作年度报告</h1><div><p>"
        + "2022年，全县主动公开政府信息。" * 20
        + "</p></div></body></html>"
    ).encode()
    report = extract_report(body, "http://www.shizong.gov.cn/zwgk/ndbg/202301/t20230118_5.html")
    assert report.fields.published.isoformat() == "2023-01-18"
    assert extract_report(body, "http://www.shizong.gov.cn/a.html").fields.published is None


def test_to_dict_is_json_safe():
    report, spec = run("000_cangyuan_plain")
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["fields"]["published"] == "2019-02-18"
    assert data["title"] == spec["expected"]["title"]
    assert data["encoding"] == "gb18030"
    assert set(data) == {"title", "text", "fields", "meta", "encoding"}


# ----------------------------------------------------------------------------- meta and title


def test_page_meta_is_case_insensitive_and_canonical():
    html = """<html><head><meta name="sitename" content="景县人民政府"><meta name="PUBDATE" content=" 2019-01-17 ">
    <meta name="ContentSource" content=""><meta name="contentsource" content="景县人民政府办公室">
    <meta name="viewport" content="width=device-width"><meta property="og:title" content="x">
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body></body></html>"""
    assert page_meta(html) == {
        "SiteName": "景县人民政府",
        "PubDate": "2019-01-17",
        "ContentSource": "景县人民政府办公室",
        "viewport": "width=device-width",
        "og:title": "x",
    }


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "not html at all",
        "<html></html>",
        "<?xml version='1.0' encoding='gb2312'?><html/>",
    ],
)
def test_page_meta_on_junk(html):
    assert page_meta(html) == {}


def test_article_title_meta_wins():
    html = "<html><head><title>别的_景县人民政府</title></head><body><h1>首页</h1></body></html>"
    assert (
        page_title(html, {"ArticleTitle": " 景县2018年政府信息公开工作年度报告 "})
        == "景县2018年政府信息公开工作年度报告"
    )


def test_heading_that_reads_like_a_report_beats_site_headings():
    html = """<html><head><title>景县人民政府</title></head><body>
    <h1 class="logo">景县人民政府</h1><div class="nav-title">政务公开</div>
    <div class="article"><h2 class="title">景县2018年政府信息公开工作年度报告</h2><p>正文</p></div></body></html>"""
    assert page_title(html, {}) == "景县2018年政府信息公开工作年度报告"


@pytest.mark.parametrize(
    ("title_tag", "expected"),
    [
        (
            "沧源自治县2018年政府信息公开工作年度报告_沧源佤族自治县人民政府",
            "沧源自治县2018年政府信息公开工作年度报告",
        ),
        ("景县人民政府 - 景县2018年政府信息公开工作年度报告", "景县2018年政府信息公开工作年度报告"),
        ("2022年度政府信息公开工作年度报告 - XX县人民政府网", "2022年度政府信息公开工作年度报告"),
        (
            "师宗县财政局2022年度政府信息公开工作年度报告|师宗县人民政府门户网站",
            "师宗县财政局2022年度政府信息公开工作年度报告",
        ),
        ("政务公开_景县人民政府", "政务公开"),
    ],
)
def test_title_tag_loses_site_name(title_tag, expected):
    html = f"<html><head><title>{title_tag}</title></head><body><p>正文</p></body></html>"
    assert page_title(html, {}) == expected


def test_centred_bold_line_is_a_title_candidate():
    html = "<p style='text-align: center;font-weight: bold;'>2019年上海市人民政府办公厅政府信息公开工作年度报告</p><p>正文</p>"
    assert page_title(html, {}) == "2019年上海市人民政府办公厅政府信息公开工作年度报告"


def test_no_title_at_all():
    assert page_title("<p>只有正文</p>", {}) is None


def test_page_text_has_lines_and_no_scripts():
    html = "<html><head><title>t</title><style>p{}</style></head><body><p>一</p><script>var x=1;</script><div>二<br>三</div>尾</body></html>"
    assert page_text(html) == "一\n二\n三\n尾"


# ----------------------------------------------------------------------------- fallbacks, junk


def test_short_page_falls_back_to_lxml_text():
    body = "<html><body><div id='content'><p>景县2018年政府信息公开工作年度报告</p><p>无。</p></div></body></html>".encode()
    report = extract_report(body, "http://example.gov.cn/a.html")
    assert "景县2018年政府信息公开工作年度报告" in report.text
    assert report.fields.year == 2018


def test_text_only_body():
    report = extract_report(
        "景县2018年政府信息公开工作年度报告\n(2019年1月17日)\n正文".encode("gbk"),
        "http://x/a.txt",
        "text/plain",
    )
    assert report.text and report.fields.published.isoformat() == "2019-01-17"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00" * 500,
        bytes(range(256)) * 20,
        random.Random(3).randbytes(20000),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>stream\x89\x9a\xff\x00" * 50,
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + random.Random(5).randbytes(3000),
    ],
)
def test_garbage_gives_an_empty_report(body):
    report = extract_report(body, "http://x/a.html")
    assert report.text == "" and report.fields == ReportFields() and report.title is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html",
        b"<<<>>>",
        b"<html><body><table><tr><td>" * 300,
        b"<div>" * 5000 + "深层".encode() + b"</div>" * 5000,
    ],
)
def test_broken_html_does_not_raise(body):
    assert isinstance(extract_report(body, ""), ExtractedReport)


# ----------------------------------------------------------------------------- worker process


def test_report_pickles():
    report, _ = run("shanghai_fragment")
    assert pickle.loads(pickle.dumps(report)) == report


def test_runs_in_a_process_pool():
    body, spec = load("004_jingxian_plain")
    with ProcessPoolExecutor(max_workers=1) as pool:
        report = pool.submit(
            extract_report, body, spec["url"], spec["content_type"], spec["site_name"]
        ).result(timeout=60)
    assert report.fields.to_dict() == spec["expected"]


def test_links_to_other_reports_are_not_the_title():
    html = """<html><head><title>景县人民政府</title></head><body>
    <div class="prev-title">上一篇：<a href="/a.html" class="title">景县2017年政府信息公开工作年度报告</a></div>
    <ul class="list-title"><li><a href="/b.html">景县2016年政府信息公开工作年度报告</a></li></ul>
    <div class="article"><div class="bt">景县2018年政府信息公开工作年度报告</div><p>正文</p></div></body></html>"""
    assert page_title(html, {}) == "景县2018年政府信息公开工作年度报告"
