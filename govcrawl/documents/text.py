"""Undo the layout artefacts of text taken from page positions (PDF): spaces that justified
CJK lines leave between characters, and paragraphs broken into printed lines.

Only what breaks parsing is repaired; the rest of the normalisation is govcrawl.report's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["TextLine", "collapse_cjk_spaces", "join_cell_lines", "join_lines"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Full-width and CJK punctuation carry their own spacing: a space next to one is never meant.
_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026\u2014\u00b7"
# Tabs are not collapsed: the PDF reader marks the column gap of an unruled table with one.
# A match starts only where a run of spaces starts, and takes the run whole: otherwise the last
# branch tries every space of a long run to its end (quadratic).
_SPACE_RUN = re.compile(
    rf"(?<![ \u00a0])(?:(?<=[{_HAN}{_PUNCT}])[ \u00a0]++(?=[{_HAN}{_PUNCT}])"
    rf"|(?<=[{_PUNCT}])[ \u00a0]++|[ \u00a0]++(?=[{_PUNCT}]))"
)
_HAN_OR_PUNCT = re.compile(rf"[{_HAN}{_PUNCT}]")
# A line ending like this ends its sentence (and so may end the paragraph).
# Colons and semicolons are left out: a full line ending in one goes on as often as not, and
# the indent of the next line tells the two apart.
_SENTENCE_END = re.compile(r"[。！？!?][”」』）)]?\s*$")
# A line starting like this starts a paragraph: a heading or a list item of a report.
_PARAGRAPH_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]\D|第[一二三四五六七八九十]+[章节条部分])"
)
# "\s*(?:[-—–]\s*)?", not "\s*[-—–]?\s*": one way to split a run of spaces (linear time).
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–]\s*)?\d{1,4}\s*(?:[-—–]\s*)?$|^\s*第\s*\d+\s*页")


def collapse_cjk_spaces(text: str) -> str:
    """"政 府 信 息" → "政府信息", "号 ， 邮" → "号，邮"; "2023 年" stays (digit and Han)."""
    return _SPACE_RUN.sub("", text)


def join_cell_lines(text: str) -> str:
    """The lines of a table cell as one label: no space where a wrap cut Han text."""
    parts = [collapse_cjk_spaces(p.strip()) for p in text.splitlines() if p.strip()]
    out = ""
    for part in parts:
        if out and not (_HAN_OR_PUNCT.match(part[0]) or _HAN_OR_PUNCT.match(out[-1])):
            out += " "
        out += part
    return out


@dataclass(frozen=True, slots=True)
class TextLine:
    """A printed line and where it sits (PDF points from the page's left edge)."""

    text: str
    x0: float
    x1: float
    size: float  # character height: the indent of one character
    gappy: bool = False  # wide gaps between words: a row of an unruled table, not prose


def _is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(line))


def join_lines(lines: Sequence[TextLine]) -> list[str]:
    """Printed lines → paragraphs. A line is joined to the one before only when that one runs
    to the right margin without ending a sentence and this one is not indented and does not
    start a heading: a conservative rule, since a wrong join merges a heading into prose."""
    lines = [ln for ln in lines if ln.text.strip() and not _is_page_number(ln.text)]
    if not lines:
        return []
    # The margins of the prose: right-aligned numbers of a table would widen them.
    prose = [ln for ln in lines if not ln.gappy] or lines
    left = min(ln.x0 for ln in prose)
    right = max(ln.x1 for ln in prose)
    paragraphs: list[str] = []
    previous: TextLine | None = None
    for line in lines:
        text = " ".join(collapse_cjk_spaces(line.text.strip()).split("\t"))
        indent = line.x0 - left
        if (previous is not None and paragraphs
                and not previous.gappy and not line.gappy
                and right - previous.x1 < 2.5 * previous.size
                and right - left > 12 * previous.size  # a column of short lines is a list
                and not _SENTENCE_END.search(previous.text)
                and indent < 1.2 * line.size
                and not _PARAGRAPH_START.match(text)):
            tail = paragraphs[-1]
            glue = "" if (_HAN_OR_PUNCT.match(text[0]) or _HAN_OR_PUNCT.match(tail[-1])) else " "
            if tail.endswith("-") and text[:1].isalpha():
                tail, glue = tail[:-1], ""  # a hyphenated word wrapped at the margin
            paragraphs[-1] = tail + glue + text
        else:
            paragraphs.append(text)
        previous = line
    return paragraphs
