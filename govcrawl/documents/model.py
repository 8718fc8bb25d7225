"""The reading of one document: blocks (paragraphs and tables) → plain text and a simple HTML
page that ``govcrawl.report`` reads like any report page."""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "Document", "TCell", "TableBlock", "render_html", "render_text"]


@dataclass(frozen=True, slots=True)
class TCell:
    """A table cell as HTML has it: positions covered by a merged cell are not listed again."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    nested: tuple[TableBlock, ...] = ()  # tables inside the cell (Word allows it)


@dataclass(frozen=True, slots=True)
class TableBlock:
    rows: tuple[tuple[TCell, ...], ...]


Block = str | TableBlock  # a paragraph, or a table


@dataclass(frozen=True)
class Document:
    """What a report attachment says: ``kind`` (see ``sniff.KINDS``), ``text`` (a line per
    paragraph or table row, cells joined by " | "), ``html`` (a page with ``<p>`` and
    ``<table>`` with spans), ``flags`` (why the reading is partial or empty), ``pages`` (PDF)
    and ``title`` (metadata, else the first heading line)."""

    kind: str
    text: str = ""
    html: str = ""
    flags: list[str] = field(default_factory=list)
    pages: int | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "html": self.html,
                "flags": list(self.flags), "pages": self.pages, "title": self.title}


def _cell_text(cell: TCell) -> str:
    parts = [cell.text] if cell.text else []
    for table in cell.nested:
        parts += [" | ".join(c.text for c in row) for row in table.rows]
    return " / ".join(p for p in parts if p)


def render_text(blocks: list[Block]) -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, TableBlock):
            for row in block.rows:
                line = " | ".join(_cell_text(c).replace("\n", " ") for c in row)
                if line.replace("|", "").strip():
                    lines.append(line)
        elif block.strip():
            lines.append(block.strip())
    return "\n".join(lines)


def _table_html(table: TableBlock, out: list[str]) -> None:
    out.append("<table border='1'>")
    for row in table.rows:
        out.append("<tr>")
        for cell in row:
            attrs = ""
            if cell.rowspan > 1:
                attrs += f" rowspan='{cell.rowspan}'"
            if cell.colspan > 1:
                attrs += f" colspan='{cell.colspan}'"
            # Lines inside a cell stay apart for a reader, but a label is one string.
            text = "<br>".join(html_lib.escape(t) for t in cell.text.split("\n"))
            out.append(f"<td{attrs}>{text}")
            for nested in cell.nested:
                _table_html(nested, out)
            out.append("</td>")
        out.append("</tr>")
    out.append("</table>")


def render_html(blocks: list[Block], title: str | None) -> str:
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           f"<title>{html_lib.escape(title or '')}</title></head><body>"]
    for block in blocks:
        if isinstance(block, TableBlock):
            _table_html(block, out)
        elif block.strip():
            out.append(f"<p>{html_lib.escape(block.strip())}</p>")
    out.append("</body></html>")
    return "\n".join(out)
