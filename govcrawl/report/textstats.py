"""Key figures stated in a report's free text.

Pre-2019 reports state their figures in sentences ("本年度收到信息公开申请1件", "未接到依申请
公开事项", "不存在因政府信息公开申请行政复议及提起行政诉讼情况"); standard-format reports
whose tables failed to parse fall back to the same sentences. Only what a sentence states
clearly is taken: approximate counts ("3万余条"), sums of two things ("2件…行政复议和行政诉讼
案件") and counts of subordinate governments ("各县区政府共受理…") are left out, and a
figure that is not stated is absent, never guessed.

Run on normalised text (:func:`govcrawl.report.normalize.normalize_text`): Simplified,
half-width digits. Chinese numerals (一件, 两件, 十二件) are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from govcrawl.report.figures import TEXT_FIGURES

__all__ = ["TEXT_FIGURES", "StatSpan", "parse_number", "text_stats", "text_stats_spans"]


@dataclass(frozen=True)
class StatSpan:
    """One figure read from the text: its value, where it was read, and the words read."""

    key: str
    value: int | float
    start: int
    end: int
    evidence: str


# --- numbers ----------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6,
              "柒": 7, "捌": 8, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10000}

# An exact count: Arabic (with thousands separators) or Chinese numerals, not part of a longer
# number (1.5, 3万) and not a bare unit character.
NUM = (r"(?<![\d.])(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|"
       r"[零〇一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾][零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟]*)(?![\d.]|\s*[万余多])")


def parse_number(token: str) -> int | float | None:
    """``"12"`` → 12, ``"1,234"`` → 1234, ``"十二"`` → 12, ``"两"`` → 2, ``"一百零五"`` → 105."""
    token = token.replace(",", "").strip()
    if not token:
        return None
    if token[0].isdigit():
        try:
            value = float(token)
        except ValueError:
            return None
        return int(value) if value.is_integer() else value
    total, section, digit = 0, 0, None
    for ch in token:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


# --- patterns ---------------------------------------------------------------------------------

_GAP = "[^。；;！!？?\\n]"          # within one sentence
_CLAUSE = "[^。；;！!？?，,\\n]"    # within one clause
_COUNT_UNIT = r"\s*(?:件|份|个|起|宗|例|次|项)"
_APPROX_BEFORE = re.compile("(?:约|近|超过|逾|将近|大约)\\s*$")
_ABOUT_OTHERS = re.compile("复议|诉讼|举报|投诉|咨询|建议|提案|许可|审批|信访|补正|听证|因|引起|引发")
_SUBORDINATE = re.compile("各县区|各区县|各县市区|各县[（(]市、?区[)）]|各市县|各县市")
_ZERO = 0

Reader = Callable[[re.Match[str], str], "int | float | None"]


@dataclass(frozen=True)
class _Rule:
    key: str
    pattern: re.Pattern[str]
    read: Reader
    context: str = ""          # a regex that must match near the match (120 before, 60 after)
    priority: int = 0          # lower wins over position (e.g. 主动公开… over 公开政府信息…)
    also: str = ""             # a second key the same sentence gives (复议 and 诉讼 → 0 and 0)
    anchor: str = ""           # run only around this word (patterns that start with a number)


def _count(m: re.Match[str], text: str) -> int | float | None:
    """The matched number, unless the sentence hedges it ("约", "近")."""
    if _APPROX_BEFORE.search(text[max(0, m.start("num") - 4):m.start("num")]):
        return None
    return parse_number(m.group("num"))


def _zero(m: re.Match[str], text: str) -> int:
    return _ZERO


def _applications(m: re.Match[str], text: str) -> int | float | None:
    """A count of applications received, unless the gap names something else (复议, 咨询) or
    the subject is the subordinate governments' sum."""
    if _ABOUT_OTHERS.search(m.group("gap") or ""):
        return None
    start = text.rfind("。", 0, m.start()) + 1
    if _SUBORDINATE.search(text[max(start, m.start() - 30):m.start()]):
        return None
    return _count(m, text)


def _applications_zero(m: re.Match[str], text: str) -> int | None:
    if _ABOUT_OTHERS.search(m.group("gap") or ""):
        return None
    return _ZERO


def _combined_guard(read: Reader) -> Reader:
    """A single count of 复议 (or 诉讼) that is not the sum of both ("2件…行政复议和行政诉讼案件")."""
    def guarded(m: re.Match[str], text: str) -> int | float | None:
        after = text[m.end():m.end() + 8]
        if re.match("(?:案件|案)?(?:和|及|与|、|或)(?:提起)?行政(?:诉讼|复议)", after):
            return None
        return read(m, text)
    return guarded


def _fees(m: re.Match[str], text: str) -> int | float | None:
    value = _count(m, text)
    if value is None or re.search("行政事业性|采购|投资|经费|预算|罚款|资金|罚没|收入", m.group(0)):
        return None
    if m.group("unit") == "万元":
        value = value * 10000
        value = int(value) if float(value).is_integer() else value
    return value


