"""Which titles name a government-information-disclosure annual report, and which link texts name
the column (栏目) that lists them.

A report title has three parts: who and when (``XX县财政局2022年``), the core
(``政府信息公开工作年度报告`` / ``政府信息公开年报`` …) and at most a bracketed remark
(``（2021年）``, ``（更正版）``). A title without a year is a column name; a title that wraps the
core in a notice (``关于做好…年度报告…的通知``) or in news (``我县发布…``) is not a report.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from govcrawl.documents.kinds import REPORT_EXTENSIONS, STATIC_PAGE_EXTENSIONS, extensions_pattern
from govcrawl.text.fold import fold


@lru_cache(maxsize=16384)
def canonical(text: str) -> str:
    """Fold a title for matching (:func:`govcrawl.text.fold.fold`): NFKC (full-width
    digits/brackets → ASCII, ``…`` → ``...``), pinyin annotations and all whitespace removed,
    Traditional → Simplified. Cached: the same link texts recur on every page of a portal."""
    return fold(str(text)) if text else ""


# A report year, as digits (1980–2049) or in Chinese numerals (二〇二二).
YEAR = re.compile(r"(?<!\d)(?:19[89]\d|20[0-4]\d)(?!\d)|二[〇○零][〇○零一二三四五六七八九]{2}")

# The core words of a report title: 政府信息公开工作年度报告, 政务公开年度报告, 信息公开年报 …
REPORT_CORE = re.compile(
    r"(?:政府信息|政务信息|政务|信息)公开(?:工作|年度|的){0,3}(?:年度报告|年报|报告)"
)

# Words that make a title a notice, a template or commentary about reports, wherever they are.
NOTICE = re.compile(
    r"关于|通知|公告|意见|函|解读|图解|一图|读懂|模板|样本|范本|编制|报送|抽查|评估|评议|点评|考核|"
    r"培训|问答|答问|发布会|督查|整改"
)

# Before the core: verbs of news items and quoted titles (我县发布…, 印发《…》).
NEWS_BEFORE = re.compile(
    r"印发|转发|做好|开展|编写|撰写|发布|公布|完成|召开|提交|填报|审核|学习|如何|《|“|\""
)

# After the core only remarks may follow: brackets, version words, separators, a file extension.
_FILE_EXTENSION = re.compile(
    extensions_pattern((*REPORT_EXTENSIONS, *STATIC_PAGE_EXTENSIONS, "txt")) + "$", re.IGNORECASE
)
_REMARKS = re.compile(
    r"(?:[(\[【〔<「][^)\]】〕>」]{0,30}[)\]】〕>」]|更正版|修订版|修正版|更新版|全文|正文|文字版|"
    r"图文版|简版|附表|附件\d*|[-—_:：,，.。;；、·])*"
)
# ``-县财政局`` or a page <title>'s trail: ``_略阳县人民政府``, `` - 政务公开 - XX县人民政府``.
# Used with fullmatch only, hence ``\A``: a search would rescan the rest from every separator.
_AGENCY_AFTER = re.compile(r"\A(?:[-—_|:：]+[\u4e00-\u9fff()]{2,24})+")

# Things that are yearly reports but not ours (企业年度报告, 法治政府建设年度报告, 统计年报 …).
OTHER_YEARLY = re.compile(
    r"企业|公司|统计|法治|法制|决算|预算|财务|审计|信用|社会责任|环境|质量|工作要点|工作总结|公示|"
    r"政府工作报告|国民经济|公报"
)

_SHORT_CORE = re.compile(r"年度报告|年报")
# A trailing "..." / "…" (the look-behinds start a match only where a run begins: searching
# ``\.{2,}$`` from every dot of a long run not at the end would be quadratic).
_TRUNCATION = re.compile(r"(?:(?<!\.)\.{2,}|(?<!…)…+)$")
_RAW_TRUNCATION = re.compile(r"(?:(?<!\.)\.{2,}|…|(?<!．)．{2,}|。{3})\s*$")
_FULL_CORES = (
    "政府信息公开工作年度报告",
    "政府信息公开年度报告",
    "政府信息公开年报",
    "政务公开工作年度报告",
    "政务信息公开年度报告",
    "信息公开工作年度报告",
    "信息公开年报",
)


def _remarks_only(after: str) -> bool:
    after = _FILE_EXTENSION.sub("", after)
    if not after:
        return True
    if NOTICE.search(after) or "的" in after:
        return False
    return bool(_REMARKS.fullmatch(after) or _AGENCY_AFTER.fullmatch(after))


@lru_cache(maxsize=16384)
def is_report_title(title: str) -> bool:
    """True when ``title`` names one disclosure annual report (it has a year and the core words,
    and is not a notice, template or news item about reports)."""
    if not title or ("报" not in title and "報" not in title):
        return False  # fast path: most link texts on a page
    text = canonical(title)
    if len(text) > 120:
        return False
    core = REPORT_CORE.search(text)
    if core is None or NOTICE.search(text):
        return False
    before, after = text[: core.start()], text[core.end() :]
    if NEWS_BEFORE.search(before) or not _remarks_only(after):
        return False
    return bool(YEAR.search(before) or YEAR.search(after))


@lru_cache(maxsize=16384)
def is_listed_report_title(title: str) -> bool:
    """Looser test for an item listed inside an annual-report column, where context speaks:
    also ``XX镇2022年度报告`` / ``2022年年报`` and titles truncated with ``...`` whose visible
    part is a report title cut short (``XX县2022年政府信息公开工作...``)."""
    if not title or not ("报" in title or "報" in title or _RAW_TRUNCATION.search(title)):
        return False  # fast path: neither a report word nor a truncation mark
    if is_report_title(title):
        return True
    text = canonical(title)
    if not text or len(text) > 120 or NOTICE.search(text) or OTHER_YEARLY.search(text):
        return False
    truncated = bool(_TRUNCATION.search(text))
    text = _TRUNCATION.sub("", text)
    if not YEAR.search(text):
        return False
    short = _SHORT_CORE.search(text)
    if short is not None and not truncated:
        before, after = text[: short.start()], text[short.end() :]
        return not NEWS_BEFORE.search(before) and _remarks_only(after)
    if truncated and not NEWS_BEFORE.search(text):
        # The visible tail must be the beginning of a report core, at least 4 characters of it.
        for core in _FULL_CORES:
            for size in range(len(core) - 1, 3, -1):
                if text.endswith(core[:size]):
                    return bool(YEAR.search(text[: len(text) - size]))
    return False


# Column names: 政府信息公开年报, 政府信息公开年度报告, 年度报告, 年报, 乡镇政府信息公开年报 …
_COLUMN_TEXT = re.compile(
    r"[\u4e00-\u9fff()]{0,16}?(?:年度报告|年报)(?:专栏|栏目|专题)?(?:\([^)]{0,12}\))?"
)
_COLUMN_PATH_SEGMENT = re.compile(r"ndbg|gknb|(?:^|[_-]|gk)nb(?:$|[_-]|\d)", re.IGNORECASE)
_COLUMN_URL_PREFILTER = re.compile(r"ndbg|nb", re.IGNORECASE)
_INDEX_FILE = re.compile(r"(?:index|default|list|main)(?:_\d+)?\.\w+", re.IGNORECASE)


def column_url_hint(url: str) -> bool:
    """True when the URL is a listing (a directory or its index file) inside a directory named
    like an annual-report column: ``/zwgk/ndbg/``, ``/zfxxgknb/index.html``, ``/gknb/``."""
    if not _COLUMN_URL_PREFILTER.search(url):
        return False
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    segments = path.split("/")
    directories, last = segments[:-1], segments[-1]
    if last and not _INDEX_FILE.fullmatch(last):
        return False
    return any(_COLUMN_PATH_SEGMENT.search(segment) for segment in directories if segment)


@lru_cache(maxsize=16384)
def is_report_column_text(text: str, url: str) -> bool:
    """True for a link to an annual-report column: its text names the column
    (``政府信息公开年报``, ``年度报告``, ``年报`` …) or, for texts like ``更多>>``, its URL is a
    listing under a directory like ``ndbg``/``zfxxgknb``/``gknb``. A report is never a column."""
    if text and "报" not in text and "報" not in text:
        # fast path: only the URL can tell (``更多>>`` → /zwgk/ndbg/)
        return len(text) <= 20 and not YEAR.search(text) and column_url_hint(url)
    folded = canonical(text)
    if folded and (is_listed_report_title(folded) or YEAR.search(folded)):
        return False
    if folded and (NOTICE.search(folded) or OTHER_YEARLY.search(folded)):
        return False
    if folded and _COLUMN_TEXT.fullmatch(folded):
        return True
    return len(folded) <= 20 and column_url_hint(url)
