"""The bundled webs: ``build_test_web`` (5 portals, every quirk), ``build_demo_web`` (small) and
``build_large_web`` (benchmark, ≥ 2,000 pages)."""

from __future__ import annotations

import datetime as dt

from .content import ReportSeries, ReportSpec, distractor_html, news_item, seed_html, stable_rng
from .revise import Reviser
from .server import SimulatedWeb
from .styles import (
    BaseSite,
    Item,
    JcmsSite,
    PlainSite,
    PlatformSite,
    SimpleSite,
    SiteConfig,
    TrsSite,
    Unit,
)

__all__ = ["build_test_web", "build_demo_web", "build_large_web"]

D = dt.date


def pub_date(issuer: str, year: int) -> dt.date:
    """A plausible publication date (Jan–Mar of the following year), deterministic."""
    rng = stable_rng("pub", issuer, year)
    return D(year + 1, rng.choice([1, 1, 1, 2, 2, 3]), rng.randint(5, 28))


def report(
    series: ReportSeries,
    year: int,
    region: str,
    level: str,
    issuer: str,
    *,
    title: str | None = None,
    agency: str | None = None,
    parent: str = "",
    published: dt.date | None = None,
    contact: str = "",
    extra: list[str] | None = None,
    size: str = "normal",
    **item_kw,
) -> Item:
    """A generated report item (national format for years ≥ 2019)."""
    title = title or f"{region}{year}年政府信息公开工作年度报告"
    published = published or pub_date(issuer, year)
    spec = ReportSpec(
        year=year,
        region=region,
        level=level,
        issuer=issuer,
        title=title,
        published=published,
        agency=agency,
        parent=parent,
        contact=contact,
        extra=list(extra or []),
    )
    body, stats = series.render(spec, size=size)
    rng = stable_rng("time", title)
    kw = {"time": f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}"} | item_kw
    return Item(
        title=title,
        date=published,
        kind="report",
        body=body,
        year=year,
        region=region,
        level=level,
        agency=agency,
        issuer=issuer,
        stats=stats,
        **kw,
    )


def seed_report(
    n: int,
    title: str,
    year: int,
    region: str,
    level: str,
    issuer: str,
    published: dt.date,
    **item_kw,
) -> Item:
    """A report item whose body is one of the five real seed texts."""
    return Item(
        title=title,
        date=published,
        kind="report",
        body=seed_html(n),
        year=year,
        region=region,
        level=level,
        issuer=issuer,
        stats={
            "format": "pre2019" if year <= 2018 else ("std2019" if year <= 2020 else "std2021"),
            "seed": n,
        },
        **item_kw,
    )


def distractor(kind: str, title: str, date: dt.date, region: str, issuer: str, year: int) -> Item:
    return Item(
        title=title,
        date=date,
        kind="distractor",
        body=distractor_html(kind, region, year, issuer),
        issuer=issuer,
        time="15:00",
    )


def news(region: str, n: int, start: dt.date, step: int = 9) -> list[Item]:
    out = []
    for i in range(n):
        when = start - dt.timedelta(days=i * step)
        title, body = news_item(region, i, when)
        out.append(Item(title=title, date=when, kind="news", body=body, time="17:20"))
    return out


