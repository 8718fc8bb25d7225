"""Spam injected into report pages by hacked government sites.

Hacked gov.cn sites carry gambling, sports-streaming, lottery, casino, porn and pharma phrases,
often swapped in for an ordinary word (seed 003: "省、市、县西甲直播:开展…" where "关于" was) and
often followed by ``:``/``：`` and a URL. Recall without false positives on real reports:

* **Unambiguous phrases** (西甲直播, 百家乐, 六合彩, 真人娱乐, bet365, 开云体育 …) are spam
  anywhere — except in an enforcement clause ("严厉打击六合彩赌博", "取缔博彩网站"), which a
  public-security report may well contain.
* **Risky words** that real reports use (彩票, 世界杯, 棋牌, 开户, 博彩, 赌场, 代孕, 私服, 外围,
  皇冠, 亚博, 开云 …) are spam only in an injection context: followed by a URL or domain, a
  brand word glued to a betting suffix (亚博体育, 乐鱼官网), or glued mid-sentence with a colon
  (``县彩票:开展``) where no ordinary compound (福利彩票:, 足球世界杯:) explains it.

Removal takes the phrase, its colon and its URL; the word it replaced is not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SpamFinding", "find_spam", "remove_spam"]


@dataclass(frozen=True)
class SpamFinding:
    """A spam phrase and how often it occurs in the text."""

    phrase: str
    count: int


_UNAMBIGUOUS = (
    # sports streaming
    "西甲直播", "英超直播", "意甲直播", "德甲直播", "法甲直播", "欧冠直播", "中超直播", "英冠直播",
    "欧联直播", "NBA直播", "CBA直播", "足球直播", "足球比分直播", "世界杯直播", "欧洲杯直播",
    "直播吧西甲",
    # gambling and casinos
    "澳门威尼斯人", "百家乐", "六合彩", "时时彩", "北京赛车", "北京pk10", "pk10", "幸运飞艇", "真人娱乐", "真人视讯",
    "真人荷官", "网上赌场", "在线赌场", "网络赌场", "线上赌场", "体育投注", "足球投注", "赌球",
    "买球网站", "买球平台", "买球app", "博彩网站", "博彩公司", "博彩平台", "博彩网", "送彩金",
    "威尼斯人", "新葡京", "葡京娱乐", "澳门赌场", "澳门博彩", "澳门娱乐", "澳门赌博",
    "澳门金沙", "金沙娱乐", "金沙赌场", "太阳城娱乐", "太阳城集团", "永利娱乐", "永利皇宫",
    "银河娱乐", "娱乐城官网", "bet365", "bet 365", "365bet", "188bet", "12bet", "betway",
    "188金宝博", "金宝博", "必威体育", "伟德体育", "皇冠体育", "皇冠娱乐", "皇冠足球", "皇冠投注",
    "皇冠网址", "皇冠官网", "亚博体育", "亚博娱乐", "亚博官网", "亚博app", "开云体育", "开云官网",
    "开云app", "开云娱乐", "kaiyun", "爱游戏体育", "爱游戏官网", "华体会体育", "华体会官网",
    "华体会app", "乐鱼体育", "乐鱼官网", "半岛体育", "九游会", "米乐体育", "星空体育", "ob体育",
    "hth体育", "棋牌游戏平台", "棋牌官网", "老虎机游戏", "捕鱼游戏平台",
    # other
    "传奇私服", "私服发布网", "代孕网", "代孕公司", "代孕机构", "试管代孕", "外围女", "外围模特",
    "外围足球", "外围赌球", "成人电影", "成人视频", "伦理片", "无码高清", "无码视频", "一本道",
    "伟哥", "壮阳药", "催情药",
)

# A clause punishing or warning against the thing (a police report, not an injection).
_ENFORCEMENT = re.compile(
    "打击|查处|取缔|整治|严打|收缴|禁止|防范|抵制|远离|举报|涉嫌|非法|严禁|治理|侦破|破获|查获|"
    "清理|封堵|屏蔽|关停|涉赌|涉黄|违法|犯罪|拒绝|警惕|谨防|查办"
)

# Words with ordinary uses in reports; spam only in an injection context. Each maps to the
# words that, just before it, make it an ordinary compound.
_RISKY: dict[str, tuple[str, ...]] = {
    "体育直播": ("央视", "电视", "网络", "现场"),
    "世界杯": ("足球", "女足", "男足", "国际足联", "FIFA", "卡塔尔", "俄罗斯", "巴西", "年", "届",
             "球", "赛", "操", "水", "击", "剑", "雪", "冰", "岩", "泳", "径", "车", "棋", "板",
             "舞", "艇", "技", "道", "拳", "跤", "重", "箭", "马", "柔", "术"),
    "欧洲杯": ("足球", "年", "届", "球", "赛"),
    "彩票": ("福利", "体育", "即开", "电脑", "中国", "国家", "网络", "型", "售", "行", "销"),
    "博彩": ("澳门",),
    "赌场": ("地下", "非法", "流动", "露天", "网络"),
    "棋牌": ("老年", "社区", "文化", "象", "围", "桥", "休闲"),
    "开户": ("银行", "账户", "企业", "个人", "预约", "户", "证券", "批量", "新"),
    "代孕": (),
    "私服": (),
    "外围": ("园区", "城区", "场馆", "景区", "厂区", "核心区", "区", "城", "村", "镇", "库",
           "保护区", "河道", "道路"),
    "娱乐城": (),
    "老虎机": (),
    "皇冠": (),
    "亚博": (),
    "开云": (),
    "爱游戏": (),
    "华体会": ("中",),
    "乐鱼": ("快", "娱", "欢"),
}
# Brand words glued to a betting suffix: 亚博体育, 乐鱼官网, 开云登录.
_BRANDS = ("皇冠", "亚博", "开云", "爱游戏", "华体会", "乐鱼", "娱乐城")
_BRAND_SUFFIX = "体育|娱乐|官网|官方网站|官方|app|APP|平台|登录|登陆|网址|注册|入口|下载|客户端|网页版|手机版|投注"

# A URL or a bare domain (not a government, education or organisation one).
_URL = (
    r"(?:[hH][tT][tT][pP][sS]?://)?(?:[wW]{3}\.)?[a-zA-Z0-9][a-zA-Z0-9-]*(?:\.[a-zA-Z0-9-]+)*"
    r"\.(?:com|net|cc|vip|top|xyz|me|app|tv|info|io|bet|club|live|pro|co|in|la|win|cn|COM|NET|CN)"
    r"(?::\d+)?(?:/[A-Za-z0-9_./?=&%#-]*)?"
)
_GOV_DOMAIN = re.compile(r"\.(?:gov|edu|org|ac)\.cn|\.gov(?:\.|/|$)", re.IGNORECASE)
# Tokens of spam domains (bet365.com, www.yabo88.vip); a hit is widened to its URL.
_DOMAIN_TOKENS = ("bet365", "365bet", "yabo", "kaiyun", "huatihui", "casino", "bocai", "baijiale",
                  "liuhecai", "weinisi", "xinpujing", "amjs", "xpj", "leyu", "ayx")
_SPAM_DOMAIN_TOKEN = re.compile("|".join(_DOMAIN_TOKENS))
_URL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'*+,;=%")
_TAIL = rf"(?P<colon>\s*[:：])?(?P<url>\s*{_URL})?"


def _char(ch: str) -> str:
    """One character, either case for ASCII letters (re.IGNORECASE makes the scan 10x slower)."""
    return f"[{ch}{ch.upper()}]" if ch.isascii() and ch.isalpha() else re.escape(ch)


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    """A regex matching any of ``words`` (longest first), factored as a trie: Python's re tries
    every branch of a flat alternation at every position, a trie only the branches that fit."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word.lower():
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [_char(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return emit(trie)


_SUFFIX = _alternation(_BRAND_SUFFIX.split("|"))


def _first_chars(words: tuple[str, ...] | list[str]) -> str:
    """A lookahead on the words' first characters: lets re skip most positions at C speed."""
    chars = {w[0].lower() for w in words} | {w[0].upper() for w in words}
    return "(?=[" + "".join(re.escape(c) for c in sorted(chars)) + "])"


_UNAMBIGUOUS_RE = re.compile(
    rf"{_first_chars(_UNAMBIGUOUS)}(?P<core>{_alternation(_UNAMBIGUOUS)})(?:{_SUFFIX}){{0,2}}{_TAIL}"
)
_RISKY_RE = re.compile(
    rf"{_first_chars(list(_RISKY))}(?P<core>{_alternation(list(_RISKY))})(?P<suffix>{_SUFFIX})?{_TAIL}"
)
_GLUE_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-")
_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


def _clause_before(text: str, start: int, width: int = 10) -> str:
    """The text just before ``start``, back to the clause's start."""
    before = text[max(0, start - width):start]
    cut = max(before.rfind(c) for c in "。；;，,！!？?\n")
    return before[cut + 1:]


def _url_ok(url: str | None) -> bool:
    """A URL or domain that can be spam's (not a gov.cn one)."""
    return bool(url) and not _GOV_DOMAIN.search(url)


def _risky_is_spam(text: str, m: re.Match[str]) -> bool:
    core = m.group("core")
    key = next((w for w in _RISKY if w.lower() == core.lower()), core)
    before = text[max(0, m.start() - 6):m.start()]
    if _url_ok(m.group("url")):
        return True
    if key in _BRANDS and m.group("suffix"):
        return not any(before.endswith(w) for w in _RISKY[key])
    if m.group("colon") and not m.group("suffix"):
        prev = text[m.start() - 1] if m.start() else ""
        rest = text[m.end():m.end() + 12].lstrip(" \t\u3000\xa0")[:1]
        return (bool(_CJK_CHAR.match(prev)) and bool(rest) and bool(_CJK_CHAR.match(rest))
                and not any(before.endswith(w) for w in _RISKY[key])
                and not _ENFORCEMENT.search(_clause_before(text, m.start())))
    return False


def _end(m: re.Match[str]) -> int:
    """Where the removal ends: after the URL when it is spam's, else after the colon/word."""
    if _url_ok(m.group("url")):
        return m.end("url")
    for group in ("colon", "suffix"):
        if group in m.re.groupindex and m.group(group):
            return m.end(group)
    return m.start("url") if m.group("url") else m.end()


def _glued_ascii(text: str, m: re.Match[str]) -> bool:
    """A phrase glued to a longer ASCII word or a URL (kaiyunzhen, bet3650, x.nba直播)."""
    core, start, end = m.group("core"), m.start(), m.end("core")
    if core[0].isascii() and start and text[start - 1] in _GLUE_BEFORE:
        return True
    return core[-1].isascii() and end < len(text) and text[end].isascii() and text[end].isalnum()


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, phrase) of each spam occurrence, in text order, not overlapping."""
    found: list[tuple[int, int, str]] = []
    for m in _UNAMBIGUOUS_RE.finditer(text):
        if _glued_ascii(text, m):
            continue
        if _url_ok(m.group("url")) or not _ENFORCEMENT.search(_clause_before(text, m.start())):
            found.append((m.start(), _end(m), m.group("core")))
    for m in _RISKY_RE.finditer(text):
        if not _glued_ascii(text, m) and _risky_is_spam(text, m):
            found.append((m.start(), _end(m), m.group("core") + (m.group("suffix") or "")))
    lower = text.lower()
    hits = len(lower) == len(text) and any(t in lower for t in _DOMAIN_TOKENS)
    for m in _SPAM_DOMAIN_TOKEN.finditer(lower) if hits else ():
        start, end = m.start(), m.end()
        while start > 0 and text[start - 1] in _URL_CHARS:
            start -= 1
        while end < len(text) and text[end] in _URL_CHARS:
            end += 1
        while end > m.end() and text[end - 1] in ".,;:!?)'":
            end -= 1
        url = text[start:end]
        if "." in url[m.end() - start:] and not _GOV_DOMAIN.search(url):
            found.append((start, end, url))
    found.sort(key=lambda s: (s[0], -s[1]))
    spans: list[tuple[int, int, str]] = []
    for start, end, phrase in found:
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end, phrase))
    return spans


def _findings(spans: list[tuple[int, int, str]]) -> list[SpamFinding]:
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for _, _, phrase in spans:
        key = phrase.lower()
        names.setdefault(key, phrase)
        counts[key] = counts.get(key, 0) + 1
    return [SpamFinding(names[k], n) for k, n in counts.items()]


def find_spam(text: str) -> list[SpamFinding]:
    """The spam phrases in ``text``, in order of first occurrence, with their counts."""
    return _findings(_spans(text or ""))


def remove_spam(text: str) -> tuple[str, list[SpamFinding]]:
    """``text`` with each spam phrase (and its colon and URL) removed, and the findings.

    Repeated until nothing more is found (a removal can bring two injections together)."""
    text = text or ""
    found: list[tuple[int, int, str]] = []
    for _ in range(4):
        spans = _spans(text)
        if not spans:
            break
        text = _cut(text, spans)
        found.extend(spans)
    return text, _findings(found)


def _cut(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, _ in spans:
        out.append(text[pos:start])
        pos = end
        # one space where the phrase stood between two (" 看 NBA直播 " → " 看 ")
        if start and text[start - 1] == " " and text[pos:pos + 1] == " ":
            pos += 1
    out.append(text[pos:])
    return "".join(out)
