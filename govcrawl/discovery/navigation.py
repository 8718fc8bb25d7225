"""The vocabulary of gov.cn navigation: which link leads to a disclosure section (政务公开 /
信息公开 / 法定主动公开内容 …) and which names a unit (a township, a department, or a category of
them such as 乡镇信息公开 / 县直部门) inside a disclosure section or platform."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from govcrawl.discovery.titles import YEAR, canonical

# 政府信息公开, 政务公开, XX县信息公开, 部门信息公开, 政府信息公开目录, 信息公开专栏 … The words before
# the core may only name who publishes (an admin area, an organisation, 部门/乡镇), so that
# 重点领域信息公开 (a topic) or 依申请公开 (a procedure) are not sections. Used with fullmatch
# only (on ≤ 20 characters), hence ``\A``: a search would try the 10-character window everywhere.
_SECTION_TEXT = re.compile(
    r"\A(?:(?:[\u4e00-\u9fff]{0,10}(?:县|市|区|旗|州|盟|镇|乡|街道|局|委|办|政府|部门|乡镇|单位|镇街))?"
    r"(?:政府信息|政务信息|政务|信息)公开(?:目录|专栏|专题|平台|网|门户|主页)?"
    r"|法定主动公开(?:内容|目录)?|主动公开(?:目录|内容)|(?:政府)?信息公开目录|公开目录)"
)
# Paths and hosts of disclosure sections: /zwgk/, /xxgk/index.html, http://xxgk.x.gov.cn/.
SECTION_PATH_TOKENS = frozenset(
    {
        "zwgk",
        "xxgk",
        "zfxxgk",
        "gkml",
        "xxgkml",
        "zwxxgk",
        "zfxxgkml",
        "zfxxgkzl",
        "govinfo",
        "xxgkpt",
    }
)
_SECTION_URL_PREFILTER = re.compile(r"zwgk|xxgk|gkml|govinfo|//gk\.", re.IGNORECASE)
_SECTION_HOST = re.compile(r"^(?:xxgk|zwgk|zfxxgk|gk|gkml|xxgkml)\.", re.IGNORECASE)
_INDEX_FILE = re.compile(r"(?:index|default|main)\.\w+", re.IGNORECASE)

# Organisation names end with the kind of organisation.
_UNIT_SUFFIX = (
    r"街道办事处|办事处|街道|镇|乡|管理委员会|委员会|管委会|管理局|局|委|办公室|办|中心|所|院|队|"
    r"人民政府|政府|署|厅|处|站|馆|部|妇联|残联|工商联|文联|侨联|科协|总工会|团县委|团市委"
)
# Used with fullmatch only (on ≤ 26 characters); ``\A`` says so, and keeps a search from trying
# the 24-character window at every position of a long text.
_UNIT_NAME = re.compile(rf"\A[\u4e00-\u9fff()·]{{0,24}}(?:{_UNIT_SUFFIX})")
# Navigation words that end like an organisation but are not one.
_NOT_UNIT = re.compile(
    r"(?:新闻|下载|帮助|消息|个人|用户|会员|资讯|数据|文件|办件)中心$|(?:通|要|上|线|马上|掌上|就近|一次)办$|"
    r"(?:法治|法制|数字|透明|阳光|廉洁|服务型|诚信|智慧|网上)政府$|网站$|全部$|本部$|首页|公开|报告|"
    r"通知|公告|关于|指南|制度|(?:网上|在线|便民)办事|办事(?:服务|大厅|指南)|领导|简介|概况|动态|要闻|新闻"
)
# Categories of units on a disclosure platform: 乡镇信息公开, 部门信息公开, 乡镇（街道）, 县直部门 …
# The words 部门 单位 机构 乡镇 镇街 街镇 街道 乡 镇 村 社区, repeated, are written so that at most
# one of them fits at any position (乡镇 is 乡 + 镇; a 镇 before 街 takes the 街 unless 街道
# follows): ``(?:…|乡镇|…|乡|镇|…)+`` could split 乡镇乡镇… in 2^n ways, all tried when the text
# does not end as a category. Same texts accepted (checked on every string of up to 7 of these
# words); used with fullmatch only, hence ``\A``.
_UNIT_CATEGORY = re.compile(
    r"\A(?:[县市区旗州盟]直|[县市区旗州]政府|[县市区]级|[县市区])?"
    r"(?:部门|单位|机构|社区|乡|村|镇街(?!道)|镇(?!街(?!道))|街[镇道])+"
    r"(?:(?:政府)?信息公开|政务公开|公开)?(?:目录|专栏|平台)?"
)
_BRACKETS = re.compile(r"[()]")
_DIGIT = re.compile(r"\d")


def _path_segments(url: str) -> tuple[str, list[str]]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", []
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and _INDEX_FILE.fullmatch(segments[-1]):
        segments = segments[:-1]
    return parts.hostname or "", segments


@lru_cache(maxsize=16384)
def is_section_text(text: str) -> bool:
    """True for the text of a disclosure-section link (政务公开, 政府信息公开, 部门信息公开 …)."""
    folded = canonical(text)
    return 2 <= len(folded) <= 20 and _SECTION_TEXT.fullmatch(folded) is not None


def is_section_url(url: str) -> bool:
    """True for the entry of a disclosure section by its address alone: a top-level
    ``/zwgk/``-like directory (or its index file), or the root of an ``xxgk.`` host."""
    if not _SECTION_URL_PREFILTER.search(url):
        return False
    host, segments = _path_segments(url)
    if not segments:
        return bool(_SECTION_HOST.match(host))
    return len(segments) == 1 and segments[0].lower() in SECTION_PATH_TOKENS


@lru_cache(maxsize=16384)
def is_unit_category_text(text: str) -> bool:
    """True for a category of units: 乡镇信息公开, 部门信息公开, 乡镇（街道）, 县直部门 …"""
    folded = _BRACKETS.sub("", canonical(text))
    return 2 <= len(folded) <= 16 and _UNIT_CATEGORY.fullmatch(folded) is not None


@lru_cache(maxsize=16384)
def is_unit_name(text: str) -> bool:
    """True for an organisation name used as link text: XX镇, XX街道办事处, 县财政局, 县发改委,
    县人民政府办公室, 县政务服务中心 … (not navigation words such as 新闻中心 or 一网通办)."""
    folded = canonical(text)
    if not 2 <= len(folded) <= 26 or YEAR.search(folded) or _DIGIT.search(folded):
        return False
    if len(folded) == 2 and folded[-1] not in "镇乡":
        return False
    return _UNIT_NAME.fullmatch(folded) is not None and _NOT_UNIT.search(folded) is None


def is_unit_text(text: str) -> bool:
    """True for a unit link inside a disclosure section: an organisation name or a category."""
    return is_unit_name(text) or is_unit_category_text(text)