# ============================================================================ test web portals
def _cangyuan(series: ReportSeries, *, demo: bool = False) -> SiteConfig:
    gov = "沧源佤族自治县人民政府"
    region = "沧源佤族自治县"
    years = range(2019, 2023) if demo else range(2019, 2024)
    titles = {
        2019: "沧源自治县2019年政府信息公开工作年度报告",
        2020: "沧源佤族自治县2020年度政府信息公开工作年度报告",
        2021: "沧源佤族自治县人民政府2021年政府信息公开工作年度报告",
    }
    pubs = {2022: D(2023, 2, 10), 2023: D(2024, 1, 26)}
    reports = [
        seed_report(
            0,
            "沧源自治县2018年政府信息公开工作年度报告",
            2018,
            region,
            "county",
            gov,
            D(2019, 2, 18),
            time="10:20",
            source=gov,
        )
    ]
    for y in years:
        reports.append(
            report(
                series,
                y,
                region,
                "county",
                gov,
                title=titles.get(y, f"{region}{y}年政府信息公开工作年度报告"),
                published=pubs.get(y),
                aid=512345 if y == 2022 else None,
            )
        )
    reports.append(
        distractor(
            "notice",
            "关于做好2022年度政府信息公开工作年度报告编制发布工作的通知",
            D(2022, 12, 20),
            region,
            gov,
            2022,
        )
    )
    townships = [
        report(
            series,
            2022,
            "勐董镇",
            "township",
            "沧源佤族自治县勐董镇人民政府",
            title="勐董镇2022年政府信息公开工作年度报告",
            parent=region,
        )
    ]
    finance: list[Item] = []
    news_items = news("沧源县", 4 if demo else 7, D(2024, 3, 12))
    if not demo:
        reports += [
            distractor(
                "plan", "沧源佤族自治县2023年政务公开工作要点", D(2023, 4, 12), region, gov, 2023
            ),
            distractor(
                "stats",
                "2022年沧源佤族自治县国民经济和社会发展统计公报",
                D(2023, 4, 28),
                region,
                gov,
                2022,
            ),
        ]
        townships.append(
            report(
                series,
                2022,
                "岩帅镇",
                "township",
                "沧源佤族自治县岩帅镇人民政府",
                title="岩帅镇2022年度政府信息公开工作年度报告",
                parent=region,
            )
        )
        finance = [
            distractor(
                "finance",
                "关于沧源佤族自治县2022年财政预算执行情况和2023年财政预算草案的报告",
                D(2023, 1, 30),
                region,
                gov,
                2022,
            ),
            Item(
                "沧源佤族自治县2023年县本级一般公共预算收支表",
                D(2023, 2, 3),
                kind="doc",
                body="<p>单位：万元。附表略。</p>",
                issuer="沧源佤族自治县财政局",
            ),
        ]
        news_items.append(
            distractor(
                "meeting",
                "沧源县召开2023年度政务公开工作推进会",
                D(2023, 11, 8),
                "沧源县",
                gov,
                2023,
            )
        )
    return SiteConfig(
        host="www.cangyuan.gov.cn",
        site_name=gov,
        region=region,
        short="沧源",
        level="county",
        region_code="530927",
        province=("云南省", "http://www.yn.gov.cn/"),
        city=("临沧市人民政府", "http://www.lincang.gov.cn/"),
        site_code="5309270001",
        icp="滇ICP备05003011号",
        reports=reports,
        townships=townships,
        news=news_items,
        finance=finance,
        per_page=4,
        traps=("calendar",),
        lookalike=not demo,
        gzip=True,
        server="nginx/1.18.0",
        ids=512100,
    )


