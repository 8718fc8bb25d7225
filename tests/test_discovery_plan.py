"""The focused-crawl planner on saved pages: home → section → unit → column → list → report."""

from pathlib import Path

import pytest

from govcrawl.discovery.plan import Limits, Role, Step, plan

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
LUEYANG = ("lueyang.gov.cn",)


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _by_role(steps: list[Step]) -> dict[Role, dict[str, Step]]:
    grouped: dict[Role, dict[str, Step]] = {role: {} for role in Role}
    for step in steps:
        grouped[step.role][step.url] = step
    return grouped


@pytest.fixture(scope="module")
def home() -> list[Step]:
    return plan(_read("home_trs.html"), "http://www.lueyang.gov.cn/", Role.HOME, domains=LUEYANG)


def test_home_page_leads_to_disclosure_sections(home: list[Step]) -> None:
    sections = _by_role(home)[Role.SECTION]
    assert set(sections) == {"http://www.lueyang.gov.cn/zwgk/", "http://xxgk.lueyang.gov.cn/"}
    assert sections["http://xxgk.lueyang.gov.cn/"].text == "政府信息公开平台"  # image alt text
    assert all(step.hops == 1 for step in sections.values())


def test_home_page_offers_the_report_column_and_a_featured_report(home: list[Step]) -> None:
    grouped = _by_role(home)
    assert list(grouped[Role.COLUMN]) == ["http://www.lueyang.gov.cn/zwgk/zfxxgknb/"]
    report = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html"
    assert list(grouped[Role.REPORT]) == [report]  # fragment removed
    assert grouped[Role.REPORT][report].text == "略阳县2022年政府信息公开工作年度报告"


def test_home_page_drops_news_notices_traps_offsite_and_non_http_links(home: list[Step]) -> None:
    urls = {step.url for step in home}
    assert len(urls) == len(home)  # deduplicated
    assert not any("xwzx" in url or "tzgg" in url or "zfgzbg" in url for url in urls)
    assert not any("search" in url or "rili" in url or "login" in url for url in urls)
    # The report's PDF, listed next to its page, is that page's attachment (not a second report).
    pdfs = [step for step in home if step.url.endswith(".pdf")]
    assert [(s.role, s.parent) for s in pdfs] == [
        (Role.ATTACHMENT, "http://www.lueyang.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html")]
    assert all(url.startswith("http://") and "#" not in url for url in urls)
    assert all(".lueyang.gov.cn/" in url and "example.com" not in url for url in urls)


def test_section_page_leads_to_units_columns_and_nested_sections() -> None:
    steps = plan(
        _read("section_trs.html"),
        "http://www.lueyang.gov.cn/zwgk/index.html",
        Role.SECTION,
        hops=1,
        domains=LUEYANG,
    )
    grouped = _by_role(steps)
    base = "http://www.lueyang.gov.cn/zwgk/"  # from <base href>
    assert grouped[Role.SECTION][base + "fdzdgknr/"].hops == 2
    assert list(grouped[Role.COLUMN]) == [base + "zfxxgknb/"]
    units = {step.text for step in grouped[Role.UNIT].values()}
    assert {"部门信息公开", "乡镇信息公开", "县政府办公室", "县财政局", "县政务服务中心"} <= units
    assert {"兴州街道办事处", "接官亭镇", "白水江镇", "黑河镇"} <= units
    assert all(step.hops == 1 for step in grouped[Role.UNIT].values())
    assert [step.text for step in grouped[Role.REPORT].values()] == [
        "略阳县财政局2022年度政府信息公开工作年度报告"
    ]
    texts = {step.text for step in steps}
    for distractor in (
        "政府信息公开指南",
        "依申请公开",
        "重点领域信息公开",
        "政策解读",
        "新闻中心",
    ):
        assert distractor not in texts
    assert not any("zwgk/zwgk/zwgk" in step.url or "calendar" in step.url for step in steps)
    assert not any("list.jsp" in step.url for step in steps)


