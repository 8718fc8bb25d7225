"""Read a report's year, publication date and issuer from its title, text and meta tags.

Pure functions, no state.  Names are read after a small local normalisation (pinyin
annotations stripped, the Traditional characters of administrative names mapped to
Simplified, full-width digits folded), see :mod:`govcrawl.report.normalize`.

Administrative names are parsed left to right as a chain of units (``曲靖市师宗县彩云镇``)
followed by an organ (``人民政府``, ``办事处``, ``财政局`` …); the last unit is the region.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from govcrawl.report.normalize import normalize_for_reading

__all__ = [
    "COUNTY",
    "PREFECTURE",
    "PROVINCE",
    "TOWNSHIP",
    "ReportFields",
    "published_date",
    "read_fields",
    "report_year",
    "split_issuer",
]

PROVINCE = "province"
PREFECTURE = "prefecture"
COUNTY = "county"
TOWNSHIP = "township"
_RANK = {PROVINCE: 0, PREFECTURE: 1, COUNTY: 2, TOWNSHIP: 3}

#: The disclosure regulations date from 2007; no report covers an earlier year.
FIRST_REPORT_YEAR = 2007


@dataclass(frozen=True)
class ReportFields:
    """What a report page says about itself. Every field may be None."""

    title: str | None = None
    year: int | None = None
    published: dt.date | None = None
    issuer: str | None = None
    region: str | None = None
    admin_level: str | None = None
    agency: str | None = None

    def to_dict(self) -> dict[str, str | int | None]:
        """JSON-safe dict (``published`` as ``YYYY-MM-DD``)."""
        return {
            "title": self.title,
            "year": self.year,
            "published": self.published.isoformat() if self.published else None,
            "issuer": self.issuer,
            "region": self.region,
            "admin_level": self.admin_level,
            "agency": self.agency,
        }


# --------------------------------------------------------------------------- years

_CN_NUM = dict(zip("〇零○Ｏ一二三四五六七八九", "0000123456789", strict=True))
_CN_YEAR = re.compile(r"[〇零○Ｏ一二三四五六七八九]{4}(?=\s*年)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_TEXT_YEAR_RULES = (
    # 统计期限自2018年1月1日起至2018年12月31日止 / 从2019年1月1日到12月31日止
    re.compile(r"(\d{4})年0?1月0?1日(?:起)?\s*(?:至|到|—|-|~|～)\s*(?:\d{4}年)?12月31日"),
    re.compile(r"统计(?:期限|时限|期间|区间|时间|范围|周期)[^。\n]{0,16}?(\d{4})年"),
    re.compile(r"(\d{4})年度?(?:的)?政府信息公开(?:工作)?(?:年度)?(?:报告|年报)"),
    re.compile(r"[(（](\d{4})年度[)）]"),
    re.compile(r"现将[^。\n]{0,30}?(\d{4})年(?!\d{1,2}月)"),
    re.compile(r"(?:^|[\n。])[^\S\n]*(\d{4})年(?:度|以来)?[,，]"),  # not \s*: linear
)
_ANY_TEXT_YEAR = re.compile(r"(?<!\d)(\d{4})年(?!\d{1,2}月)")


def _arabic_years(text: str) -> str:
    return _CN_YEAR.sub(lambda m: "".join(_CN_NUM[c] for c in m.group(0)), text)


def _plausible_year(year: int) -> bool:
    return FIRST_REPORT_YEAR <= year <= dt.date.today().year


def _title_year(ntitle: str) -> int | None:
    t = re.sub(r"\s+", "", _arabic_years(ntitle))
    best: tuple[int, int] | None = None  # (score, year); first one wins ties
    for m in _YEAR.finditer(t):
        year = int(m.group(1))
        if not _plausible_year(year):
            continue
        after, before = t[m.end() : m.end() + 4], t[max(0, m.start() - 1) : m.start()]
        if re.match(r"年\d{1,2}月|[-/.]\d{1,2}[-/.]", after):
            continue  # a date: publication, not the year reported on
        bracketed = before and before in "(（[【" and re.match(r"年?度?[)）\]】]", after)
        if bracketed or re.match(r"年?(?:度|政府|政务|信息|工作|年报)", after):
            score = 3
        elif after.startswith("年"):
            score = 2
        else:
            score = 1
        if best is None or score > best[0]:
            best = (score, year)
    return best[1] if best else None


def report_year(title: str | None, text: str = "") -> int | None:
    """The year a report is *on* (not the year it was published), or None.

    Read from the title first (``2022年度``, ``2022年``, ``（2021年）``), then from the
    text: the statistics period, ``XXXX年度政府信息公开工作年度报告``, ``现将2023年…``,
    paragraphs opening with a year, and finally the most frequent ``XXXX年`` that is not
    part of a date.
    """
    return _report_year(normalize_for_reading(title or ""), normalize_for_reading(text or ""))


def _report_year(ntitle: str, ntext: str) -> int | None:
    """:func:`report_year` on already normalised title and text."""
    if ntitle:
        year = _title_year(ntitle)
        if year is not None:
            return year
    if not ntext:
        return None
    t = _arabic_years(ntext)
    for rule in _TEXT_YEAR_RULES:
        for m in rule.finditer(t):
            year = int(m.group(1))
            if _plausible_year(year):
                return year
    counts = Counter(int(y) for y in _ANY_TEXT_YEAR.findall(t) if _plausible_year(int(y)))
    return counts.most_common(1)[0][0] if counts else None


# --------------------------------------------------------------------------- dates

_DATE = r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})(?!\d)"
_DATE_RE = re.compile(_DATE)
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
# fmt: off
_META_DATE_KEYS = (
    "pubdate", "publishdate", "publish_date", "publish-date", "publishtime", "pubtime",
    "firstpublishedtime", "article:published_time", "dcterms.issued", "dc.date.issued", "dc.date",
)
# fmt: on
_LABELLED_DATE = re.compile(r"(?:发布|发表|公布|公开|上传|更新)(?:时间|日期|于)\s*(?::\s*)?" + _DATE)
# 时间：/日期： alone, or glued to the previous field (来源：县政府时间：…), but not a label
# for another date (成文日期, 填报日期 …).
_OTHER_DATE_LABELS = (
    "成文|填报|统计|截止|有效|施行|实施|印发|签发|生效|废止|办结|受理|开始|结束|会议|活动|报名|"
    "申请|答复|出生|考试|举办|开展|登记|报送|审核|签署|通过|起止|办理"
)
_BARE_LABEL_DATE = re.compile(rf"(?<!{_OTHER_DATE_LABELS})(?:时间|日期)\s*:\s*" + _DATE)
_PAREN_DATELINE = re.compile(r"[(（\[【]\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*[)）\]】]")
# Blanks within the line only: a \s* crossing newlines would rescan a run of blank lines from
# each of its line starts (quadratic); the date line is still found at its own line start.
_LINE_DATELINE = re.compile(r"^[^\S\n]*(\d{4})年(\d{1,2})月(\d{1,2})日[^\S\n]*$", re.M)


def _make_date(y: str, m: str, d: str) -> dt.date | None:
    try:
        date = dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return date if 2000 <= date.year <= dt.date.today().year + 1 else None


def _parse_date(value: str) -> dt.date | None:
    value = normalize_for_reading(value)
    m = _DATE_RE.search(value) or _COMPACT_DATE.search(value)
    return _make_date(*m.groups()) if m else None


def published_date(meta: Mapping[str, str], text: str) -> dt.date | None:
    """Publication date: PubDate-like meta tags, else the page's own date lines.

    In the text: ``发布时间/发布日期/…`` lines, then bare ``时间：``/``日期：`` labels near the
    top, then a dateline such as ``(2019年1月17日)`` or a date alone on a line at the top.
    ``2022年01月20日``, ``2019-02-18 10:20`` and ``2019/2/18`` are all read correctly.
    """
    return _published_date(meta, normalize_for_reading(text or ""))


def _published_date(meta: Mapping[str, str], t: str) -> dt.date | None:
    """:func:`published_date` on already normalised text."""
    lowered = {str(k).strip().lower(): v for k, v in (meta or {}).items() if isinstance(v, str)}
    for key in _META_DATE_KEYS:
        if lowered.get(key):
            date = _parse_date(lowered[key])
            if date:
                return date
    if not t:
        return None
    for rule, window in ((_LABELLED_DATE, 3000), (_BARE_LABEL_DATE, 1500), (_PAREN_DATELINE, 400)):
        for m in rule.finditer(t[:window]):
            date = _make_date(*m.groups())
            if date:
                return date
    head = "\n".join(t[:600].splitlines()[:8])
    for m in _LINE_DATELINE.finditer(head):
        date = _make_date(*m.groups())
        if date:
            return date
    return None


# --------------------------------------------------------------------------- names

# fmt: off
# Longest first where one is the end of another; the shortest *name* is tried first.
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "苏木", "街道", "地区",
             "省", "市", "州", "盟", "县", "区", "旗", "镇", "乡")
_SUFFIX_LEVEL = {
    "特别行政区": PROVINCE, "自治区": PROVINCE, "省": PROVINCE,
    "自治州": PREFECTURE, "州": PREFECTURE, "地区": PREFECTURE, "盟": PREFECTURE,
    "自治县": COUNTY, "县": COUNTY, "自治旗": COUNTY, "旗": COUNTY, "区": COUNTY,
    "镇": TOWNSHIP, "乡": TOWNSHIP, "街道": TOWNSHIP, "苏木": TOWNSHIP,
}
# fmt: on
_MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
_SUFFIX_CHARS = "省市州盟县区旗镇乡"
# A tail may start with a unit character only as part of these words (县委, 市场监督管理局 …).
# fmt: off
_TAIL_STARTS = (
    "市场", "市政", "市容", "市直", "市级", "市委", "市属", "县委", "县直", "县级", "县域", "县属",
    "区委", "区直", "区级", "区域", "区属", "州委", "州直", "州级", "旗委", "旗直", "旗级",
    "盟委", "盟直", "省委", "省直", "省级", "镇村", "镇级", "镇党委", "乡村", "乡镇", "乡级",
    "乡党委",
)
# fmt: on
_NAME_CHAR = re.compile(r"[\u3400-\u9fff]")
_NOT_IN_NAME = set("的了是在由对为我这并被把给就而或等府办委局厅报告年度")
_DEMONSTRATIVE = re.compile(r"[全本该各我此其每两某][省市州盟县区旗镇乡]")
_ZONE = re.compile(r"开发|园|示范|保税|高新|实验|试验|合作|产业|工业|管理|经济|综合|新城|片区")
# fmt: off
# What may follow a place name in the government's own name (…人民政府办公室, …街道办事处).
_GOV_OWN_TAILS = {
    "", "办事处", "街道办事处", "办", "街道办", "行政公署", "公署", "行署", "管委会",
    "管理委员会", "党委政府", "政府网", "门户网站",
}
# …and what may follow 人民政府/政府 in it (site names included: 景县人民政府网).
_GOV_OWN_RESTS = {
    "", "办公室", "办公厅", "办", "信息公开办公室", "政务公开办公室", "政务公开领导小组办公室",
    "门户网站", "门户网", "网站", "网", "官网", "公众信息网", "信息公开网", "政务网", "信息网",
    "信息公开平台", "政府",
}
# fmt: on
_AGENCY_END = re.compile(
    r"(?:局|委员会|委|办公室|办公厅|办|厅|部|院|中心|所|队|站|社|会|处|室|署|馆|团|司|"
    r"公司|组|庭|校|学|园|台|行|联|店|场|科|股|支队|大队|分局|小组)$"
)
_PARTY_PREFIX = re.compile(r"^(?:中共|中国共产党|共产党)")


@dataclass(frozen=True)
class _Unit:
    name: str
    suffix: str
    level: str

    @property
    def text(self) -> str:
        return self.name + self.suffix


@dataclass(frozen=True)
class _Parsed:
    """A name read as ``units + tail``; ``raw`` is the normalised name it came from."""

    raw: str
    units: tuple[_Unit, ...]
    tail: str
    party: bool = False

    @property
    def last(self) -> _Unit:
        return self.units[-1]

    @property
    def region(self) -> str:
        return self.last.text

    @property
    def level(self) -> str:
        return self.last.level

    @property
    def agency(self) -> str | None:
        return _agency(self.tail, self.last)


def _name_ok(name: str, suffix: str, prev: _Unit | None) -> bool:
    if not all(_NAME_CHAR.match(c) and c not in _NOT_IN_NAME for c in name):
        return False
    if any(c in "和与及" for c in name[1:-1]):
        return False  # 住房和城乡… is an agency, not a place
    if _DEMONSTRATIVE.match(name) or (len(name) == 1 and name in "全本该各我此其每两某"):
        return False  # 本市…, 全县…, 该镇… are not names
    min_len = 1 if suffix == "县" or (suffix == "区" and name in ("城", "郊", "矿")) else 2
    if len(name) < min_len:
        return False
    if name[-1] in "省县旗盟" or (name[-1] in "区镇" and _SUFFIX_LEVEL.get(suffix) != TOWNSHIP):
        return False
    return not (suffix == "区" and prev is not None and _ZONE.search(name))


def _unit_level(text: str, suffix: str, prev: _Unit | None) -> str:
    if suffix == "市":
        if text in _MUNICIPALITIES:
            return PROVINCE
        if prev is not None and prev.level in (PREFECTURE, COUNTY, TOWNSHIP):
            return COUNTY  # a county-level city named under its prefecture
        return PREFECTURE
    return _SUFFIX_LEVEL[suffix]


def _units_at(s: str, pos: int, prev: _Unit | None) -> Iterator[_Unit]:
    for end in range(pos + 1, min(len(s), pos + 15)):
        name = s[pos:end]
        if not _NAME_CHAR.match(name[-1]):
            return
        for suffix in _SUFFIXES:
            if s.startswith(suffix, end) and _name_ok(name, suffix, prev):
                unit = _Unit(name, suffix, _unit_level(name + suffix, suffix, prev))
                if prev is None or _RANK[unit.level] > _RANK[prev.level]:
                    yield unit


def _tail_ok(tail: str) -> bool:
    if tail.startswith(("街道", "苏木")):
        return False  # that is a unit, not an organ
    return not tail or tail[0] not in _SUFFIX_CHARS or tail.startswith(_TAIL_STARTS)


def _parse_units(
    s: str,
    pos: int = 0,
    prev: _Unit | None = None,
) -> tuple[tuple[_Unit, ...], str] | None:
    for unit in _units_at(s, pos, prev):
        rest = _parse_units(s, pos + len(unit.text), unit)
        if rest is not None:
            return (unit, *rest[0]), rest[1]
    if prev is not None and _tail_ok(s[pos:]):
        return (), s[pos:]
    return None


def _is_gov_own(tail: str) -> bool:
    if tail in _GOV_OWN_TAILS:
        return True
    for head in ("人民政府", "政府", "人民"):
        if tail.startswith(head):
            return tail[len(head) :] in _GOV_OWN_RESTS
    return False


def _agency(tail: str, last: _Unit) -> str | None:
    if _is_gov_own(tail):
        return None
    for head in ("人民政府", "政府"):
        if tail.startswith(head):
            tail = tail[len(head) :]
            break
    if tail.startswith("委"):
        tail = last.suffix[-1] + tail  # 师宗县委宣传部 -> 县委宣传部
    return tail if _AGENCY_END.search(tail) else None


def _clean_name(name: str) -> str:
    s = normalize_for_reading(name)
    return re.sub(r"[\s·•]+", "", s).strip("\"'“”‘’《》<>()（）[]【】:：,，。;；、|-_")


def _parse_name(name: str | None) -> _Parsed | None:
    if not name:
        return None
    s = _clean_name(name)[:60]
    party = bool(_PARTY_PREFIX.match(s))
    s = _PARTY_PREFIX.sub("", s)
    parsed = _parse_units(s)
    if parsed is None or not parsed[0]:
        return None
    return _Parsed(s, parsed[0], parsed[1], party)


def split_issuer(name: str) -> tuple[str | None, str | None, str | None]:
    """``(region, admin_level, agency)`` of an issuing body's name.

    ``"师宗县财政局"`` → ``("师宗县", "county", "财政局")``;
    ``"横现河街道办事处"`` → ``("横现河街道", "township", None)``;
    ``"上海市人民政府办公厅"`` → ``("上海市", "province", None)``.
    The government's own offices (人民政府, 政府办公室/办公厅, 街道办事处, 行政公署)
    give ``agency=None``.  A bare ``XX市`` is taken as a prefecture unless named under one
    (``金华市义乌市``).  A name with no place in it gives ``(None, None, None)``.
    """
    parsed = _parse_name(name)
    if parsed is None:
        return None, None, None
    return parsed.region, parsed.level, parsed.agency


# --------------------------------------------------------------------------- issuer

_TITLE_KEYWORDS = re.compile(r"政府信息公开|政务公开|信息公开|政府信息|年度报告|工作报告|年报|报告")
_TITLE_YEAR = re.compile(r"[(（]?(?<!\d)\d{4}(?!\d)年?度?[)）]?")
_SOURCE_LINE = re.compile(
    r"(?:信息来源|来源单位|来源|发布机构|发布单位|发布部门|发文机关|发文单位)\s*:\s*([^\s:|]{2,60})"
)
_SOURCE_STOP = re.compile(
    r"作者|时间|日期|发布|点击|浏览|阅读|字号|编辑|责任|访问|打印|分享|【|\[|\("
)
_ORGAN = re.compile(r"人民政府|政府|办事处|行政公署")
# The name never holds 由 itself: each 由 then scans only up to the next one (linear), and of
# "由县由政府办编制" the name is the nearest one, 政府办.
_BY_COMPILED = re.compile(r"由([\u4e00-\u7530\u7532-\u9fff]{2,30}?)(?:负责|牵头|组织|统一)?编制")
_FILLED_BY = re.compile(r"填报单位\s*(?:\(盖章\)\s*)?:\s*([\u4e00-\u9fff]{2,40})")
_REPORT_IN_TEXT = re.compile(r"\d{4}年度?政府信息公开(?:工作)?(?:年度)?(?:报告|年报)")
_CUT_CHARS = set("的了是在由对为将把被经")
# fmt: off
_LEAD_STOPS = ("编制了", "编制", "现将", "特将", "根据", "按照", "关于", "对于", "其中", "同时",
               "印发", "转发", "我们")
# fmt: on


def _name_before(s: str, end: int) -> _Parsed | None:
    """The longest administrative chain that ends exactly at ``s[end]``."""
    window = s[max(0, end - 30) : end]
    start = 0
    for i, c in enumerate(window):
        if not _NAME_CHAR.match(c) or c in _CUT_CHARS:
            start = i + 1
    window = window[start:]
    stripped = True
    while stripped:
        stripped = False
        for stop in _LEAD_STOPS:
            if window.startswith(stop) and len(window) > len(stop) + 1:
                window, stripped = window[len(stop) :], True
        if _DEMONSTRATIVE.match(window):  # 本市浦东新区 -> 浦东新区
            window, stripped = window[2:], True
    for k in range(len(window) - 1):
        parsed = _parse_name(window[k:])
        if parsed is not None and not parsed.tail:
            return parsed
    return None


def _title_issuer(ntitle: str) -> _Parsed | None:
    t = re.sub(r"\s+", "", _arabic_years(ntitle))
    t = re.sub(r"^(?:【[^】]*】|\[[^\]]*\])", "", t)
    t = re.sub(r"^(?:关于|转发|印发)+", "", t)

    def cut(part: str) -> str:
        k = _TITLE_KEYWORDS.search(part)
        part = part[: k.start()] if k else part
        return re.sub(r"(?:关于|的|之|[-—_:|·、,(（])+$", "", part)

    m = _TITLE_YEAR.search(t)
    head = cut(t[: m.start()] if m else t)
    if len(head) < 2 and m:
        head = cut(t[m.end() :])
    if "关于" in head:  # XX县人民政府办公室关于印发XX县2022年…的通知: the report is XX县's
        before, _, after = head.partition("关于")
        return _parse_name(re.sub(r"^(?:印发|转发|公布|发布)", "", after)) or _parse_name(before)
    return _parse_name(head)


def _source_line_issuer(text: str) -> str | None:
    m = _SOURCE_LINE.search(text)
    if not m:
        return None
    return _SOURCE_STOP.split(m.group(1))[0] or None


def _relative(name: str | None, site: _Parsed | None) -> _Parsed | None:
    """``县财政局`` on a county's site → that county's 财政局."""
    if not name:
        return None
    parsed = _parse_name(name)
    if parsed is not None or site is None:
        return parsed
    s = _clean_name(name)
    if len(s) > 1 and s[0] in _SUFFIX_CHARS and site.last.suffix.endswith(s[0]):
        return _parse_name(site.region + s[1:])
    return None


def _explicit_text_issuer(text: str) -> _Parsed | None:
    for m in _FILLED_BY.finditer(text):
        parsed = _parse_name(m.group(1))
        if parsed is not None:
            return parsed
    for m in _BY_COMPILED.finditer(text):
        parsed = _parse_name(m.group(1))
        if parsed is not None:
            return parsed
    for m in _REPORT_IN_TEXT.finditer(text):
        parsed = _name_before(text, m.start())
        if parsed is not None:
            return parsed
        for organ in ("人民政府", "办事处", "政府"):  # 横现河街道办事处2016年度…
            if text[: m.start()].endswith(organ):
                parsed = _name_before(text, m.start() - len(organ))
                if parsed is not None:
                    return replace(parsed, raw=parsed.raw + organ, tail=organ)
    return None


def _scanned_text_issuer(text: str) -> _Parsed | None:
    """The body named most often among those the text calls 政府/办事处."""
    found: dict[str, _Parsed] = {}
    for m in _ORGAN.finditer(text):
        parsed = _name_before(text, m.start())
        if parsed is not None and parsed.region not in found:
            found[parsed.region] = replace(parsed, raw=parsed.raw + m.group(0), tail=m.group(0))
    if not found:
        return None

    def score(p: _Parsed) -> int:
        stem = p.last.name if len(p.last.name) >= 2 else p.region
        return text.count(stem)

    return max(found.values(), key=score)  # max() keeps the first of equal scores


def _more_specific(a: _Parsed, b: _Parsed) -> bool:
    """Whether ``a`` names a narrower body than ``b`` (a department, or a lower level)."""
    if _RANK[a.level] > _RANK[b.level]:
        return True
    return a.region == b.region and a.agency is not None and b.agency is None


def _title_wins(title: _Parsed, meta: _Parsed) -> bool:
    """Title over ContentSource: when narrower, or the same place and no broader.

    ContentSource often names whoever uploaded the page (县政府办公室 for a department's
    or a township's report); the title is what the report calls itself.
    """
    if _more_specific(title, meta):
        return True
    return title.region == meta.region and not _more_specific(meta, title)


# fmt: off
_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|"
    "水|东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|"
    "乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺"
)
_AUTONOMOUS = {"县": "自治县", "自治县": "自治县", "州": "自治州", "自治州": "自治州",
               "旗": "自治旗", "自治旗": "自治旗", "区": "自治区", "自治区": "自治区"}
# fmt: on


def _full_region(parsed: _Parsed, corpus: str) -> str:
    """沧源自治县 + a text that says 沧源佤族自治县 → 沧源佤族自治县."""
    unit = parsed.last
    target = _AUTONOMOUS.get(unit.suffix)
    if target is None or "族" in unit.name:
        return unit.text
    pattern = re.compile(f"{re.escape(unit.name)}(?:(?:{_ETHNIC})族){{1,4}}{target}")
    counts = Counter(pattern.findall(corpus))
    return counts.most_common(1)[0][0] if counts else unit.text


def _named_under_prefecture(region: str, corpus: str) -> bool:
    """Whether the text names ``region`` (a 市) after a prefecture: 金华市义乌市."""
    for m in re.finditer(re.escape(region), corpus):
        before = corpus[max(0, m.start() - 12) : m.start()]
        for k in range(len(before) - 1):
            parsed = _parse_name(before[k:] + region)
            if parsed and not parsed.tail and len(parsed.units) >= 2 and parsed.level == COUNTY:
                return True
    return False


def _issuer_name(parsed: _Parsed, region: str) -> str:
    """The body's name as written, with the government's own in its formal shape."""
    tail = parsed.tail
    own_office = _is_gov_own(tail) and re.search(r"办公室|办公厅|管委会|管理委员会", tail)
    if parsed.agency is None and not own_office:
        suffix = parsed.last.suffix
        tail = "办事处" if suffix == "街道" else "行政公署" if suffix == "地区" else "人民政府"
    return ("中共" if parsed.party else "") + region + tail


def read_fields(
    title: str | None,
    text: str,
    meta: Mapping[str, str] | None = None,
    site_name: str | None = None,
) -> ReportFields:
    """Read every field of a report page.

    The issuer comes from, in order: the ``ContentSource``/``source`` meta tag when it
    names a government body; the title's prefix before the year (preferred over the meta
    tag when it names the same place or a narrower body); a ``来源：`` line; the text
    (填报单位, 由…编制, …年度政府信息公开工作年度报告); the site's name; the body the text
    names most often.  An abbreviated autonomous name is replaced by the full one when the
    text has it (沧源自治县 → 沧源佤族自治县).
    """
    meta = meta or {}
    lowered = {str(k).strip().lower(): v for k, v in meta.items() if isinstance(v, str)}
    text = text or ""
    clean_title = " ".join(title.split()) if title else None
    ntitle = normalize_for_reading(title or "")
    ntext = normalize_for_reading(text)

    site = _parse_name(site_name or lowered.get("sitename"))
    from_meta = next(
        (
            p
            for key in ("contentsource", "source", "来源")
            if (p := _relative(lowered.get(key), site)) is not None
        ),
        None,
    )
    from_title = _title_issuer(ntitle) if ntitle else None
    chosen = from_meta
    if chosen is None or (from_title is not None and _title_wins(from_title, chosen)):
        chosen = from_title
    if chosen is None:
        chosen = (
            _relative(_source_line_issuer(ntext), site)
            or _explicit_text_issuer(ntext)
            or site
            or _scanned_text_issuer(ntext)
        )

    region = level = agency = issuer = None
    if chosen is not None:
        corpus = "\n".join([ntitle, ntext, *lowered.values()])
        region, level, agency = _full_region(chosen, corpus), chosen.level, chosen.agency
        if (
            chosen.last.suffix == "市"
            and level == PREFECTURE
            and len(chosen.units) == 1
            and _named_under_prefecture(region, corpus)
        ):
            level = COUNTY
        issuer = _issuer_name(chosen, region)
    return ReportFields(
        title=clean_title,
        year=_report_year(ntitle, ntext),
        published=_published_date(meta, ntext),
        issuer=issuer,
        region=region,
        admin_level=level,
        agency=agency,
    )