def _shizong(series: ReportSeries, *, demo: bool = False) -> SiteConfig:
    gov = "师宗县人民政府"
    region = "师宗县"
    years = [2023] if demo else [2020, 2021, 2022, 2023]
    reports = []
    for y in years:
        pub = D(2024, 1, 20) if y == 2023 else None
        reports.append(
            report(
                series,
                y,
                region,
                "county",
                gov,
                published=pub,
                aid=88123 if y == 2023 else None,
                source="师宗县人民政府办公室",
            )
        )
    reports.append(
        distractor(
            "rule_of_law", "师宗县2022年法治政府建设年度报告", D(2023, 3, 15), region, gov, 2022
        )
    )
    townships = [
        seed_report(
            1,
            "彩云镇2023年政府信息公开工作年度报告",
            2023,
            "彩云镇",
            "township",
            "师宗县彩云镇人民政府",
            D(2024, 1, 22),
            time="16:05",
            aid=88301,
        )
    ]
    if not demo:
        reports.append(
            report(
                series,
                2022,
                region,
                "county",
                "师宗县财政局",
                agency="财政局",
                parent=region,
                title="师宗县财政局2022年度政府信息公开工作年度报告",
                published=D(2023, 1, 28),
            )
        )
        reports += [
            distractor(
                "budget", "师宗县2021年度部门决算公开", D(2022, 9, 20), region, "师宗县财政局", 2021
            ),
            distractor(
                "enterprise",
                "关于2022年度企业年度报告公示的通知",
                D(2023, 1, 5),
                region,
                "师宗县市场监督管理局",
                2022,
            ),
        ]
        townships.append(
            report(series, 2022, "雄壁镇", "township", "师宗县雄壁镇人民政府", parent=region)
        )
    return SiteConfig(
        host="www.shizong.gov.cn",
        site_name=gov,
        region=region,
        short="师宗",
        level="county",
        region_code="530323",
        province=("云南省", "http://www.yn.gov.cn/"),
        city=("曲靖市人民政府", "http://www.qj.gov.cn/"),
        site_code="5303230002",
        icp="滇ICP备09003262号",
        reports=reports,
        townships=townships,
        news=news("师宗县", 4 if demo else 6, D(2024, 3, 8)),
        traps=() if demo else ("growing",),
        gzip=True,
        server="Apache",
        column_id=4521,
        ids=87900,
    )


def _jingxian(series: ReportSeries) -> SiteConfig:
    gov = "景县人民政府"
    region = "景县"
    contacts = {2017: "张昇", 2019: "王喆", 2020: "王喆", 2021: "李镕", 2022: "李镕", 2023: "赵堃"}
    reports = [
        seed_report(
            4,
            "景县2018年政府信息公开工作年度报告",
            2018,
            region,
            "county",
            gov,
            D(2019, 1, 17),
            time="11:00",
        )
    ]
    for y in (2017, 2019, 2020, 2021, 2022, 2023):
        reports.append(
            report(
                series,
                y,
                region,
                "county",
                gov,
                contact=contacts[y],
                redirect_from="auto" if y == 2021 else None,
            )
        )
    reports.append(
        report(
            series,
            2022,
            "堃溪镇",
            "township",
            "景县堃溪镇人民政府",
            parent=region,
            title="堃溪镇2022年政府信息公开工作年度报告",
            contact="刘喆",
        )
    )
    reports.append(
        Item(
            "景县2016年政府信息公开工作年度报告",
            D(2017, 3, 20),
            kind="dead",
            path="/xxgk/ndbg/content_1043.html",
        )
    )
    reports.append(
        distractor(
            "notice",
            "关于报送2023年度政府信息公开工作年度报告的通知",
            D(2023, 12, 15),
            region,
            gov,
            2023,
        )
    )
    return SiteConfig(
        host="www.jingxian.gov.cn",
        site_name=gov,
        region=region,
        short="景县",
        level="county",
        region_code="131127",
        province=("河北省", "http://www.hebei.gov.cn/"),
        city=("衡水市人民政府", "http://www.hengshui.gov.cn/"),
        site_code="1311270003",
        icp="冀ICP备05012345号",
        reports=reports,
        news=news("景县", 6, D(2024, 2, 26)),
        per_page=4,
        traps=("repeat",),
        encoding="gbk",
        header_charset=False,
        server="Microsoft-IIS/7.5",
        flaky_list_page=1,
        ids=1100,
    )