def test_section_nesting_stops_at_max_section_hops() -> None:
    steps = plan(_read("section_trs.html"), "http://www.lueyang.gov.cn/zwgk/", Role.SECTION, hops=3)
    assert not _by_role(steps)[Role.SECTION]
    assert _by_role(steps)[Role.UNIT]  # units and columns are still followed


def test_platform_unit_tree_gives_units_and_categories() -> None:
    steps = plan(
        _read("platform_units.html"), "http://xxgk.lueyang.gov.cn/", Role.SECTION, 1, LUEYANG
    )
    grouped = _by_role(steps)
    units = {step.text for step in grouped[Role.UNIT].values()}
    assert {"县政府部门", "乡镇（街道）", "略阳县人民政府办公室", "县消防救援大队"} <= units
    assert {"兴州街道办事处", "郭镇", "县行政审批服务中心"} <= units
    assert list(grouped[Role.COLUMN]) == ["http://xxgk.lueyang.gov.cn/xxgk/ndbg/"]
    assert "略阳县人民政府门户网站" not in units
    assert not any("rili" in step.url or "print" in step.url for step in steps)


def test_unit_page_leads_to_its_column_and_nested_units_until_the_limit() -> None:
    url = "http://xxgk.lueyang.gov.cn/xxgk/jgtz/"
    grouped = _by_role(plan(_read("unit_town.html"), url, Role.UNIT, 1, LUEYANG))
    assert list(grouped[Role.COLUMN]) == ["http://xxgk.lueyang.gov.cn/xxgk/jgtz/ndbg/"]
    assert "http://xxgk.lueyang.gov.cn/xxgk/jgtz/jgtc/" in grouped[Role.UNIT]
    assert all(step.hops == 2 for step in grouped[Role.UNIT].values())
    assert len(grouped[Role.REPORT]) == 1
    capped = _by_role(plan(_read("unit_town.html"), url, Role.UNIT, Limits().max_unit_hops))
    assert not capped[Role.UNIT] and capped[Role.COLUMN]


def test_trs_column_lists_reports_pages_and_sub_columns() -> None:
    url = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/index.html"
    grouped = _by_role(plan(_read("column_trs.html"), url, Role.COLUMN, 1, LUEYANG))
    column = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/"
    assert [step.text for step in grouped[Role.REPORT].values()] == [
        "略阳县2022年政府信息公开工作年度报告",
        "略阳县财政局2022年度政府信息公开工作年度报告",  # the title attribute, not "..."
        "兴州街道办事处2022年度政府信息公开工作年度报告",
        "略阳县发展和改革局2021年政府信息公开工作...",  # truncated, no title: still a report
    ]
    assert list(grouped[Role.LIST]) == [f"{column}index_{k}.html" for k in range(1, 5)]
    assert all(step.hops == 1 for step in grouped[Role.LIST].values())
    for sub in ("xzfnb/", "bmnb/", "xznb/", "2022/", "2021/"):
        assert grouped[Role.COLUMN][column + sub].hops == 2
    assert "http://www.lueyang.gov.cn/zwgk/zcwj/2022/" not in grouped[Role.COLUMN]
    assert not grouped[Role.SECTION] and not grouped[Role.UNIT]  # no wandering off a column