def _not_combined(m: re.Match[str], text: str) -> int | float | None:
    """A count of partial disclosures that is not "予以公开及部分公开258件" (a sum)."""
    if re.search("公开(?:及|和|与|、|或)$", text[max(0, m.start() - 4):m.start()]):
        return None
    return _count(m, text)


def _rule(key: str, pattern: str, read: Reader = _count, context: str = "", priority: int = 0,
          also: str = "", anchor: str = "") -> _Rule:
    return _Rule(key, re.compile(pattern), read, context, priority, also, anchor)


_NEG = "(?:不存在|未发生|没有发生|未出现|没有出现|未有|均未发生|均未|均无|未收到|没有收到|未接到|未产生|无|没有)"

_RULES: tuple[_Rule, ...] = (
    # applications_new
    _rule("applications_new",
          rf"(?:收到|受理|接到|接收|收悉|登记)(?P<gap>{_GAP}{{0,25}}?公开{_GAP}{{0,10}}?)"
          rf"(?:申请|请求|件)(?:公开)?(?:政府信息)?(?:的)?(?:申请|件)?"
          rf"(?:数量|总数)?(?:共计?|合计|总计|为|达)?\s*{NUM}{_COUNT_UNIT}", _applications),
    _rule("applications_new",
          rf"(?P<gap>)(?:依申请公开|信息公开申请|申请公开政府信息)(?:政府)?(?:信息)?(?:申请)?"
          rf"(?:数量|总数)?(?:共计?|合计|为)?\s*{NUM}{_COUNT_UNIT}", _applications),
    _rule("applications_new",
          rf"(?:未|没有|尚未|均未)(?:收到|接到|受理|接收|发生|产生|出现|有)(?P<gap>{_CLAUSE}{{0,25}}?)"
          rf"(?:(?:依申请公开|申请公开){_CLAUSE}{{0,10}}?(?:申请|事项|请求|情况|件)"
          rf"|信息公开申请|公开申请|公开政府信息的?申请)", _applications_zero),
    _rule("applications_new",
          rf"(?:收到|受理|接到|接收)(?P<gap>(?:了)?(?:各类)?(?:申请人)?(?:的)?)申请"
          rf"(?:共计?|合计|为)?\s*{NUM}{_COUNT_UNIT}", _applications, context="信息公开|依申请公开"),
    _rule("applications_new",
          r"无(?P<gap>)(?:依申请公开|信息公开申请|申请公开)(?:政府信息)?(?:的)?(?:申请|事项|请求|情况|件)",
          _applications_zero),
    _rule("applications_new",
          rf"(?:没有|未有|无)(?:群众|公民|法人|个人|单位|申请人|人)(?P<gap>{_CLAUSE}{{0,6}}?)"
          rf"(?:提出|提交|申请){_CLAUSE}{{0,20}}?公开{_CLAUSE}{{0,8}}?(?:申请|请求)",
          _applications_zero),
    # how the applications were answered
    _rule("partially_disclosed",
          rf"(?:同意部分公开|部分同意公开|部分公开)(?:的)?(?:共|为|有)?\s*{NUM}{_COUNT_UNIT}",
          _not_combined, context="申请"),
    _rule("disclosed",
          rf"(?<!不)(?<!部分)(?:予以公开|同意公开|全部公开|准予公开|公开答复)(?:的)?(?:共|为|有)?"
          rf"\s*{NUM}{_COUNT_UNIT}", _not_combined, context="申请"),
    _rule("not_disclosed",
          rf"(?:不予公开|不同意公开|不予以公开|不公开)(?:的)?(?:共|为|有)?\s*{NUM}{_COUNT_UNIT}",
          context="申请"),
    # reconsideration and litigation: both denied in one sentence
    _rule("reconsideration_total",
          rf"{_NEG}{_CLAUSE}{{0,40}}?行政复议{_CLAUSE}{{0,40}}?行政诉讼", _zero,
          context="公开", also="litigation_total"),
    _rule("reconsideration_total",
          rf"行政复议{_CLAUSE}{{0,20}}?行政诉讼{_CLAUSE}{{0,12}}?(?:均为|均|为|:|：)\s*"
          rf"(?:无|零|0)(?:件|起|次)?(?=[。；;，,\n]|$)", _zero, context="公开",
          also="litigation_total"),
    # … one of them denied
    _rule("reconsideration_total",
          rf"{_NEG}{_CLAUSE}{{0,30}}?行政复议(?!{_CLAUSE}{{0,40}}?行政诉讼)", _zero, context="公开"),
    _rule("litigation_total",
          rf"{_NEG}(?!{_CLAUSE}{{0,40}}?行政复议){_CLAUSE}{{0,30}}?行政诉讼", _zero, context="公开"),
    # … counted
    _rule("reconsideration_total",
          rf"行政复议(?:申请|案件|案)?(?:共计?|为|有)?\s*{NUM}\s*(?:件|起|宗|次|例)",
          _count, context="公开"),
    _rule("litigation_total",
          rf"行政诉讼(?:案件|案)?(?:共计?|为|有)?\s*{NUM}\s*(?:件|起|宗|次|例)",
          _count, context="公开"),
    _rule("litigation_total",
          rf"行政复议(?:申请|案件|案)?\s*{_CLAUSE}{{0,6}}?[，,、]\s*(?:行政)?诉讼(?:案件|案)?"
          rf"(?:共计?|为|有)?\s*{NUM}\s*(?:件|起|宗|次|例)", context="公开"),
    _rule("reconsideration_total",
          rf"{NUM}\s*(?:件|起|宗|例){_CLAUSE}{{0,15}}?行政复议(?:案件|案|申请)?",
          _combined_guard(_count), context="公开", priority=1, anchor="行政复议"),
    _rule("litigation_total",
          rf"{NUM}\s*(?:件|起|宗|例)(?!{_CLAUSE}{{0,15}}?行政复议){_CLAUSE}{{0,15}}?行政诉讼(?:案件|案)?",
          _combined_guard(_count), context="公开", priority=1, anchor="行政诉讼"),
    # proactive disclosures: exact counts only
    _rule("proactive_disclosures",
          rf"主动公开(?:了)?(?:各类|各项|全部)?(?:政府)?信息(?:条数|数量|总数|总量)?"
          rf"(?:共计?|总计|合计|累计)?(?:为|达到?)?\s*{NUM}\s*条"),
    _rule("proactive_disclosures",
          rf"(?:全年|本年度?|年内|共|累计|总计|合计){_CLAUSE}{{0,8}}?公开(?:各类)?政府信息"
          rf"(?:条数|数量|总数)?(?:共计?|累计)?(?:为|达到?)?\s*{NUM}\s*条", priority=1),
    # fees for disclosure
    _rule("fees",
          rf"(?:收取|收费|处理费|费用){_CLAUSE}{{0,12}}?(?:共计?|合计|总计|为)?\s*{NUM}"
          rf"\s*(?P<unit>元|万元)", _fees, context="公开"),
    _rule("fees",
          rf"(?:未|没有|不|均未|免予|免于)(?:收取|收费|产生|存在|发生){_CLAUSE}{{0,16}}?"
          rf"(?:费用|处理费|收费)", _zero, context="公开"),
)