def _lueyang(series: ReportSeries) -> tuple[SiteConfig, SiteConfig]:
    gov = "略阳县人民政府"
    region = "略阳县"
    units = [
        Unit(
            "略阳县人民政府",
            "xzf",
            "县政府",
            [report(series, y, region, "county", gov) for y in (2021, 2022, 2023)],
            intro="略阳县人民政府办公室负责县政府信息公开日常工作。",
        ),
        Unit(
            "横现河街道办事处",
            "hxhjd",
            "乡镇/街道",
            [
                seed_report(
                    3,
                    "横现河街道办事处2016年度政府信息公开工作年度报告",
                    2016,
                    "横现河街道",
                    "township",
                    "横现河街道办事处",
                    D(2017, 3, 10),
                ),
                report(
                    series,
                    2022,
                    "横现河街道",
                    "township",
                    "横现河街道办事处",
                    parent=region,
                    title="横现河街道办事处2022年政府信息公开工作年度报告",
                ),
            ],
        ),
        Unit(
            "两河口镇人民政府",
            "lhkz",
            "乡镇/街道",
            [
                report(
                    series, 2022, "两河口镇", "township", "略阳县两河口镇人民政府", parent=region
                ),
            ],
        ),
        Unit(
            "接官亭镇人民政府",
            "jgtz",
            "乡镇/街道",
            [
                report(
                    series,
                    2023,
                    "接官亭镇",
                    "township",
                    "略阳县接官亭镇人民政府",
                    parent=region,
                    title="接官亭镇2023年度政府信息公开工作年度报告",
                ),
            ],
        ),
        Unit(
            "县财政局",
            "czj",
            "部门",
            [
                report(
                    series,
                    y,
                    region,
                    "county",
                    "略阳县财政局",
                    agency="财政局",
                    parent=region,
                    title=f"略阳县财政局{y}年度政府信息公开工作年度报告",
                )
                for y in (2021, 2022)
            ],
        ),
        Unit(
            "县教育局",
            "jyj",
            "部门",
            [
                report(
                    series,
                    2022,
                    region,
                    "county",
                    "略阳县教育局",
                    agency="教育局",
                    parent=region,
                    title="略阳县教育局2022年政府信息公开工作年度报告",
                ),
                distractor(
                    "budget",
                    "略阳县教育局2022年度部门决算",
                    D(2023, 8, 30),
                    region,
                    "略阳县教育局",
                    2022,
                ),
            ],
        ),
    ]
    www = SiteConfig(
        host="www.lueyang.gov.cn",
        site_name=gov,
        region=region,
        short="略阳县",
        level="county",
        region_code="610727",
        province=("陕西省", "http://www.shaanxi.gov.cn/"),
        city=("汉中市人民政府", "http://www.hanzhong.gov.cn/"),
        site_code="6107270004",
        icp="陕ICP备06004567号",
        news=news("略阳县", 6, D(2024, 3, 1)),
        xxgk_host="xxgk.lueyang.gov.cn",
        ids=7000,
    )
    xxgk = SiteConfig(
        host="xxgk.lueyang.gov.cn",
        site_name="略阳县政府信息公开平台",
        region=region,
        short="略阳县",
        level="county",
        region_code="610727",
        province=("陕西省", "http://www.shaanxi.gov.cn/"),
        site_code="6107270004",
        icp="陕ICP备06004567号",
        units=units,
        traps=("search",),
        robots=False,
        gzip=True,
        server="nginx",
        listed=False,
        ids=3000,
    )
    return www, xxgk


def _fuxin(series: ReportSeries) -> SiteConfig:
    gov = "阜新市人民政府"
    region = "阜新市"
    old_2020 = report(
        series,
        2020,
        region,
        "prefecture",
        gov,
        published=D(2021, 1, 28),
        path="/old/zfxxgknb/2020ndbg.html",
    )
    old_2020.kind = "disallowed"  # under robots.txt Disallow: /old/
    reports = [
        seed_report(
            2,
            "阜新市2019年政府信息公开工作年度报告",
            2019,
            region,
            "prefecture",
            gov,
            D(2020, 1, 20),
            time="14:30",
        ),
        old_2020,
        Item(
            "阜新市2021年政府信息公开工作年度报告（PDF）",
            D(2022, 1, 25),
            kind="attachment",
            path="/uploadfiles/202201/2021ndbg.pdf",
        ),
        report(series, 2022, region, "prefecture", gov, published=D(2023, 1, 30)),
        report(series, 2023, region, "prefecture", gov, published=D(2024, 1, 26)),
        distractor("work_report", "阜新市2022年政府工作报告", D(2022, 1, 12), region, gov, 2022),
    ]
    return SiteConfig(
        host="www.fuxin.gov.cn",
        site_name=gov,
        region=region,
        short="阜新市",
        level="prefecture",
        region_code="210900",
        province=("辽宁省", "http://www.ln.gov.cn/"),
        site_code="2109000005",
        icp="辽ICP备05001234号",
        reports=reports,
        news=news("阜新市", 6, D(2024, 3, 5)),
        traps=("search",),
        robots_disallow=("/admin/", "/old/"),
        home_redirect=True,
        server="nginx",
        ids=4100,
    )


