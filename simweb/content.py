"""Text generators: annual reports (national formats), news, distractors and the real seeds."""

from __future__ import annotations

import datetime as dt
import html
import random
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

__all__ = [
    "Cell",
    "Composed",
    "ReportSpec",
    "ReportSeries",
    "Table",
    "html_table",
    "seed_text",
    "seed_html",
    "news_item",
    "distractor_html",
    "stable_rng",
]

APPLICANT_COLS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def stable_rng(*key: object) -> random.Random:
    """A deterministic RNG seeded from a key (independent of PYTHONHASHSEED)."""
    text = "\x1f".join(str(k) for k in key)
    seed = 0
    for ch in text.encode("utf-8"):
        seed = (seed * 131 + ch) % (1 << 61)
    return random.Random(seed)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def para(text: str, *, indent: bool = True) -> str:
    style = ' style="text-indent:2em;"' if indent else ""
    return f"<p{style}>{esc(text)}</p>"


def heading(text: str) -> str:
    return f'<p style="text-indent:2em;"><strong>{esc(text)}</strong></p>'


# ---------------------------------------------------------------------------- seeds
SEED_FILES = {
    0: "000_3ad8274184e1d7c7.txt",
    1: "001_d6fad5ee196bcc37.txt",
    2: "002_2494e1b8728ee7a1.txt",
    3: "003_d2b3fed2330643c7.txt",
    4: "004_b6bf35f4b5744c45.txt",
}


@cache
def seed_text(n: int) -> str:
    """The text of real report seed ``n`` (0–4) as bundled in ``simweb/texts``."""
    return resources.files("simweb").joinpath("texts", SEED_FILES[n]).read_text("utf-8")


def seed_html(n: int) -> str:
    """Seed ``n`` as HTML: one ``<p>`` per non-empty text line."""
    return "\n".join(para(line.strip()) for line in seed_text(n).splitlines() if line.strip())


# ---------------------------------------------------------------------------- reports
@dataclass
class ReportSpec:
    """What a generated report is about."""

    year: int
    region: str  # ExpectedReport.region
    level: str  # province|prefecture|county|township
    issuer: str  # the body publishing it (人民政府 / 局 / 街道办事处)
    title: str
    published: dt.date
    agency: str | None = None
    parent: str = ""  # the county/city above (for townships and departments)
    province: str = "云南省"
    contact: str = ""  # a person name for the contact line (GBK-only characters welcome)
    extra: list[str] = field(default_factory=list)  # extra paragraphs appended to 六


def report_format(year: int) -> str:
    if year <= 2018:
        return "pre2019"
    return "std2019" if year <= 2020 else "std2021"


def _scale(level: str, agency: str | None) -> float:
    if agency:
        return 0.15
    return {"province": 8.0, "prefecture": 3.0, "county": 1.0, "township": 0.12}.get(level, 1.0)


def _congress(year: int) -> str:
    if year <= 2017:
        return "党的十八大和十八届历次全会"
    if year <= 2021:
        return "党的十九大和十九届历次全会"
    if year == 2022:
        return "党的二十大"
    return "党的二十大和二十届二中全会"


def _upper(spec: ReportSpec) -> str:
    if spec.agency or spec.level == "township":
        kind = (spec.parent or "县")[-1]
        return f"{kind}委、{kind}政府"
    return {"prefecture": "省委、省政府", "province": "党中央、国务院"}.get(spec.level, "省、市")


def _self_ref(spec: ReportSpec) -> str:
    if spec.agency:
        return "我局"
    return {
        "township": "我镇"
        if spec.region.endswith("镇")
        else ("我乡" if spec.region.endswith("乡") else "我街道"),
        "prefecture": "我市",
        "province": "我省",
    }.get(spec.level, "我区" if spec.region.endswith("区") else "我县")


def _platform(spec: ReportSpec) -> str:
    if spec.agency or spec.level == "township":
        return f"{spec.parent}人民政府门户网站“政府信息公开”专栏、政务公开栏、微信公众号"
    return f"{spec.region}人民政府门户网站、政务新媒体、政府公报及新闻发布会"


