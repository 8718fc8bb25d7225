"""Text normalisation of report texts.

Two layers:

* :func:`normalize_text` — the report text a researcher reads and the figure readers parse:
  pinyin annotations left by a site's conversion tool removed (彩云鎮(zhèn) → 彩云鎮), ``?``
  mojibake repaired (where non-breaking spaces or full stops were), Traditional → Simplified
  with OpenCC when the text is in fact mostly Traditional, full-width digits and letters
  folded, spam injected by hacked sites removed (:mod:`govcrawl.report.spam`), runs of spaces
  collapsed; each repair that changed something is named in ``flags``.
* :func:`normalize_for_reading` — the small, local fold used before reading names, years and
  dates (:mod:`govcrawl.report.fields`): :func:`govcrawl.text.fold.fold_text`, whose table of
  the Traditional characters of administrative names and report boilerplate never touches
  Simplified text.

The character tables (Traditional → Simplified, widths) and the pinyin stripper live in
:mod:`govcrawl.text.fold`; ``to_simplified``, ``strip_pinyin`` and ``fold_width`` are
re-exported here for the callers that read them from this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from govcrawl.text.fold import (
    CJK_RANGES,
    PINYIN_LETTERS,
    TRADITIONAL,
    fold_width,
    remove_syllables,
    strip_pinyin,
    strip_pinyin_counted,
    to_simplified,
)
from govcrawl.text.fold import fold_text as normalize_for_reading

__all__ = [
    "NormalizedText",
    "fold_width",
    "is_mostly_traditional",
    "normalize_for_reading",
    "normalize_text",
    "strip_pinyin",
    "to_simplified",
]

# --- normalize_text -------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalizedText:
    """A normalised report text and the repairs that changed it (flag names, in step order)."""

    text: str
    flags: list[str] = field(default_factory=list)


# Spaces of every width become one ASCII space; zero-width characters and BOMs go.
_SPACES = re.compile("[\\t\\xa0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000]")
_ZERO_WIDTH = re.compile("[\\u200b-\\u200d\\u2060\\ufeff\\u00ad]")
_MULTISPACE = re.compile(" {2,}")
_LINE_END_SPACES = re.compile("(?<! ) +\n")  # from a run's start only: linear
_LINE_START_SPACES = re.compile("\n +")
_BLANK_LINES = re.compile("\\n{3,}")

# Garbles of a site's conversion tool seen across many sites, where a character and its
# annotation's bracket became '?': "成效?,F(xiàn)將" (。現), "人民日?qǐng)?bào)" (日報).
_GARBLES = {"?,F(xiàn)": "。现", "日?qǐng)?bào)": "日报"}
_GARBLE_RE = re.compile("|".join(re.escape(g) for g in _GARBLES))
# What is left of other annotations whose character and '(' became '?': "?bào)".
_ORPHAN_PINYIN = re.compile(f"[?？]([{PINYIN_LETTERS}]{{1,6}})[)）]")


def _repair_garbles(text: str) -> tuple[str, int]:
    """Known conversion-tool garbles repaired, orphan annotations removed; how many."""
    if "?" not in text and "？" not in text:
        return text, 0
    text, garbles = _GARBLE_RE.subn(lambda m: _GARBLES[m.group(0)], text)
    text, orphans = remove_syllables(_ORPHAN_PINYIN, text, toneless=False)
    return text, garbles + orphans


# '?' mojibake: an ASCII '?' that stood for a non-breaking space or a character the page's
# encoding could not hold. Kept: inside URLs and query strings, and genuine questions.
_QMARK = re.compile(r"\?+")
# The bulk of '?' mojibake (table cells "0?", "??7", line ends "如下:?"): between a line edge,
# a space, a digit or punctuation on each side (never digit?digit), removed without a look.
_QMARK_PLAIN = re.compile(
    r"\?(?:(?<![^\s|:：、，。；;,!！\]】”]\?)\?*(?=[\s|\d:：、，。；;,!！(（\[【“]|$)"
    r"|(?<=\d\?)\?*(?=[\s|:：、，。；;,!！(（\[【“]|$))"
)
_URL_START = re.compile(r"(?:https?://|www\.)|\.(?:jsp|php|aspx?|s?html?|do|action|cgi)$", re.IGNORECASE)
_QUERY = re.compile(r"[A-Za-z_]\w{0,30}=")
_URL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/#@!$&'*+,;=%")
_QUESTION_WORDS = re.compile(
    "吗|呢|么|嘛|什么|怎|如何|为何|为什么|哪|是否|谁|多少|多久|多长|何时|何处|何种|难道|可否|能否|"
    "嗎|甚麼|為何|為什麼|難道"
)
_CLAUSE_END = re.compile("[。！？!；;，,:：\\n]")
_WORD_CHAR = re.compile(rf"[{CJK_RANGES}0-9A-Za-z]")

# Full-width digits and letters → ASCII; ％ → %; a full-width point between digits → '.'.
_FW_ALNUM = re.compile("[\\uff10-\\uff19\\uff21-\\uff3a\\uff41-\\uff5a\\uff05]|(?<=[0-9０-９])．(?=[0-9０-９])")


def _is_question(text: str, start: int) -> bool:
    """The '?' at ``start`` ends a genuine question (a question word in its clause, or an
    English sentence)."""
    lo = max(0, start - 40)
    clause = text[lo:start]
    ends = [m.end() for m in _CLAUSE_END.finditer(clause)]
    if ends:
        clause = clause[ends[-1]:]
    if not clause:
        return False
    if _QUESTION_WORDS.search(clause):
        return True
    tail = clause[-20:]
    return len(tail) >= 8 and " " in tail.strip() and sum(c.isascii() and (c.isalpha() or c == " ") for c in tail) >= 0.8 * len(tail)


def _in_url(text: str, start: int, end: int) -> bool:
    """The '?' at ``start`` is a URL's query mark (http://x/a.jsp?id=1, www.x.cn/?p=2)."""
    if end >= len(text) or not (text[end].isascii() and text[end].isalnum()):
        return False
    lo = start
    while lo > 0 and start - lo < 300 and text[lo - 1] in _URL_CHARS:
        lo -= 1
    word = text[lo:start]
    if not word:
        return False
    if _URL_START.search(word) is not None:
        return True
    return "/" in word and _QUERY.match(text, end) is not None