# ============================================================================ builders
def _built(site: BaseSite) -> BaseSite:
    site.build()
    return site


def _revisable(web: SimulatedWeb, sites: list[BaseSite], series: ReportSeries) -> None:
    """Attach the reviser behind ``web.revise()`` (departments as in the large web)."""
    web.reviser = Reviser(web, sites, series, report, _DEPTS)


def build_test_web() -> SimulatedWeb:
    """Five portals (six hosts) covering every quirk the crawler must handle. Deterministic.

    ``web.revise()`` edits reports on all portals and adds new ones to 沧源 (TRS), 师宗
    (jcms) and 景县 (plain ASP) — the portals without a site-search trap.
    """
    web = SimulatedWeb("test")
    series = ReportSeries()
    # built one after the other: configs render reports, and the series' order matters
    sites = [
        _built(TrsSite(web, _cangyuan(series))),
        _built(JcmsSite(web, _shizong(series))),
        _built(PlainSite(web, _jingxian(series))),
    ]
    www, xxgk = _lueyang(series)
    sites += [
        _built(SimpleSite(web, www)),
        _built(PlatformSite(web, xxgk)),
        _built(SimpleSite(web, _fuxin(series))),
    ]
    _revisable(web, sites, series)
    web.host("www.jingxian.gov.cn").extra_headers.append(("X-Powered-By", "ASP.NET"))
    # A session cookie, as ASP portals send: exercises the cookie jar (and its Public Suffix lookups).
    web.host("www.jingxian.gov.cn").extra_headers.append(("Set-Cookie", "ASPSESSIONIDQSTCRDAB=KDLFHPBCJMNO; path=/"))
    return web


def build_demo_web() -> SimulatedWeb:
    """Two portals (TRS + jcms), eight reports, one calendar trap: for ``govcrawl demo``."""
    web = SimulatedWeb("demo")
    series = ReportSeries()
    sites = [
        _built(TrsSite(web, _cangyuan(series, demo=True))),
        _built(JcmsSite(web, _shizong(series, demo=True))),
    ]
    _revisable(web, sites, series)
    return web


# ---------------------------------------------------------------------------- large web
_NAME_A = "安宁平和清永兴泰丰昌德庆华康顺福瑞长新嘉"
_NAME_B = "山河源川阳江溪林城乐远宁丰泉水陵原岭谷"
_DEPTS = [
    "财政局",
    "教育局",
    "民政局",
    "卫生健康局",
    "自然资源局",
    "交通运输局",
    "生态环境局",
    "农业农村局",
    "住房和城乡建设局",
    "人力资源和社会保障局",
]
_TOWN_SUFFIX = ["镇", "镇", "乡", "街道"]
_PROVINCES = [
    ("云南省", "http://www.yn.gov.cn/"),
    ("河北省", "http://www.hebei.gov.cn/"),
    ("陕西省", "http://www.shaanxi.gov.cn/"),
    ("辽宁省", "http://www.ln.gov.cn/"),
    ("四川省", "http://www.sc.gov.cn/"),
    ("湖南省", "http://www.hunan.gov.cn/"),
]