# (row key, label, weight) of 三、本年度办理结果; (六) differs by format
_T3_ROWS_COMMON = [
    ("(一)", "（一）予以公开", 0.46),
    ("(二)", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 0.08),
    ("(三)1", "1.属于国家秘密", 0.01),
    ("(三)2", "2.其他法律行政法规禁止公开", 0.01),
    ("(三)3", "3.危及“三安全一稳定”", 0.005),
    ("(三)4", "4.保护第三方合法权益", 0.02),
    ("(三)5", "5.属于三类内部事务信息", 0.01),
    ("(三)6", "6.属于四类过程性信息", 0.02),
    ("(三)7", "7.属于行政执法案卷", 0.01),
    ("(三)8", "8.属于行政查询事项", 0.03),
    ("(四)1", "1.本机关不掌握相关政府信息", 0.2),
    ("(四)2", "2.没有现成信息需要另行制作", 0.03),
    ("(四)3", "3.补正后申请内容仍不明确", 0.03),
    ("(五)1", "1.信访举报投诉类申请", 0.03),
    ("(五)2", "2.重复申请", 0.03),
    ("(五)3", "3.要求提供公开出版物", 0.005),
    ("(五)4", "4.无正当理由大量反复申请", 0.005),
    ("(五)5", "5.要求行政机关确认或重新出具已获取信息", 0.005),
]
_T3_ROWS_2019_OTHER = [("(六)", "（六）其他处理", 0.02)]
_T3_ROWS_2021_OTHER = [
    ("(六)1", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", 0.01),
    ("(六)2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", 0.003),
    ("(六)3", "3.其他", 0.01),
]


Cell = str | tuple[str, int, int]  # text, rowspan, colspan (covered positions omitted, as in HTML)
Table = list[list[Cell]]
#: ("h" | "p" | "right", text) or ("table", Table): one block of a report body, in order
Block = tuple[str, str | Table]
_T3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


class ReportSeries:
    """Generates reports; keeps 结转 figures so this year's 二 equals last year's 四."""

    def __init__(self) -> None:
        self._forward: dict[tuple[str, int], list[int]] = {}

    def render(self, spec: ReportSpec, *, size: str = "normal") -> tuple[str, dict]:
        """HTML body of the report and a small stats dict (format + T3 totals)."""
        if report_format(spec.year) == "pre2019":
            rng = stable_rng("report", spec.issuer, spec.year, spec.title)
            return _render_pre2019(spec, rng), {"format": "pre2019"}
        composed = self.compose(spec, size=size)
        return composed.html(), composed.stats

    def compose(self, spec: ReportSpec, *, size: str = "normal") -> Composed:
        """A national-format report (year ≥ 2019) as structure: blocks, tables and figures.

        Draws the same numbers as :meth:`render` would for the same spec (and continues the
        series' 结转 the same way): ``compose(spec).html()`` is ``render(spec)[0]``."""
        rng = stable_rng("report", spec.issuer, spec.year, spec.title)
        fmt = report_format(spec.year)
        if fmt == "pre2019":
            raise ValueError(f"compose() needs a national-format year (≥ 2019), not {spec.year}")
        carried = self._forward.get((spec.issuer, spec.year - 1))
        t3 = _t3_numbers(spec, rng, fmt, carried)
        self._forward[(spec.issuer, spec.year)] = t3["四"]
        blocks, t4, proactive = _national_blocks(spec, rng, fmt, t3, size)
        return Composed(spec, fmt, blocks, t3, t4, proactive)


@dataclass
class Composed:
    """A generated national-format report: its body as blocks, its tables and figures."""

    spec: ReportSpec
    format: str
    blocks: list[Block]
    t3: dict
    t4: list[int]
    proactive: int  # 主动公开政府信息 … 条, as the text of 一 states it

    def html(self) -> str:
        """The report body as the portals' article pages show it."""
        out = []
        for kind, value in self.blocks:
            if not isinstance(value, str):
                out.append(html_table(value))
            elif kind == "h":
                out.append(heading(value))
            elif kind == "right":
                out.append(f'<p style="text-align:right;">{esc(value)}</p>')
            else:
                out.append(para(value))
        return "\n".join(out)

    def paragraphs(self) -> list[str]:
        """The text blocks (headings included), tables left out."""
        return [v for _, v in self.blocks if isinstance(v, str)]

    def tables(self) -> list[Table]:
        """T2, T3 and T4 in the official layout (merged header cells as spans)."""
        return [v for _, v in self.blocks if not isinstance(v, str)]

    def with_applications(self, delta: int) -> Composed:
        """The same report with ``delta`` more applications from 自然人, all disclosed — as
        a draft that went out with other figures: T3 still balances, the text follows."""
        t3 = {k: v if k == "_rows" else list(v) for k, v in self.t3.items()}
        for key in ("一", "(一)", "(七)"):
            t3[key][0] += delta
            t3[key][-1] += delta
        moves = {
            f"申请{self.t3['一'][-1]}件": f"申请{t3['一'][-1]}件",
            f"办结{self.t3['(七)'][-1]}件": f"办结{t3['(七)'][-1]}件",
        }
        blocks: list[Block] = []
        for kind, value in self.blocks:
            if not isinstance(value, str) and value[0][0] == (_T3_CORNER, 3, 3):
                value = _t3_grid(t3)
            elif isinstance(value, str) and value.startswith("（二）依申请公开。"):
                for old, new in moves.items():
                    value = value.replace(old, new, 1)
            blocks.append((kind, value))
        return Composed(self.spec, self.format, blocks, t3, self.t4, self.proactive)

    @property
    def stats(self) -> dict:
        """The small stats dict of :meth:`ReportSeries.render` (format + T3 totals)."""
        t3 = self.t3
        return {
            "format": self.format,
            "t3_new": t3["一"][-1],
            "t3_carried": t3["二"][-1],
            "t3_handled": t3["(七)"][-1],
            "t3_forward": t3["四"][-1],
        }

    def figures(self) -> dict[str, int]:
        """The key figures as ``govcrawl.report.analyse.STAT_KEYS`` names them, from the
        generated numbers: the T3/T4 totals and the 主动公开 count of the text."""
        t3, t4 = self.t3, self.t4

        def group(prefix: str) -> int:
            return sum(t3[k][-1] for k, _, _ in t3["_rows"] if k.startswith(prefix))

        return {
            "applications_new": t3["一"][-1],
            "applications_carried_over": t3["二"][-1],
            "disclosed": t3["(一)"][-1],
            "partially_disclosed": t3["(二)"][-1],
            "not_disclosed": group("(三)"),
            "unable_to_provide": group("(四)"),
            "not_processed": group("(五)"),
            "other_handling": group("(六)"),
            "handled_total": t3["(七)"][-1],
            "carried_forward": t3["四"][-1],
            "reconsideration_total": t4[4],
            "litigation_direct_total": t4[9],
            "litigation_after_reconsideration_total": t4[14],
            "litigation_total": t4[9] + t4[14],
            "proactive_disclosures": self.proactive,
        }


def _t3_numbers(spec: ReportSpec, rng: random.Random, fmt: str, carried: list[int] | None) -> dict:
    scale = _scale(spec.level, spec.agency)
    means = [40, 4, 0.2, 0.3, 1.2, 0.8]
    new = [
        max(0, int(rng.gauss(m * scale, m * scale * 0.5) + 0.5))
        if m * scale >= 1
        else (1 if rng.random() < m * scale else 0)
        for m in means
    ]
    if carried is None:
        carried = [rng.choice([0, 0, 0, 1]) if n > 3 else 0 for n in new]
    carried = list(carried[:6])
    rows = _T3_ROWS_COMMON + (_T3_ROWS_2019_OTHER if fmt == "std2019" else _T3_ROWS_2021_OTHER)
    keys = [k for k, _, _ in rows]
    weights = [w for _, _, w in rows]
    out: dict[str, list[int]] = {k: [0] * 6 for k in keys}
    forward = [0] * 6
    for c in range(6):
        avail = new[c] + carried[c]
        fwd = min(avail, rng.choice([0, 0, 0, 1, 2])) if avail > 2 else 0
        forward[c] = fwd
        for k in rng.choices(keys, weights=weights, k=avail - fwd):
            out[k][c] += 1
    handled = [sum(out[k][c] for k in keys) for c in range(6)]
    result = {"一": new + [sum(new)], "二": carried + [sum(carried)]}
    for k in keys:
        result[k] = out[k] + [sum(out[k])]
    result["(七)"] = handled + [sum(handled)]
    result["四"] = forward + [sum(forward)]
    result["_rows"] = rows  # type: ignore[assignment]
    return result


_TABLE_OPEN = (
    '<table border="1" cellspacing="0" cellpadding="0"'
    ' style="border-collapse:collapse;width:100%;">'
)


def _td(v: object, attrs: str = "") -> str:
    return f"<td{attrs}>{esc(str(v))}</td>"


def html_table(table: Table) -> str:
    """A table as the generated pages write it: one ``<tr>`` per line, spans as attributes,
    a row of one merged cell (the 第二十条 block headings) shaded."""
    lines = [_TABLE_OPEN]
    for row in table:
        cells = []
        for cell in row:
            text, rowspan, colspan = (cell, 1, 1) if isinstance(cell, str) else cell
            attrs = (f' colspan="{colspan}"' if colspan > 1 else "") + (
                f' rowspan="{rowspan}"' if rowspan > 1 else ""
            )
            if len(row) == 1 and colspan > 1:
                attrs += ' style="background:#e8e8e8;"'
            cells.append(_td(text, attrs))
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _t2_grid(spec: ReportSpec, rng: random.Random, fmt: str) -> Table:
    s = _scale(spec.level, spec.agency)
    docs = max(0, int(rng.uniform(3, 25) * min(s, 3)))
    lic = int(rng.uniform(300, 3000) * s)
    pun = int(rng.uniform(80, 900) * s)
    force = int(rng.uniform(0, 60) * s)
    fee = round(rng.uniform(5, 900) * s, 2)

    def block(n: str) -> list[Cell]:
        return [(f"第二十条第（{n}）项", 1, 4)]

    t: Table = []
    if fmt == "std2021":
        decided = ["信息内容", ("本年处理决定数量", 1, 3)]
        t.append(block("一"))
        t.append(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"])
        t.append(["规章", "0", "0", "0"])
        repealed = rng.randint(0, 3)
        t.append(["行政规范性文件", str(docs), str(repealed), str(docs + rng.randint(5, 60))])
        t += [block("五"), decided, ["行政许可", (str(lic), 1, 3)]]
        t += [block("六"), decided, ["行政处罚", (str(pun), 1, 3)]]
        t.append(["行政强制", (str(force), 1, 3)])
        t += [block("八"), ["信息内容", ("本年收费金额（单位：万元）", 1, 3)]]
        t.append(["行政事业性收费", (f"{fee:.2f}", 1, 3)])
        return t
    prev_lic = rng.randint(40, 400)
    counted = ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"]
    t.append(block("一"))
    t.append(["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"])
    t.append(["规章", "0", "0", "0"])
    t.append(["规范性文件", str(docs), str(docs), str(docs + rng.randint(10, 80))])
    t += [block("五"), counted]
    change = rng.choice(["增", "减"]) + str(rng.randint(0, 20))
    t.append(["行政许可", str(prev_lic), change, str(lic)])
    others = str(rng.randint(0, 60))
    t.append(["其他对外管理服务事项", others, "0", str(rng.randint(0, 500))])
    t += [block("六"), counted]
    prev_pun = str(rng.randint(50, 600))
    t.append(["行政处罚", prev_pun, "增" + str(rng.randint(0, 30)), str(pun)])
    t.append(["行政强制", str(rng.randint(0, 40)), "0", str(force)])
    t += [block("八"), ["信息内容", "上一年项目数量", ("本年增/减", 1, 2)]]
    prev_fee = str(rng.randint(5, 90))
    t.append(["行政事业性收费", prev_fee, ("减" + str(rng.randint(0, 5)), 1, 2)])
    t += [block("九"), ["信息内容", "采购项目数量", ("采购总金额", 1, 2)]]
    amount = f"{rng.uniform(20, 5000) * s:.2f}万元"
    t.append(["政府集中采购", str(rng.randint(1, 120)), (amount, 1, 2)])
    return t


def _t3_grid(t3: dict) -> Table:
    rows: list[tuple[str, str, float]] = t3["_rows"]

    def nums(key: str) -> list[Cell]:
        return [str(v) for v in t3[key]]

    t: Table = [
        [(_T3_CORNER, 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        list(APPLICANT_COLS[1:]),
        [("一、本年新收政府信息公开申请数量", 1, 3), *nums("一")],
        [("二、上年结转政府信息公开申请数量", 1, 3), *nums("二")],
    ]
    n_result_rows = len(rows) + 1  # + (七)总计
    groups = {
        "(三)": ("（三）不予公开", 8),
        "(四)": ("（四）无法提供", 3),
        "(五)": ("（五）不予处理", 5),
        "(六)": ("（六）其他处理", 3),
    }
    for i, (key, label, _) in enumerate(rows):
        cells: list[Cell] = []
        if i == 0:
            cells.append(("三、本年度办理结果", n_result_rows, 1))
        grp = key[:3]
        if key.endswith("1") and grp in groups and len(key) > 3:
            glabel, span = groups[grp]
            cells.append((glabel, span, 1))
        cells.append(label if len(key) > 3 else (label, 1, 2))
        t.append(cells + nums(key))
    t.append([("（七）总计", 1, 2), *nums("(七)")])
    t.append([("四、结转下年度继续办理", 1, 3), *nums("四")])
    return t


def _t4_numbers(spec: ReportSpec, rng: random.Random) -> list[int]:
    s = _scale(spec.level, spec.agency)
    out: list[int] = []
    for lam in (1.2 * s, 0.8 * s, 0.3 * s):
        parts = [
            int(rng.random() < min(lam, 0.9)) * rng.randint(0, max(1, int(lam * 3)))
            for _ in range(4)
        ]
        out += parts + [sum(parts)]
    return out


def _t4_grid(vals: list[int]) -> Table:
    heads: list[Cell] = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [*((h, 2, 1) for h in heads), ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        heads + heads,
        [str(v) for v in vals],
    ]


def _national_blocks(
    spec: ReportSpec, rng: random.Random, fmt: str, t3: dict, size: str
) -> tuple[list[Block], list[int], int]:
    """The body of a national-format report as blocks, its T4 numbers and its 主动公开 count
    (draws from ``rng`` in page order: numbers of 一, T2, T4, then the text after)."""
    me = _self_ref(spec)
    y = spec.year
    total_pub = int(rng.uniform(600, 4000) * max(_scale(spec.level, spec.agency), 0.1))
    docs = rng.randint(3, 40)
    jd = rng.randint(2, 30)
    budget = rng.randint(10, 200)
    train = rng.randint(1, 6)
    people = train * rng.randint(20, 80)
    out: list[Block] = []
    opening = rng.choice(
        [
            f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《政府信息公开工作年度报告格式》要求编制。"
            f"全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议及行政诉讼情况、"
            f"存在的主要问题及改进情况、其他需要报告的事项。本报告所列数据统计期限自{y}年1月1日起至{y}年12月31日止。"
            f"如对本报告有疑问，请与{spec.issuer}办公室联系。",
            f"根据《中华人民共和国政府信息公开条例》规定，现公布{spec.issuer}{y}年度政府信息公开工作年度报告。"
            f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。",
        ]
    )
    out.append(("p", opening))
    out.append(("h", "一、总体情况"))
    out.append(
        (
            "p",
            f"{y}年，{spec.issuer}坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻{_congress(y)}精神，"
            f"认真贯彻落实《条例》和{_upper(spec)}关于政务公开工作的决策部署，坚持以公开为常态、不公开为例外，"
            f"围绕中心、服务大局，持续深化政务公开，不断提升政府工作透明度，切实保障人民群众的知情权、参与权、表达权和监督权。",
        )
    )
    out.append(
        (
            "p",
            f"（一）主动公开。{me}依托{_platform(spec)}等渠道，全年主动公开政府信息{total_pub}条，其中政策文件{docs}件，"
            f"政策解读{jd}篇，财政预决算及“三公”经费信息{budget}条。"
            + rng.choice(
                [
                    "围绕乡村振兴、就业创业、教育医疗、养老服务等重点领域，及时公开惠民政策和办理结果。",
                    "聚焦优化营商环境、重大建设项目、公共资源配置等重点领域，做到应公开尽公开。",
                    "持续做好财政资金直达基层、惠民惠农补贴、社会救助等信息的公开工作，主动接受社会监督。",
                ]
            ),
        )
    )
    out.append(
        (
            "p",
            f"（二）依申请公开。全年共收到政府信息公开申请{t3['一'][-1]}件，上年结转{t3['二'][-1]}件，"
            f"办结{t3['(七)'][-1]}件，结转下年度继续办理{t3['四'][-1]}件。所有申请均在法定期限内予以答复，"
            "未收取任何费用。"
            + rng.choice(
                [
                    "进一步规范依申请公开受理、登记、审核、答复等环节，答复文书格式统一、依据充分。",
                    "严格执行依申请公开工作规程，对疑难复杂申请实行集体研究，确保答复合法规范。",
                ]
            ),
        )
    )
    out.append(
        (
            "p",
            "（三）政府信息管理。严格落实政府信息公开保密审查制度，坚持“先审查、后公开”和“一事一审”原则，"
            f"全年未发生泄密事件。动态调整政府信息公开目录，对{rng.randint(5, 60)}件规范性文件进行清理并公开清理结果。",
        )
    )
    out.append(
        (
            "p",
            "（四）政府信息公开平台建设。"
            + rng.choice(
                [
                    "充分发挥政府门户网站第一平台作用，优化“政府信息公开”专栏设置，规范栏目内容更新；",
                    "持续推进政府网站集约化建设，整合优化信息公开栏目，提升检索和互动功能；",
                ]
            )
            + f"加强政务新媒体管理，全年发布信息{rng.randint(100, 2000)}条，互动回应{rng.randint(5, 300)}次。",
        )
    )
    out.append(
        (
            "p",
            f"（五）监督保障。将政务公开工作纳入年度绩效考核，组织开展政务公开业务培训{train}次，参训{people}人次；"
            "定期开展网站栏目内容检查，对发现的问题及时督促整改。",
        )
    )
    if size == "long":
        out.append(
            (
                "p",
                f"此外，{me}坚持把政策解读与政策制定同步考虑、同步安排，对重要政策文件采取图解、问答、视频等形式进行解读，"
                "在重要节点通过新闻发布会、政府网站在线访谈等方式回应社会关切，进一步增强政策的知晓度和透明度。",
            )
        )
    out.append(("h", "二、主动公开政府信息情况"))
    out.append(("table", _t2_grid(spec, rng, fmt)))
    out.append(("h", "三、收到和处理政府信息公开申请情况"))
    out.append(("table", _t3_grid(t3)))
    out.append(("h", "四、政府信息公开行政复议、行政诉讼情况"))
    t4 = _t4_numbers(spec, rng)
    out.append(("table", _t4_grid(t4)))
    out.append(("h", "五、存在的主要问题及改进情况"))
    out.append(
        (
            "p",
            f"{y}年，{me}政府信息公开工作取得了一定成效，但也存在一些不足："
            + rng.choice(
                [
                    "一是部分栏目信息更新不够及时；二是政策解读形式较为单一，解读质量有待提升；三是工作人员业务能力需进一步加强。",
                    "一是主动公开的深度和广度还需进一步拓展；二是依申请公开答复的规范化水平有待提升；三是基层政务公开标准化规范化建设仍需加强。",
                    "一是重点领域信息公开还不够全面；二是政务新媒体互动回应不够及时；三是政务公开队伍相对薄弱。",
                ]
            ),
        )
    )
    out.append(
        (
            "p",
            f"{y + 1}年，{me}将着力做好以下工作：一是加大主动公开力度，及时准确公开重点领域信息；"
            "二是丰富政策解读形式，提升解读质量；三是加强业务培训和监督考核，推动政务公开工作提质增效。",
        )
    )
    out.append(("h", "六、其他需要报告的事项"))
    other = f"{me}本年度未收取信息处理费。"
    if y >= 2021:
        other = "依据《政府信息公开信息处理费管理办法》（国办函〔2020〕109号），" + other
    out.append(("p", other))
    out.append(
        (
            "p",
            f"本年度{me}共办理人大代表建议{rng.randint(0, 60)}件、政协提案{rng.randint(0, 50)}件，办结率100%，"
            "办理结果已按要求公开。",
        )
    )
    for extra in spec.extra:
        out.append(("p", extra))
    if spec.contact:
        out.append(("p", f"联系人：{spec.contact}　联系电话：{rng.randint(2000000, 8999999)}"))
    out.append(("right", spec.issuer))
    pub = spec.published
    out.append(("right", f"{pub.year}年{pub.month}月{pub.day}日"))
    return out, t4, total_pub


def _render_pre2019(spec: ReportSpec, rng: random.Random) -> str:
    me = _self_ref(spec)
    y = spec.year
    n = int(rng.uniform(400, 3000) * max(_scale(spec.level, spec.agency), 0.1))
    apps = rng.randint(0, 12)
    out = [
        para(
            f"本年度报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，由{spec.issuer}编制。"
            "全文由概述，主动公开政府信息情况，依申请公开政府信息情况，政府信息公开的收费及减免情况，"
            "因政府信息公开申请提起行政复议、行政诉讼的情况，政府信息公开工作存在的主要问题及改进措施，其他需要报告的事项等七部分组成。"
            f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"
        ),
        heading("一、概述"),
        para(
            f"{y}年，{me}认真贯彻落实《条例》和上级关于政府信息公开工作的部署要求，"
            "进一步健全工作机制，拓宽公开渠道，规范公开内容，政府信息公开工作稳步推进。"
        ),
        heading("二、主动公开政府信息情况"),
        para(
            f"全年共主动公开政府信息{n}条，其中机构职能类{rng.randint(10, 60)}条，政策法规类{rng.randint(10, 90)}条，"
            f"规划计划类{rng.randint(5, 30)}条，财政资金类{rng.randint(20, 160)}条，其他类{rng.randint(50, 400)}条。"
        ),
        heading("三、依申请公开政府信息情况"),
        para(
            f"全年共受理政府信息公开申请{apps}件，已全部按期答复。"
            if apps
            else "全年未收到政府信息公开申请。"
        ),
        heading("四、政府信息公开的收费及减免情况"),
        para("本年度未收取任何政府信息公开费用。"),
        heading("五、因政府信息公开申请提起行政复议、行政诉讼的情况"),
        para("本年度未发生因政府信息公开申请提起行政复议、行政诉讼的情况。"),
        heading("六、政府信息公开工作存在的主要问题及改进措施"),
        para(
            "政府信息公开工作仍存在公开内容不够全面、更新不够及时等问题。下一步，将进一步完善制度，"
            "加强队伍建设，不断提高政府信息公开工作水平。"
        ),
        heading("七、其他需要报告的事项"),
        para("无。"),
    ]
    for extra in spec.extra:
        out.append(para(extra))
    if spec.contact:
        out.append(para(f"联系人：{spec.contact}"))
    out.append(f'<p style="text-align:right;">{esc(spec.issuer)}</p>')
    out.append(
        f'<p style="text-align:right;">{spec.published.year}年{spec.published.month}月{spec.published.day}日</p>'
    )
    return "\n".join(out)


# ---------------------------------------------------------------------------- news
_NEWS_TEMPLATES = [
    "{r}召开{y}年第{n}次政府常务会议",
    "{r}开展安全生产大检查",
    "{r}召开{y}年防汛抗旱工作会议",
    "{r}推进高标准农田建设工作",
    "{r}举办“{m}月政策宣讲进村入户”活动",
    "{r}召开优化营商环境工作推进会",
    "{r}开展森林防火专项督查",
    "{r}召开{y}年春季学期教育工作会议",
    "{r}部署“双随机、一公开”监管工作",
    "{r}开展城乡环境综合整治行动",
    "{r}召开乡村振兴重点工作调度会",
    "{r}举行重大项目集中开工仪式",
    "{r}开展{y}年“3·15”消费者权益日宣传活动",
    "{r}召开民生实事项目推进会",
    "{r}开展政务服务“好差评”工作",
]


def news_item(region: str, i: int, when: dt.date) -> tuple[str, str]:
    """Title and HTML body of the ``i``-th news item of a region (not a report)."""
    rng = stable_rng("news", region, i)
    tpl = _NEWS_TEMPLATES[(i * 7 + len(region)) % len(_NEWS_TEMPLATES)]
    title = tpl.format(r=region, y=when.year, n=rng.randint(1, 30), m=when.month)
    body = [
        para(
            f"{when.month}月{when.day}日，{title.removeprefix(region)}。{region}相关负责同志出席并讲话。"
        ),
        para(
            "会议强调，各级各部门要提高政治站位，压实工作责任，细化工作措施，确保各项任务落地见效。"
            + rng.choice(
                [
                    "要坚持问题导向，抓好整改落实。",
                    "要加强统筹协调，形成工作合力。",
                    "要强化督促检查，确保取得实效。",
                ]
            )
        ),
        para(
            rng.choice(
                [
                    "会上，相关部门汇报了近期工作进展情况，并就下一步工作作了安排部署。",
                    "活动现场共发放宣传资料两千余份，接受群众咨询三百余人次。",
                    "据了解，此项工作将持续至年底，各乡镇、各部门将同步推进。",
                ]
            )
        ),
    ]
    return title, "\n".join(body)


# ---------------------------------------------------------------------------- distractors
def distractor_html(kind: str, region: str, year: int, issuer: str) -> str:
    """Body of a non-report page that mentions reports / 年度 (notice, 要点, 公报, 决算 …)."""
    rng = stable_rng("distractor", kind, region, year)
    if kind == "notice":
        return "\n".join(
            [
                para("各乡（镇）人民政府，县直各部门：", indent=False),
                para(
                    f"根据《中华人民共和国政府信息公开条例》规定，为做好{year}年度政府信息公开工作年度报告编制发布工作，现就有关事项通知如下："
                ),
                para(
                    f"一、各单位要按照《政府信息公开工作年度报告格式》要求，认真编制本单位{year}年度政府信息公开工作年度报告，"
                    f"于{year + 1}年1月31日前报送{issuer}办公室审核。"
                ),
                para(
                    f"二、年度报告应于{year + 1}年1月31日前在政府门户网站“政府信息公开年报”栏目公开。"
                ),
                para("三、各单位要确保年度报告数据准确、勾稽关系正确，杜绝错报、漏报。"),
                f'<p style="text-align:right;">{esc(issuer)}办公室</p>',
            ]
        )
    if kind == "plan":
        return "\n".join(
            [
                para(
                    f"为深入贯彻落实党中央、国务院关于全面推进政务公开的决策部署，做好{year}年政务公开工作，制定本要点。"
                ),
                para(
                    "一、围绕稳住经济大盘加强政务公开。二、围绕保障改善民生加强政务公开。三、围绕加强政府自身建设加强政务公开。"
                ),
                para(
                    f"各单位要按照要点要求抓好落实，并在{year}年度政府信息公开工作年度报告中报告落实情况。"
                ),
            ]
        )
    if kind == "stats":
        gdp = rng.uniform(80, 900)
        return "\n".join(
            [
                para(
                    f"{year}年，面对复杂严峻的外部环境，全{region[-1]}上下坚持稳中求进工作总基调，经济运行总体平稳。"
                ),
                para(
                    f"一、综合。初步核算，全年地区生产总值{gdp:.2f}亿元，比上年增长{rng.uniform(2, 8):.1f}%。"
                ),
                para(
                    f"二、农业。全年粮食总产量{rng.uniform(5, 60):.2f}万吨。三、工业和建筑业。规模以上工业增加值增长{rng.uniform(1, 12):.1f}%。"
                ),
            ]
        )
    if kind == "work_report":
        return "\n".join(
            [
                para(
                    f"——{year}年{rng.randint(1, 2)}月在{region}第{rng.randint(14, 17)}届人民代表大会第{rng.randint(1, 5)}次会议上"
                ),
                para(
                    "各位代表：现在，我代表市人民政府，向大会报告工作，请予审议，并请市政协各位委员提出意见。"
                ),
                para(
                    f"一、{year - 1}年工作回顾。过去一年，我们坚持稳中求进工作总基调，全市经济社会发展取得新成效。"
                ),
                para(
                    f"二、{year}年工作安排。今年是全面贯彻落实党的二十大精神的开局之年，做好政府工作意义重大。"
                ),
            ]
        )
    if kind == "budget":
        return "\n".join(
            [
                para(f"{issuer}{year}年度部门决算公开说明。"),
                para(
                    f"一、部门基本情况。二、收入支出决算总体情况：{year}年度收入总计{rng.uniform(200, 9000):.2f}万元，"
                    f"支出总计{rng.uniform(200, 9000):.2f}万元。三、“三公”经费支出情况。"
                ),
                para("附件：部门决算公开表（共9张）。"),
            ]
        )
    if kind == "rule_of_law":
        return "\n".join(
            [
                para(
                    f"{year}年，{issuer}深入学习贯彻习近平法治思想，扎实推进法治政府建设，现将{year}年度法治政府建设情况报告如下："
                ),
                para(
                    "一、主要举措和成效。（一）依法全面履行政府职能。（二）完善依法行政制度体系。（三）推进严格规范公正文明执法。"
                ),
                para(
                    "二、存在的不足和原因。三、党政主要负责人履行推进法治建设第一责任人职责情况。四、下一年度工作安排。"
                ),
            ]
        )
    if kind == "enterprise":
        return "\n".join(
            [
                para("各市场主体："),
                para(
                    f"根据《企业信息公示暂行条例》规定，请各类企业于{year + 1}年1月1日至6月30日通过国家企业信用信息公示系统报送"
                    f"{year}年度年度报告，并向社会公示。"
                ),
                para("未按规定期限公示年度报告的企业，将被列入经营异常名录。"),
            ]
        )
    if kind == "finance":
        return "\n".join(
            [
                para(
                    f"——{year + 1}年{rng.randint(1, 2)}月在{region}第十届人民代表大会第{rng.randint(1, 4)}次会议上"
                ),
                para(
                    f"各位代表：受县人民政府委托，现将{region}{year}年财政预算执行情况和{year + 1}年财政预算草案提请大会审议。"
                ),
                para(
                    f"一、{year}年财政预算执行情况。全县一般公共预算收入完成{rng.uniform(2, 20):.2f}亿元。"
                ),
            ]
        )
    if kind == "meeting":
        return "\n".join(
            [
                para(
                    f"近日，{region}召开{year}年度政务公开工作推进会，总结工作成效，部署下一阶段任务。"
                ),
                para(
                    "会议要求，各单位要认真对照考核指标，补齐短板弱项，按时完成年度报告编制发布等工作。"
                ),
            ]
        )
    raise ValueError(kind)
