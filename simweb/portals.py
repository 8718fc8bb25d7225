"""The bundled webs: ``build_test_web`` (5 portals, every quirk), ``build_demo_web`` (small) and
``build_large_web`` (benchmark, ≥ 2,000 pages)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from . import aliases, scripted
from .attachments import (
    MIME,
    OCTET_STREAM,
    docx_document,
    link_line,
    narrative_html,
    pdf_document,
    sample_document,
    upload_path,
    xlsx_document,
)
from .content import (
    Composed,
    ReportSeries,
    ReportSpec,
    distractor_html,
    news_item,
    para,
    seed_html,
    stable_rng,
)
from .documents import html_error_page, truncated
from .model import Attachment
from .rendered import RenderedSite, menghai
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
    return _report_item(spec, body, stats, **item_kw)


def _report_item(spec: ReportSpec, body: str, stats: dict, **item_kw) -> Item:
    """The list item of a generated report, published at a deterministic time of its day."""
    rng = stable_rng("time", spec.title)
    kw = {"time": f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}"} | item_kw
    return Item(
        title=spec.title,
        date=spec.published,
        kind="report",
        body=body,
        year=spec.year,
        region=spec.region,
        level=spec.level,
        agency=spec.agency,
        issuer=spec.issuer,
        stats=stats,
        **kw,
    )


def composed_report(
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
) -> tuple[Item, Composed]:
    """A generated report item (years ≥ 2019) and its structure, for reports whose documents
    are rendered from it; the item's ``stats`` add the key figures (``STAT_KEYS`` names)."""
    title = title or f"{region}{year}年政府信息公开工作年度报告"
    published = published or pub_date(issuer, year)
    spec = ReportSpec(year, region, level, issuer, title, published, agency=agency, parent=parent)
    composed = series.compose(spec)
    return _report_item(spec, composed.html(), composed.stats | composed.figures()), composed


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
        # The list links a PDF of the 2021 report whose only text is an English placeholder
        # line: an attachment-only report with nothing to parse.
        Item(
            "阜新市2021年政府信息公开工作年度报告（PDF）",
            D(2022, 1, 25),
            kind="attachment",
            path="/uploadfiles/202201/2021ndbg.pdf",
            year=2021,
            region=region,
            level="prefecture",
            issuer=gov,
            stats={"format": "std2021"},
            flags=("t3_missing", "no_handled_total", "no_applications_new"),
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


# 淮安市洪泽区人民政府 2023, the real report (documents_data/hongze_qu_2023_report.pdf): the
# figures as read from the document (tests/fixtures/golden/figures.json, samples README).
_HONGZE_2023_STATS = {
    "format": "std2021",
    "t3_new": 21,
    "t3_carried": 0,
    "t3_handled": 21,
    "t3_forward": 0,
    "applications_new": 21,
    "applications_carried_over": 0,
    "disclosed": 0,
    "partially_disclosed": 4,
    "not_disclosed": 3,
    "unable_to_provide": 13,
    "not_processed": 1,
    "other_handling": 0,
    "handled_total": 21,
    "carried_forward": 0,
    "reconsideration_total": 0,
    "litigation_direct_total": 0,
    "litigation_after_reconsideration_total": 0,
    "litigation_total": 0,
    "proactive_disclosures": 1136,
    "fees": 0,
}


def _hongze(series: ReportSeries) -> SiteConfig:
    """洪泽区: a report column publishing reports as attachments, the ways real portals do."""
    gov = "淮安市洪泽区人民政府"
    region = "洪泽区"
    county = (region, "county")
    minutes = dt.timedelta(minutes=17)

    def uploaded(item: Item) -> dt.datetime:
        return item.stamp - minutes  # the file goes up just before the page is published

    def as_file(item: Item, doc: Attachment) -> Item:
        """The list links the document itself."""
        item.kind, item.path, item.body, item.attachments = "report_file", doc.path, "", [doc]
        return item

    def report_pdf(c: Composed, *, scanned: bool = False) -> bytes:
        when = dt.datetime.combine(c.spec.published, dt.time(9, 0))
        # a scan of the text pages only: page images are ~100 KB each
        tables = [] if scanned else c.tables()
        return pdf_document(c.spec.title, c.paragraphs(), tables, when=when, scanned=scanned)

    # 2019: download.jsp without an extension, raw UTF-8 filename in Content-Disposition
    r2019, c2019 = composed_report(series, 2019, *county, gov)
    as_file(
        r2019,
        Attachment(
            "/attach/download.jsp?id=4711",
            report_pdf(c2019),
            OCTET_STREAM,
            uploaded(r2019),
            filename=f"{r2019.title}.pdf",
        ),
    )
    # 2020: the page has the tables; its PDF went out with other T3 figures
    r2020, c2020 = composed_report(series, 2020, *county, gov)
    draft = Attachment(
        upload_path(uploaded(r2020), 11, "pdf"),
        report_pdf(c2020.with_applications(3)),
        MIME["pdf"],
        uploaded(r2020),
    )
    r2020.body += "\n" + link_line("附件：", draft.path, f"{r2020.title}.pdf")
    r2020.attachments, r2020.held_in = [draft], "page+attachment"
    r2020.flags = ("page_attachment_disagree",)
    # 2021: the text on the page, the tables (二, 三, 四) in a workbook
    r2021, c2021 = composed_report(series, 2021, *county, gov)
    sheet_name = f"{r2021.title}统计表.xlsx"
    sheets = Attachment(
        f"/uploadfiles/{r2021.date:%Y}/{r2021.date:%m}/{quote(sheet_name)}",
        xlsx_document(r2021.title, c2021.tables(), when=uploaded(r2021)),
        MIME["xlsx"],
        uploaded(r2021),
    )
    r2021.body = narrative_html(c2021, link_line("统计表详见附件：", sheets.path, sheet_name))
    r2021.attachments, r2021.held_in = [sheets], "page+attachment"
    # 2022: the list links the PDF
    r2022, c2022 = composed_report(series, 2022, *county, gov)
    as_file(
        r2022,
        Attachment(
            upload_path(uploaded(r2022), 42, "pdf"), report_pdf(c2022), MIME["pdf"], uploaded(r2022)
        ),
    )
    # 2023: the real report, a page that only links its PDF
    r2023 = Item(
        "洪泽区人民政府2023年政府信息公开工作年度报告",
        D(2024, 2, 27),
        kind="report",
        year=2023,
        region=region,
        level="county",
        issuer=gov,
        stats=dict(_HONGZE_2023_STATS),
        time="10:15",
        flags=("t4_reconsideration_total", "t4_litigation_after_reconsideration_total"),
        held_in="attachment",
    )
    real = Attachment(
        upload_path(dt.datetime(2024, 2, 26, 14, 56, 45), 7, "pdf"),
        sample_document("hongze_qu_2023_report.pdf"),
        MIME["pdf"],
        dt.datetime(2024, 2, 26, 14, 56, 45),
    )
    r2023.body = link_line("详见附件：", real.path, f"{r2023.title}.pdf")
    r2023.attachments = [real]

    def dept(name: str, year: int) -> tuple[Item, Composed]:
        title = f"{region}{name}{year}年度政府信息公开工作年度报告"
        issuer = f"{region}{name}"
        return composed_report(
            series, year, *county, issuer, title=title, agency=name, parent=region
        )

    # a department's page: one line linking the DOCX that holds everything
    finance, c_finance = dept("财政局", 2022)
    word = Attachment(
        upload_path(uploaded(finance), 3, "docx"),
        docx_document(
            finance.title, c_finance.paragraphs(), c_finance.tables(), when=uploaded(finance)
        ),
        MIME["docx"],
        uploaded(finance),
    )
    finance.body = link_line("点击下载：", word.path, f"{finance.title}.docx")
    finance.attachments, finance.held_in = [word], "attachment"
    # download.jsp again, the filename in RFC 5987 form
    education, c_education = dept("教育局", 2022)
    as_file(
        education,
        Attachment(
            "/attach/download.jsp?id=4712",
            report_pdf(c_education),
            OCTET_STREAM,
            uploaded(education),
            filename=f"{education.title}.pdf",
            rfc5987=True,
        ),
    )
    # broken documents the list still calls reports
    town, c_town = composed_report(
        series, 2022, "岔河镇", "township", "淮安市洪泽区岔河镇人民政府", parent=region
    )
    as_file(
        town,
        Attachment(
            upload_path(uploaded(town), 5, "pdf"),
            report_pdf(c_town, scanned=True),
            MIME["pdf"],
            uploaded(town),
        ),
    )
    cut, c_cut = dept("交通运输局", 2022)
    as_file(
        cut,
        Attachment(
            upload_path(uploaded(cut), 9, "pdf"),
            truncated(report_pdf(c_cut), 0.6),
            MIME["pdf"],
            uploaded(cut),
        ),
    )
    missing, _ = dept("农业农村局", 2022)
    as_file(
        missing,
        Attachment(
            upload_path(uploaded(missing), 2, "pdf"),
            html_error_page("404 Not Found"),
            "text/html",
            uploaded(missing),
        ),
    )
    for item, flag in ((town, "needs_ocr"), (cut, "damaged_document"), (missing, "not_a_document")):
        item.flags = (flag,)
        item.stats = {"format": (item.stats or {})["format"]}  # no figures can be read
    # documents that are not reports
    work_report = Item("洪泽区2023年政府工作报告", D(2023, 1, 12), kind="file", time="16:40")
    when = dt.datetime(2023, 1, 12, 16, 20)
    work_report.attachments = [
        Attachment(
            upload_path(when, 31, "pdf"),
            pdf_document(work_report.title, _WORK_REPORT, when=when),
            MIME["pdf"],
            when,
        )
    ]
    when = dt.datetime(2021, 6, 3, 10, 0)
    form = Item("政府信息公开申请表", when.date(), kind="file", time="10:00")
    form.attachments = [
        Attachment(
            upload_path(when, 1, "docx"),
            docx_document(form.title, _FORM_NOTES, [_FORM], when=when),
            MIME["docx"],
            when,
        )
    ]
    guide = Item(
        "政府信息公开申请办事指南",
        D(2021, 6, 3),
        kind="doc",
        body=para("申请人可通过当面、邮寄、网上等方式提出政府信息公开申请。")
        + "\n"
        + link_line("申请表下载：", form.attachments[0].path, "政府信息公开申请表.docx"),
        issuer=f"{gov}办公室",
        time="10:05",
    )
    for item in (work_report, form):
        item.path = item.attachments[0].path
    reports = [r2019, r2020, r2021, r2022, r2023, finance, education, town, cut, missing]
    return SiteConfig(
        host="www.hongze.gov.cn",
        site_name=gov,
        region=region,
        short="洪泽区",
        level="county",
        region_code="320813",
        province=("江苏省", "http://www.jiangsu.gov.cn/"),
        city=("淮安市人民政府", "http://www.huaian.gov.cn/"),
        site_code="3208130006",
        icp="苏ICP备05010125号",
        reports=reports,
        news=news("洪泽区", 6, D(2024, 3, 6)) + [work_report],
        services=[guide, form],
        gzip=True,
        server="nginx/1.20.1",
        ids=9100,
    )


_WORK_REPORT = [
    "——2023年1月在洪泽区第二届人民代表大会第三次会议上",
    "各位代表：现在，我代表区人民政府，向大会报告工作，请予审议，并请区政协各位委员提出意见。",
    "一、2022年工作回顾。过去一年，我们坚持稳中求进工作总基调，全区经济社会发展取得新成效。",
    "二、2023年工作安排。今年是全面贯彻落实党的二十大精神的开局之年，做好政府工作意义重大。",
]
_FORM_NOTES = [
    "填表说明：申请人应如实填写本表，所需信息的内容描述应尽可能详细、明确。",
    "受理机关：淮安市洪泽区人民政府办公室。",
]
_FORM: list[list[str | tuple[str, int, int]]] = [
    [("申请人信息", 3, 1), "姓名/名称", "", "证件号码", ""],
    ["联系电话", "", "电子邮箱", ""],
    ["通信地址", ("", 1, 3)],
    [("所需信息情况", 2, 1), "所需信息的内容描述", ("", 1, 3)],
    ["获取信息的方式", ("□邮寄　□电子邮件　□当面领取", 1, 3)],
]


# ============================================================================ builders
def _built(site: BaseSite) -> BaseSite:
    site.build()
    return site


def _revisable(web: SimulatedWeb, sites: list[BaseSite], series: ReportSeries) -> None:
    """Attach the reviser behind ``web.revise()`` (departments as in the large web)."""
    web.reviser = Reviser(web, sites, series, report, _DEPTS)


def build_test_web() -> SimulatedWeb:
    """Six portals (seven hosts) covering every quirk the crawler must handle. Deterministic.

    洪泽区 publishes its reports as attachments (PDF/DOCX/XLSX, download.jsp links, broken
    files); its documents are rendered on the first build of a process, then cached. 勐海县's
    report column is drawn by script from JSON (:mod:`simweb.rendered`): only a browser finds it.
    ``web.revise()`` edits reports on the first five portals (not 洪泽区) and adds new ones to
    沧源 (TRS), 师宗 (jcms) and 景县 (plain ASP) — the portals without a site-search trap.
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
    # built last and left out of revisions: the five portals above keep their bytes
    _built(SimpleSite(web, _hongze(series)))
    # 勐海县: a report column drawn by script from JSON, found only by the browser
    _built(RenderedSite(web, menghai(series)))
    # 宾川 (TRS list2), 德清 (Hanweb jpage), 镇平 (加载更多), 宁陕 (JSON list): columns built by
    # script that the crawler reads without a browser (:mod:`simweb.scripted`)
    scripted.build(web, series)
    # 华宁县: pages linked as https://, http://, http://host:80/ and relative (simweb.aliases)
    aliases.build(web, series)
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