def _has_context(text: str, m: re.Match[str], context: str) -> bool:
    """``context`` occurs in the match, the 120 characters before it or the 60 after."""
    return not context or re.search(context, text[max(0, m.start() - 120):m.end() + 60]) is not None


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence (or line) around a match, for evidence."""
    lo = max(text.rfind(c, 0, start) for c in "。；;\n") + 1
    his = [i for i in (text.find(c, end) for c in "。；;\n") if i != -1]
    hi = min(his) + 1 if his else len(text)
    return text[lo:hi].strip()


def _matches(rule: _Rule, text: str) -> Iterator[re.Match[str]]:
    """The rule's matches; an anchored rule is tried only in windows around its anchor."""
    if not rule.anchor:
        yield from rule.pattern.finditer(text)
        return
    seen: set[tuple[int, int]] = set()
    i = text.find(rule.anchor)
    while i != -1:
        for m in rule.pattern.finditer(text, max(0, i - 30), i + len(rule.anchor) + 4):
            if m.span() not in seen:
                seen.add(m.span())
                yield m
        i = text.find(rule.anchor, i + 1)


def _candidates(text: str) -> Iterator[tuple[tuple[int, int, int], StatSpan]]:
    for rule in _RULES:
        for m in _matches(rule, text):
            if not _has_context(text, m, rule.context):
                continue
            value = rule.read(m, text)
            if value is None:
                continue
            evidence = _sentence(text, m.start(), m.end())
            for key in (rule.key, rule.also):
                if key:
                    span = StatSpan(key, value, m.start(), m.end(), evidence)
                    yield (rule.priority, m.start(), -m.end()), span


def text_stats_spans(text: str) -> dict[str, StatSpan]:
    """Each key figure the text states, with where and how it was read (for debugging).

    Where a figure is stated more than once, the first statement wins (a rule's own
    priority first: 主动公开… before 公开政府信息…)."""
    best: dict[str, tuple[tuple[int, int, int], StatSpan]] = {}
    for rank, span in _candidates(text or ""):
        if span.key not in best or rank < best[span.key][0]:
            best[span.key] = (rank, span)
    return {key: best[key][1] for key in TEXT_FIGURES if key in best}


def text_stats(text: str) -> dict[str, int | float]:
    """The key figures the free text states (``TEXT_FIGURES``: ``applications_new``,
    ``disclosed``, ``partially_disclosed``, ``not_disclosed``, ``reconsideration_total``,
    ``litigation_total``, ``proactive_disclosures``, ``fees``); absent when not stated."""
    return {key: span.value for key, span in text_stats_spans(text).items()}
