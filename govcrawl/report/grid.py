"""A span-aware grid of an HTML table's cells (rowspan/colspan expanded).

Tolerant of the markup real report pages carry: Word-exported ``<p><span>`` inside cells,
``&nbsp;`` blanks, rows with missing cells (padded with ""), wrong rowspans (clamped to the
rows the table really has) and nested tables (their rows and text belong to the nested table
only). Pure; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import html as lxml_html

__all__ = ["GridCell", "cell_text", "grid_cells", "own_rows", "table_grid"]

_WS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_MAX_SPAN = 200  # a colspan/rowspan beyond this is markup garbage


@dataclass(frozen=True, slots=True)
class GridCell:
    """One slot of the grid: the text of the cell covering it and that cell's origin.

    ``origin`` is ``(row, col)`` of the cell's top-left slot, ``None`` for padding added where
    a row has fewer cells than the table is wide."""

    text: str
    origin: tuple[int, int] | None


_PAD = GridCell("", None)


def _span(el: lxml_html.HtmlElement, attr: str) -> int:
    raw = el.get(attr)
    if not raw:
        return 1
    m = re.match(r"\s*(\d+)", raw)
    if not m:
        return 1
    return max(1, min(int(m.group(1)), _MAX_SPAN))


def _text_parts(el: lxml_html.HtmlElement, out: list[str]) -> None:
    """Text of ``el`` without nested tables; block elements and <br> separate words."""
    if el.text:
        out.append(el.text)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "table":
            pass  # a nested table is its own table
        elif tag in ("script", "style"):
            pass
        else:
            if tag in ("br", "p", "div", "li"):
                out.append(" ")
            _text_parts(child, out)
            if tag in ("p", "div", "li"):
                out.append(" ")
        if child.tail:
            out.append(child.tail)


def cell_text(cell: lxml_html.HtmlElement) -> str:
    """The cell's text with whitespace (incl. &nbsp;, U+3000) collapsed to single spaces."""
    parts: list[str] = []
    _text_parts(cell, parts)
    return _WS.sub(" ", "".join(parts)).strip()


def own_rows(table: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The ``<tr>`` of this table (directly or via thead/tbody/tfoot), not of nested tables."""
    rows: list[lxml_html.HtmlElement] = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if c.tag == "tr")
    return rows


def grid_cells(table: lxml_html.HtmlElement) -> list[list[GridCell]]:
    """The rectangular grid of ``table`` with each slot's origin (see :class:`GridCell`).

    A rowspan reaching past the table's last row is clamped to it; a row's cells go into the
    first slots not taken by spans from above (as browsers do)."""
    rows = own_rows(table)
    n = len(rows)
    grid: list[dict[int, GridCell]] = [{} for _ in range(n)]
    for r, tr in enumerate(rows):
        col = 0
        taken = grid[r]
        for td in tr:
            tag = td.tag if isinstance(td.tag, str) else ""
            if tag not in ("td", "th"):
                continue
            while col in taken:
                col += 1
            cs, rs = _span(td, "colspan"), _span(td, "rowspan")
            rs = min(rs, n - r)
            cell = GridCell(cell_text(td), (r, col))
            for dr in range(rs):
                row = grid[r + dr]
                for dc in range(cs):
                    row.setdefault(col + dc, cell)
            col += cs
    width = max((max(row) + 1 for row in grid if row), default=0)
    return [[row.get(c, _PAD) for c in range(width)] for row in grid]


def table_grid(table: lxml_html.HtmlElement) -> list[list[str]]:
    """Rectangular rowspan/colspan-aware grid of the cell texts of ``table``.

    Spanned cells repeat their text in every slot they cover; missing cells are ""."""
    return [[c.text for c in row] for row in grid_cells(table)]