def test_jcms_column_reports_come_from_title_attributes() -> None:
    url = "http://www.yunhe.gov.cn/col/col1229046226/index.html"
    steps = plan(_read("column_jcms.html"), url, Role.COLUMN, 1, ("yunhe.gov.cn",))
    grouped = _by_role(steps)
    assert [step.text for step in grouped[Role.REPORT].values()] == [
        "云和县2023年政府信息公开工作年度报告",
        "云和县财政局2023年度政府信息公开工作年度报告",
        "崇头镇2023年政府信息公开工作年度报告",
    ]
    assert all(step.hops == 0 for step in grouped[Role.REPORT].values())
    nextgroup, group = sorted(grouped[Role.LIST].values(), key=lambda step: step.data is not None)
    assert "/module/web/jpage/dataproxy.jsp?page=1" in nextgroup.url
    # totalRecord: 38 and 8 records in the page: the group is asked for as jpage.js asks (POST)
    assert group.data is not None and group.data.method == "POST"
    assert group.url.endswith("/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15")
    assert {step.text for step in grouped[Role.COLUMN].values()} == {
        "县政府信息公开年报",
        "部门信息公开年报",
        "乡镇（街道）信息公开年报",
    }
    assert not any("lishui.gov.cn" in step.url for step in steps)
    (pdf,) = [step for step in steps if "downfile" in step.url]  # the report's PDF, next to it
    assert (pdf.role, pdf.parent) == (
        Role.ATTACHMENT, "http://www.yunhe.gov.cn/art/2024/1/20/art_1229046226_59012345.html")
    assert not any("jsearch" in step.url for step in steps)


def test_jcms_dataproxy_page_continues_to_the_next_group() -> None:
    url = "http://www.yunhe.gov.cn/module/web/jpage/dataproxy.jsp?page=1&columnid=1229046226"
    grouped = _by_role(plan(_read("dataproxy_jcms.xml"), url, Role.LIST, 1, ("yunhe.gov.cn",)))
    assert len(grouped[Role.REPORT]) == 3
    (nextgroup,) = grouped[Role.LIST].values()
    assert "page=2" in nextgroup.url and nextgroup.hops == 2


def test_plain_list_page_yields_reports_and_all_pages() -> None:
    url = "http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page=2"
    grouped = _by_role(plan(_read("list_plain.html"), url, Role.LIST, 1))
    assert len(grouped[Role.REPORT]) == 3  # 工作总结 is not a report
    pages = {f"http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page={n}" for n in range(1, 13)}
    assert set(grouped[Role.LIST]) == pages - {url}
    assert all(step.hops == 2 for step in grouped[Role.LIST].values())


def test_list_pages_stop_at_max_list_pages() -> None:
    url = "http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page=2"
    limits = Limits(max_list_pages=5)
    steps = plan(_read("list_plain.html"), url, Role.LIST, 5, limits=limits)
    assert not _by_role(steps)[Role.LIST]
    steps = plan(_read("list_plain.html"), url, Role.LIST, 1, limits=limits)
    assert len(_by_role(steps)[Role.LIST]) <= 5


def test_report_pages_plan_nothing_yet() -> None:
    assert plan(_read("home_trs.html"), "http://www.lueyang.gov.cn/x.html", Role.REPORT) == []


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html><body><a href='",
        "<<<<>>>>",
        "\x00\x01<a href='/zwgk/'>政务公开</a>",
        "\ud800<a href='/zwgk/'>政务公开</a>",
        b"<a href='/zwgk/'>\xd5\xfe\xce\xf1\xb9\xab\xbf\xaa</a>",  # GBK bytes
        None,
        12345,
    ],
)
def test_broken_or_odd_input_never_raises(html: object) -> None:
    steps = plan(html, "http://www.x.gov.cn/", Role.HOME)  # type: ignore[arg-type]
    assert all(step.url == "http://www.x.gov.cn/zwgk/" for step in steps)


def test_bytes_are_decoded_and_planned() -> None:
    html = "<a href='/zwgk/'>政务公开</a>".encode("gb18030")
    assert plan(html, "http://www.x.gov.cn/", Role.HOME) == [  # type: ignore[arg-type]
        Step("http://www.x.gov.cn/zwgk/", Role.SECTION, "政务公开", 1)
    ]


def test_role_given_as_a_string_is_accepted() -> None:
    steps = plan("<a href='/zwgk/'>政务公开</a>", "http://www.x.gov.cn/", "home")  # type: ignore[arg-type]
    assert steps == [Step("http://www.x.gov.cn/zwgk/", Role.SECTION, "政务公开", 1)]