def _county_name(i: int) -> str:
    a = _NAME_A[(i * 7) % len(_NAME_A)]
    b = _NAME_B[(i * 3 + i // len(_NAME_A)) % len(_NAME_B)]
    return f"{a}{b}县"


def _large_portal(series: ReportSeries, i: int, reports_per_portal: int, traps: bool) -> SiteConfig:
    region = _county_name(i)
    code = f"{i + 1:03d}"
    gov = f"{region}人民政府"
    rng = stable_rng("large", i)
    own_years = list(range(2023 - min(8, reports_per_portal) + 1, 2024))
    reports: list[Item] = [
        report(series, y, region, "county", gov, size="normal") for y in own_years
    ]
    townships: list[Item] = []
    k = len(reports)
    d = 0
    while k < reports_per_portal:
        if k % 3 == 2:
            town = f"{_NAME_B[(i + k) % len(_NAME_B)]}{_NAME_A[(i * 5 + k) % len(_NAME_A)]}{_TOWN_SUFFIX[k % 4]}"
            issuer = f"{region}{town}办事处" if town.endswith("街道") else f"{region}{town}人民政府"
            townships.append(
                report(
                    series, 2023 - (k % 2), town, "township", issuer, parent=region, size="normal"
                )
            )
        else:
            dept = _DEPTS[d % len(_DEPTS)]
            year = 2023 - (d // len(_DEPTS))
            reports.append(
                report(
                    series,
                    year,
                    region,
                    "county",
                    f"{region}{dept}",
                    agency=dept,
                    parent=region,
                    title=f"{region}{dept}{year}年度政府信息公开工作年度报告",
                    size="normal",
                )
            )
            d += 1
        k += 1
    reports += [
        distractor(
            "notice",
            "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
            D(2023, 12, 18),
            region,
            gov,
            2023,
        ),
        distractor(
            "plan",
            f"{region}2023年政务公开工作要点",
            D(2023, 4, rng.randint(3, 28)),
            region,
            gov,
            2023,
        ),
        distractor(
            "stats", f"2022年{region}国民经济和社会发展统计公报", D(2023, 4, 26), region, gov, 2022
        ),
    ]
    style = ("trs", "jcms", "plain")[i % 3]
    return SiteConfig(
        host=f"www.county{code}.gov.cn",
        site_name=gov,
        region=region,
        short=region[:-1],
        level="county",
        region_code=f"99{i + 1:04d}",
        province=_PROVINCES[i % len(_PROVINCES)],
        site_code=f"99{i + 1:04d}0001",
        icp=f"ICP备20{i + 1:06d}号",
        reports=reports,
        townships=townships,
        news=news(region[:-1] + "县", 24, D(2024, 3, 20), step=5),
        per_page=8,
        traps=((("calendar",), ("growing",), ("repeat",))[i % 3] if traps and i % 10 == 0 else ()),
        gzip=(i % 2 == 0),
        encoding="gbk" if style == "plain" and i % 2 else "utf-8",
        header_charset=not (style == "plain" and i % 2),
        ids=100000 + i * 1000,
        server=("nginx", "Apache", "Microsoft-IIS/7.5")[i % 3],
    )


def build_large_web(
    n_portals: int = 50, reports_per_portal: int = 20, *, traps: bool = False
) -> SimulatedWeb:
    """``n_portals`` generated county portals rotating TRS / jcms / plain styles.

    Hosts ``www.county001.gov.cn`` …; each has ``reports_per_portal`` reports (own reports,
    departments, a 乡镇 sub-column), three distractors and 24 news items. With the defaults
    more than 2,000 pages. ``traps=True`` adds a trap to every tenth portal. Revisable
    (``web.revise()``) like the test web.
    """
    web = SimulatedWeb("large")
    series = ReportSeries()
    sites: list[BaseSite] = []
    for i in range(n_portals):
        cfg = _large_portal(series, i, reports_per_portal, traps)
        sites.append(_built((TrsSite, JcmsSite, PlainSite)[i % 3](web, cfg)))
    _revisable(web, sites, series)
    return web
