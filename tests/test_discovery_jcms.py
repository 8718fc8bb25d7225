"""Hanweb jcms: list items hidden in <script type="text/xml"> datastore records."""

from pathlib import Path

from govcrawl.discovery.jcms import datastore_links
from govcrawl.discovery.markup import (
    Link,
    base_url,
    is_attachment,
    links_from_tree,
    parse_html,
    to_text,
)

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
COLUMN = "http://www.yunhe.gov.cn/col/col1229046226/index.html"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def page_links(html: str, url: str) -> list[Link]:
    """Every link of a page as the planner reads them: ``<a href>`` plus jcms datastore
    records and next-group links, exact repeats removed (``plan._plan`` does the same)."""
    tree = parse_html(html)
    base = base_url(tree, url)
    return list(dict.fromkeys(links_from_tree(tree, base) + datastore_links(to_text(html), base)))


def test_datastore_records_yield_links_with_their_title_attributes() -> None:
    links = datastore_links(_read("column_jcms.html"), COLUMN)
    first = links[0]
    assert first == Link(
        url="http://www.yunhe.gov.cn/art/2024/1/20/art_1229046226_59012345.html",
        text="云和县2023年政府信息公开工作年度...",
        title="云和县2023年政府信息公开工作年度报告",
    )
    assert first.label == "云和县2023年政府信息公开工作年度报告"
    assert len([link for link in links if link.rel != "next"]) == 8


def test_nextgroup_is_returned_as_a_next_link() -> None:
    links = datastore_links(_read("column_jcms.html"), COLUMN)
    nextgroup = [link for link in links if link.rel == "next"]
    assert len(nextgroup) == 1
    assert nextgroup[0].url.startswith(
        "http://www.yunhe.gov.cn/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3134"
    )
    assert "columnid=1229046226" in nextgroup[0].url


def test_dataproxy_response_with_xml_declaration_is_read() -> None:
    url = "http://www.yunhe.gov.cn/module/web/jpage/dataproxy.jsp?page=1&columnid=1229046226"
    links = datastore_links(_read("dataproxy_jcms.xml"), url)
    assert [link.title for link in links if link.rel != "next"] == [
        f"云和县{year}年政府信息公开工作年度报告" for year in (2022, 2021, 2020)
    ]
    nextgroup = [link.url for link in links if link.rel == "next"]
    assert nextgroup == [
        "http://www.yunhe.gov.cn/module/web/jpage/dataproxy.jsp?page=2&appid=1&webid=3134"
        "&path=/&columnid=1229046226&unitid=5588693&permissiontype=0"
    ]


def test_entity_escaped_records_are_read_too() -> None:
    html = (
        '<script type="text/xml"><datastore><recordset><record>&lt;li&gt;&lt;a href="/art/2023/1/2/'
        'art_1_2.html" title="XX镇2022年政府信息公开工作年度报告"&gt;XX镇…&lt;/a&gt;&lt;/li&gt;'
        "</record></recordset></datastore></script>"
    )
    links = datastore_links(html, "http://www.x.gov.cn/col/col1/index.html")
    assert [link.url for link in links] == ["http://www.x.gov.cn/art/2023/1/2/art_1_2.html"]


def test_pages_without_a_datastore_have_no_datastore_links() -> None:
    assert datastore_links(_read("column_trs.html"), "http://www.lueyang.gov.cn/zwgk/") == []
    assert datastore_links("", COLUMN) == []
    assert datastore_links("<datastore><record><![CDATA[<a href=", COLUMN) == []


def test_page_links_combine_anchors_and_datastore_records() -> None:
    links = page_links(_read("column_jcms.html"), COLUMN)
    urls = [link.url for link in links]
    assert "http://www.yunhe.gov.cn/col/col1229046227/index.html" in urls  # an <a> of the page
    assert "http://www.yunhe.gov.cn/art/2024/1/26/art_1229046226_59012801.html" in urls  # a record


def test_attachment_links_include_jcms_download_script() -> None:
    links = [link for link in page_links(_read("column_jcms.html"), COLUMN) if is_attachment(link.url)]
    assert [link.url for link in links] == [
        "http://www.yunhe.gov.cn/module/download/downfile.jsp?classid=0&filename=2401201234567.pdf"
    ]
    assert (
        links[0].label == "云和县2023年政府信息公开工作年度报告（PDF）"
    )  # the fuller of text/title


def test_page_links_honour_base_href_and_link_rel_next() -> None:
    html = (
        '<html><head><base href="http://www.x.gov.cn/zwgk/ndbg/">'
        '<link rel="next" href="index_1.html"></head>'
        '<body><a href="202301/t20230120_1.html#top" title="T">XX县2022年…</a>'
        '<a href="javascript:void(0)">JS</a><a href="mailto:a@b.cn">M</a><a href="#">#</a>'
        '<a href=" \n/a.html\t ">  多　余  空白 </a></body></html>'
    )
    assert page_links(html, "http://www.x.gov.cn/other/page.html") == [
        Link("http://www.x.gov.cn/zwgk/ndbg/202301/t20230120_1.html", "XX县2022年…", "T"),
        Link("http://www.x.gov.cn/a.html", "多 余 空白"),
        Link("http://www.x.gov.cn/zwgk/ndbg/index_1.html", "", rel="next"),
    ]


def test_page_links_of_a_dataproxy_response_list_each_record_once() -> None:
    url = "http://www.yunhe.gov.cn/module/web/jpage/dataproxy.jsp?page=1&columnid=1229046226"
    links = page_links(_read("dataproxy_jcms.xml"), url)
    records = [link for link in links if link.rel != "next"]
    assert len(records) == len({link.url for link in records}) == 3


def test_records_after_an_unclosed_one_are_not_searched_again() -> None:
    # An unclosed <record> made the pattern rescan the rest of the page from every later one
    # (quadratic); the scan stops there, keeping the records before it.
    html = ("<datastore><record><![CDATA[<a href='/art/1.html' title='甲'>甲</a>]]></record>"
            + "<record>x" * 10_000 + "</datastore>")
    assert [link.url for link in datastore_links(html, COLUMN)] == [
        "http://www.yunhe.gov.cn/art/1.html"]


def test_the_last_href_of_the_first_base_tag_with_one_is_the_base() -> None:
    html = ("<base target=_blank><base href='/a/' href='/b/'><base href='/c/'>"
            "<datastore><record><![CDATA[<a href='x.html'>x</a>]]></record></datastore>")
    assert [link.url for link in datastore_links(html, COLUMN)] == ["http://www.yunhe.gov.cn/b/x.html"]
