"""Crawler traps: calendars, search, session ids, runaway queries and paths, account pages."""

import pytest

from govcrawl.discovery.traps import is_trap

TRAPS = [
    "http://www.x.gov.cn/calendar/2023-03.html",
    "http://www.x.gov.cn/rili/index.html",
    "http://www.x.gov.cn/zwgk/list.jsp?date=2023-03-15",
    "http://www.x.gov.cn/hdjl/index.jsp?year=2023&month=3",
    "http://www.x.gov.cn/search/search.jsp?searchword=%E5%B9%B4%E6%8A%A5",
    "http://www.x.gov.cn/sousuo/index.html",
    "http://www.x.gov.cn/jsearch/search.do?appid=1&webid=3134",
    "http://www.x.gov.cn/list.aspx?keyword=abc",
    "http://www.x.gov.cn/list.aspx?query=abc",
    "http://www.x.gov.cn/list.aspx?q=abc",
    "http://www.x.gov.cn/a.jsp?a=1&b=2&c=3&d=4&e=5",
    "http://www.x.gov.cn/a.jsp?token=" + "x" * 130,
    "http://www.x.gov.cn/xxgk/xxgk/xxgk/index.html",
    "http://www.x.gov.cn/a/xxgk/b/xxgk/c/xxgk/",
    "http://www.x.gov.cn/" + "/".join(f"d{i}" for i in range(13)) + "/index.html",
    "http://www.x.gov.cn/zwgk/index.jsp;jsessionid=0A1B2C3D4E5F",
    "http://www.x.gov.cn/zwgk/index.jsp?sid=9f8e7d",
    "http://www.x.gov.cn/print.jsp?id=12",
    "http://www.x.gov.cn/art/2024/1/20/art_1_2.html?action=print",
    "http://www.x.gov.cn/share/weibo.jsp?url=x",
    "http://www.x.gov.cn/member/login.jsp",
    "http://www.x.gov.cn/user/register.html",
    "javascript:void(0)",
    " JavaScript:goPage(2)",
]

NOT_TRAPS = [
    "http://www.x.gov.cn/",
    "http://www.x.gov.cn/zwgk/zfxxgknb/index_3.html",
    "http://www.x.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html",
    "http://www.x.gov.cn/art/2011/11/11/art_11_11.html",
    "http://www.x.gov.cn/col/col1229046226/index.html?uid=5588693&pageNum=2",
    "http://www.x.gov.cn/zwgk/ndbg/list.aspx?page=12",
    "http://xxgk.x.gov.cn/xxgk/czj/ndbg/",
    "http://www.x.gov.cn/xxgk/zfxxgk/xxgk/index.html",
    "http://www.x.gov.cn/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3134&path=/"
    "&columnid=1229046226&unitid=5588693&webname=%E4%BA%91%E5%92%8C%E5%8E%BF%E4%BA%BA%E6%B0%91"
    "%E6%94%BF%E5%BA%9C&permissiontype=0",
]


@pytest.mark.parametrize("url", TRAPS)
def test_traps_are_detected(url: str) -> None:
    assert is_trap(url)


@pytest.mark.parametrize("url", NOT_TRAPS)
def test_ordinary_pages_and_known_list_endpoints_are_not_traps(url: str) -> None:
    assert not is_trap(url)
