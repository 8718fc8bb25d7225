"""How CMS list pages paginate: TRS createPageHTML, pager links, numbered URL schemes."""

from pathlib import Path

import pytest

from govcrawl.discovery.pagination import is_pagination_text, list_pages, same_listing

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
TRS_COLUMN = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/index.html"


def test_createpagehtml_pagination_reaches_last_page() -> None:
    html = (FIXTURES / "column_trs.html").read_text(encoding="utf-8")
    assert list_pages(html, TRS_COLUMN) == [
        f"http://www.lueyang.gov.cn/zwgk/zfxxgknb/index_{k}.html" for k in range(1, 5)
    ]


def test_createpagehtml_from_a_later_page_includes_the_first_page() -> None:
    html = '<script>createPageHTML(3, 2, "index", "html");</script>'
    assert list_pages(html, "http://www.x.gov.cn/ndbg/index_2.html") == [
        "http://www.x.gov.cn/ndbg/index.html",
        "http://www.x.gov.cn/ndbg/index_1.html",
    ]


@pytest.mark.parametrize(
    "script",
    [
        "createPageHTML(4, 0, 'index', 'html');",
        'createPageHTML( 4 , 0 , "index" , "html" )',
        "createPageHTML('4','0','index','html');",
        "var countPage = 4;var currentPage = 0;\ncreatePageHTML(countPage, currentPage, 'index', 'html');",
        'var countPage = \'4\'//共多少页\ncreatePageHTML(countPage,currentPage,"index","html");',
        "createPageHTML('page_div', 4, 1, 'index', 'html', 57);",
    ],
)
def test_createpagehtml_variants_with_literals_variables_and_a_div_id(script: str) -> None:
    html = f"<html><body><div class='page'><script>{script}</script></div></body></html>"
    assert list_pages(html, "http://www.x.gov.cn/zwgk/ndbg/") == [
        f"http://www.x.gov.cn/zwgk/ndbg/index_{k}.html" for k in range(1, 4)
    ]


def test_createpagehtml_keeps_the_prefix_and_extension() -> None:
    html = '<script>createPageHTML(3, 0, "list", "shtml")</script>'
    assert list_pages(html, "http://www.x.gov.cn/a/list.shtml") == [
        "http://www.x.gov.cn/a/list_1.shtml",
        "http://www.x.gov.cn/a/list_2.shtml",
    ]


def test_createpagehtml_single_page_and_unresolvable_calls_give_nothing() -> None:
    url = "http://www.x.gov.cn/a/index.html"
    assert list_pages('<script>createPageHTML(1, 0, "index", "html")</script>', url) == []
    assert (
        list_pages('<script>createPageHTML(${PAGE_COUNT}, 0, "index", "html")</script>', url) == []
    )


def test_createpagehtml_is_capped_by_max_pages() -> None:
    html = '<script>createPageHTML(100000, 0, "index", "html")</script>'
    pages = list_pages(html, "http://www.x.gov.cn/a/index.html", max_pages=200)
    assert len(pages) == 200
    assert pages[-1] == "http://www.x.gov.cn/a/index_200.html"


def test_query_pager_generates_every_page_up_to_the_last() -> None:
    html = (FIXTURES / "list_plain.html").read_text(encoding="utf-8")
    url = "http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page=2"
    pages = list_pages(html, url)
    expected = {f"http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page={n}" for n in range(1, 13)}
    assert set(pages) == expected - {url}
    assert "http://www.xunyang.gov.cn/Item/1.aspx" not in pages  # a "2" outside the listing


@pytest.mark.parametrize("parameter", ["page", "pageNum", "pageIndex", "pageNo"])
def test_query_parameter_styles_are_understood(parameter: str) -> None:
    html = (
        f'<a href="?{parameter}=2&amp;cat=7">下一页</a>'
        f'<a href="list.jsp?cat=7&amp;{parameter}=6">末页</a>'
    )
    pages = list_pages(html, "http://www.x.gov.cn/list.jsp?cat=7")
    assert len(pages) == 5
    assert all(f"{parameter}=" in page and "cat=7" in page for page in pages)


def test_path_numbered_pages_are_generated_from_next_and_last_links() -> None:
    html = (
        '<div class="page"><a href="index_1.html">下一页</a> <a href="index_9.html">尾页</a></div>'
    )
    pages = list_pages(html, "http://www.x.gov.cn/xxgk/nb/index.html")
    assert pages == [f"http://www.x.gov.cn/xxgk/nb/index_{k}.html" for k in range(1, 10)]


def test_pager_generation_is_capped_by_max_pages() -> None:
    html = '<a href="?page=2">2</a><a href="?page=99999">尾页</a>'
    assert len(list_pages(html, "http://www.x.gov.cn/list.jsp", max_pages=30)) == 30


def test_home_link_outside_the_listing_is_not_a_page() -> None:
    html = '<a href="/">首页</a><a href="/index.html">首页</a><a href="../">上一页</a>'
    assert list_pages(html, "http://www.x.gov.cn/zwgk/ndbg/index_2.html") == []


@pytest.mark.parametrize(
    "text",
    [
        "下一页",
        "下页",
        "尾页",
        "末页",
        "上一页",
        "首页",
        ">",
        ">>",
        "»",
        "3",
        "[3]",
        "第3页",
        "Next",
    ],
)
def test_pagination_texts(text: str) -> None:
    assert is_pagination_text(text)


@pytest.mark.parametrize("text", ["政府信息公开年报", "2022年", "更多", ""])
def test_not_pagination_texts(text: str) -> None:
    assert not is_pagination_text(text)


def test_same_listing_compares_path_and_numbered_stem() -> None:
    page = "http://www.x.gov.cn/a/index.html"
    assert same_listing("http://www.x.gov.cn/a/index_3.html", page)
    assert same_listing("http://www.x.gov.cn/a/index.html?page=2", page)
    assert same_listing("http://www.x.gov.cn/a/index_3.html", "http://www.x.gov.cn/a/")
    assert not same_listing(page, page)
    assert not same_listing("http://www.x.gov.cn/b/index_3.html", page)
    assert not same_listing("http://www.y.gov.cn/a/index_3.html", page)


def test_broken_input_gives_no_pages() -> None:
    for html in ("", "<<<>>>", "\x00\ud800", b"\xff\xfe"):
        assert list_pages(html, "http://www.x.gov.cn/") == []  # type: ignore[arg-type]


def test_path_numbering_keeps_the_separator() -> None:
    html = '<a href="list-2.shtml">下一页</a><a href="list-4.shtml">尾页</a>'
    assert list_pages(html, "http://www.x.gov.cn/nb/list-1.shtml") == [
        "http://www.x.gov.cn/nb/list-2.shtml",
        "http://www.x.gov.cn/nb/list-3.shtml",
        "http://www.x.gov.cn/nb/list-4.shtml",
    ]