def _repair_qmarks(text: str) -> tuple[str, int]:
    """'?' mojibake removed (or a space where it stood between two words); how many."""
    if "?" not in text:
        return text, 0
    text, count = _QMARK_PLAIN.subn("", text)

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        s, e = m.span()
        if _in_url(text, s, e):
            return m.group(0)
        if e - s == 1 and _is_question(text, s):
            return m.group(0)
        count += 1
        before = text[s - 1] if s else "\n"
        after = text[e] if e < len(text) else "\n"
        return " " if _WORD_CHAR.match(before) and _WORD_CHAR.match(after) else ""

    return _QMARK.sub(sub, text), count


@lru_cache(maxsize=1)
def _t2s() -> Any:
    """The OpenCC Traditional → Simplified converter, built once per process."""
    import opencc  # deferred: the converter loads its dictionaries on first use

    return opencc.OpenCC("t2s")


def is_mostly_traditional(text: str) -> bool:
    """At least 5% of the non-ASCII characters are Traditional-only ones (a Traditional text
    scores ~25%; a Simplified one quoting a Traditional name a fraction of a percent), and
    at least three of them unless they are a third of a short text (a title)."""
    hits = len(TRADITIONAL.findall(text))
    wide = len(text) - len(text.encode("ascii", "ignore"))
    return hits >= 0.05 * wide and (hits >= 3 or hits >= 0.3 * wide) and hits > 0


_FULL_WIDTH = re.compile("[\uff05\uff10-\uff5a]")


def _fold_alnum(text: str) -> str:
    """Full-width digits and letters (and ％, and a decimal ．) to ASCII."""
    if not _FULL_WIDTH.search(text):
        return text
    return _FW_ALNUM.sub(lambda m: "." if m.group(0) == "．" else chr(ord(m.group(0)) - 0xFEE0), text)


def normalize_text(raw: str) -> NormalizedText:
    """The report text normalised for reading and parsing; see the module docstring.

    Flags: ``pinyin_removed``, ``mojibake_repaired``, ``traditional_converted``,
    ``spam_injection`` — each only when its step changed the text. Line breaks are kept.
    """
    from govcrawl.report.spam import remove_spam

    flags: list[str] = []
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", _SPACES.sub(" ", text))
    text, garbles = _repair_garbles(text)
    text, pinyin = strip_pinyin_counted(text)
    if pinyin or garbles:
        flags.append("pinyin_removed")
    text, qmarks = _repair_qmarks(text)
    if qmarks or garbles:
        flags.append("mojibake_repaired")
    text = _fold_alnum(text)
    text, spam = remove_spam(text)
    if is_mostly_traditional(text):
        converted = _t2s().convert(text)
        if converted != text:
            text = converted
            flags.append("traditional_converted")
            text, more = remove_spam(text)  # phrases in Traditional form (澳門…)
            spam = spam or more
    if spam:
        flags.append("spam_injection")
    if "  " in text:
        text = _MULTISPACE.sub(" ", text)
    if " \n" in text:
        text = _LINE_END_SPACES.sub("\n", text)
    if "\n " in text:
        text = _LINE_START_SPACES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    text = text.strip()
    return NormalizedText(text=text, flags=flags)