def test_relative_link_repeating_the_page_directory_is_not_followed() -> None:
    html = '<a href="xxgk/index.html">信息公开</a><a href="ndbg/list.asp">政府信息公开年报</a>'
    steps = plan(html, "http://www.jingxian.gov.cn/xxgk/index.html", Role.SECTION, 1)
    assert [step.url for step in steps] == ["http://www.jingxian.gov.cn/xxgk/ndbg/list.asp"]


def test_scope_given_as_a_single_string_is_one_domain() -> None:
    html = (
        '<a href="http://xxgk.x.gov.cn/">信息公开</a><a href="http://x.gov.com/zwgk/">政务公开</a>'
    )
    steps = plan(html, "http://www.x.gov.cn/", Role.HOME, domains="x.gov.cn")  # type: ignore[arg-type]
    assert [step.url for step in steps] == ["http://xxgk.x.gov.cn/"]


def test_jcms_next_group_chain_stops_at_max_list_pages() -> None:
    url = "http://www.yunhe.gov.cn/module/web/jpage/dataproxy.jsp?page=1&columnid=1229046226"
    html = _read("dataproxy_jcms.xml")
    steps = plan(html, url, Role.LIST, hops=3, limits=Limits(max_list_pages=3))
    assert not _by_role(steps)[Role.LIST] and len(_by_role(steps)[Role.REPORT]) == 3


# --- attachments and list dates ------------------------------------------------------------

from govcrawl.discovery.markup import Link, links_from_tree, parse_html  # noqa: E402
from govcrawl.discovery.plan import Role, attachment_steps, is_download_link  # noqa: E402


def test_attachment_steps_from_the_article_only() -> None:
    html = """<html><body><div class="nav"><a href="/xzzx/index.html">下载中心</a>
      <a href="/guide.pdf">办事指南.pdf</a></div>
      <div id="zoom"><p>详见附件。</p>
      <p><a href="/uploadfiles/2024/01/a.pdf">洪泽区2023年政府信息公开工作年度报告.pdf</a></p>
      <p><a href="/attach/download.jsp?id=4711">附件：统计表</a></p>
      <p><a href="/attach/download.jsp?id=4712">返回</a></p>
      <p><a href="http://www.other.gov.cn/x.docx">外站.docx</a></p>""" + "<p>正文</p>" * 80 + """
      </div></body></html>"""
    steps = attachment_steps(html, "http://www.hongze.gov.cn/art/1.html", ("hongze.gov.cn",))
    assert [(s.url, s.role) for s in steps] == [
        ("http://www.hongze.gov.cn/uploadfiles/2024/01/a.pdf", Role.ATTACHMENT),
        ("http://www.hongze.gov.cn/attach/download.jsp?id=4711", Role.ATTACHMENT),
    ]


def test_download_links() -> None:
    assert is_download_link(Link("http://a.gov.cn/f/x.PDF", "x"))
    assert is_download_link(Link("http://a.gov.cn/down/downfile.jsp?id=9", "点击下载"))
    assert not is_download_link(Link("http://a.gov.cn/down/index.html", "下载中心"))
    assert not is_download_link(Link("http://a.gov.cn/attach/download.jsp?id=9", "返回"))


def test_list_rows_give_their_date_not_the_titles_year() -> None:
    tree = parse_html("""<ul><li><a href="/a.html">2023年年度报告</a><span>2024-01-26</span></li>
      <li><a href="/b.html">2022年年度报告</a> [2023年1月9日]</li>
      <li><a href="/c.html">2021年3月5日会议</a></li></ul>""")
    dates = {link.url.rsplit("/", 1)[1]: link.date for link in links_from_tree(tree, "http://x.gov.cn/")}
    assert dates == {"a.html": "2024-01-26", "b.html": "2023-01-09", "c.html": ""}
