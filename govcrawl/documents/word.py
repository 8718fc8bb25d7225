"""DOCX → blocks: paragraphs and tables in body order, merged cells (gridSpan, vMerge) as
spans, tables inside cells kept as nested tables.

Reads the package's XML with lxml directly rather than through python-docx: the part sizes
can then be capped (zip bombs), a cut file can be salvaged, and the merge markup is needed
raw anyway (python-docx repeats a merged cell in every position it covers)."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from govcrawl.documents.model import Block, TableBlock, TCell
from govcrawl.documents.ooxml import (
    MAX_PART_BYTES,
    PartTooLarge,
    check_errors,
    parse_xml,
    read_part,
    salvage_parts,
)

__all__ = ["WordReading", "read_docx"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_W = f"{{{W}}}"
_SKIP = {f"{_W}del", f"{_W}instrText", f"{_W}delText", f"{{{MC}}}Fallback", f"{_W}pPr",
         f"{_W}rPr", f"{_W}tblPr", f"{_W}trPr", f"{_W}tcPr", f"{_W}sectPr"}


@dataclass
class WordReading:
    blocks: list[Block] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    title: str | None = None


def _val(el: etree._Element | None, default: str | None = None) -> str | None:
    return default if el is None else el.get(f"{_W}val", default)


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(0, min(int(value or default), 1000))  # a span beyond this is garbage
    except ValueError:
        return default


def _text(el: etree._Element, out: list[str]) -> None:
    """The visible text under ``el`` (tracked deletions, field codes and the fallback copy of
    drawings left out)."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == f"{_W}t":
            out.append(child.text or "")
        elif tag == f"{_W}tab":
            out.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            out.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            out.append("-")
        else:
            _text(child, out)


def paragraph_text(p: etree._Element) -> str:
    parts: list[str] = []
    _text(p, parts)
    return "".join(parts).strip()


def _children(el: etree._Element, tag: str) -> list[etree._Element]:
    """Children with ``tag``, looking through content controls and custom XML wrappers."""
    out = []
    for child in el:
        if child.tag == f"{_W}{tag}":
            out.append(child)
        elif child.tag in (f"{_W}sdt", f"{_W}customXml", f"{_W}sdtContent", f"{_W}smartTag"):
            out += _children(child, tag)
    return out


def _cell_content(tc: etree._Element) -> tuple[str, tuple[TableBlock, ...]]:
    lines, nested = [], []
    for el in _body_elements(tc):
        if el.tag == f"{_W}p":
            text = paragraph_text(el)
            if text:
                lines.append(text)
        else:
            table = table_block(el)
            if table.rows:
                nested.append(table)
    return "\n".join(lines), tuple(nested)


def table_block(tbl: etree._Element) -> TableBlock:
    """A w:tbl as rows of cells with spans. vMerge="continue" cells add to the rowspan of
    the cell above them in the same grid column; gridBefore leaves an empty cell."""
    rows: list[list[list]] = []  # [text, rowspan, colspan, nested]
    open_cells: dict[int, list] = {}
    for tr in _children(tbl, "tr"):
        row: list[list] = []
        trpr = tr.find(f"{_W}trPr")
        col = _int(_val(trpr.find(f"{_W}gridBefore")) if trpr is not None else None, 0)
        if col:
            row.append(["", 1, col, ()])
        for tc in _children(tr, "tc"):
            tcpr = tc.find(f"{_W}tcPr")
            span = _int(_val(tcpr.find(f"{_W}gridSpan")) if tcpr is not None else None) or 1
            vmerge = tcpr.find(f"{_W}vMerge") if tcpr is not None else None
            if vmerge is not None and _val(vmerge, "continue") != "restart" and col in open_cells:
                open_cells[col][1] += 1
                col += span
                continue
            text, nested = _cell_content(tc)
            cell = [text, 1, span, nested]
            row.append(cell)
            for covered in range(col + 1, col + span):  # a wide cell ends merges under it
                open_cells.pop(covered, None)
            if vmerge is not None:
                open_cells[col] = cell
            else:
                open_cells.pop(col, None)
            col += span
        rows.append(row)
    return TableBlock(tuple(tuple(TCell(t, rs, cs, n) for t, rs, cs, n in row) for row in rows))


def _body_elements(el: etree._Element) -> list[etree._Element]:
    out = []
    for child in el:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            out.append(child)
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            out += _body_elements(child)
    return out


def _styles(archive: zipfile.ZipFile | None) -> dict[str, str]:
    if archive is None or "word/styles.xml" not in archive.namelist():
        return {}
    root = parse_xml(read_part(archive, "word/styles.xml"))
    if root is None:
        return {}
    return {s.get(f"{_W}styleId", ""): (_val(s.find(f"{_W}name"), "") or "").lower()
            for s in root.iter(f"{_W}style")}


def _core_title(data: bytes | None) -> str | None:
    root = parse_xml(data) if data else None
    if root is None:
        return None
    el = root.find("{http://purl.org/dc/elements/1.1/}title")
    text = " ".join((el.text or "").split()) if el is not None else ""
    return text or None


def _body_stream(document: bytes, errors: list[str]) -> Iterator[etree._Element]:
    """The body's paragraphs and tables, one at a time, each dropped after use: memory stays
    that of one block however long the document (the tree is never built whole)."""
    context = etree.iterparse(io.BytesIO(document), events=("end",),
                              tag=(f"{_W}p", f"{_W}tbl"), recover=True,
                              resolve_entities=False, no_network=True, huge_tree=False)
    try:
        for _, el in context:
            # Paragraphs of a table or a text box are read with it.
            if any(a.tag in (f"{_W}p", f"{_W}tbl") for a in el.iterancestors()):
                continue
            yield el
            el.clear(keep_tail=False)
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        errors.append(str(exc)[:120])
    error = check_errors(context.error_log)
    if error:
        errors.append(error)


def _blocks(document: bytes, styles: dict[str, str], max_cells: int, flags: list[str]
            ) -> tuple[list[Block], str | None]:
    blocks: list[Block] = []
    heading = None
    errors: list[str] = []
    count = 0
    for el in _body_stream(document, errors):
        if count > max_cells:
            flags.append(f"truncated_document: more than {max_cells} paragraphs and cells")
            break
        if el.tag == f"{_W}tbl":
            table = table_block(el)
            count += sum(len(row) for row in table.rows)
            if table.rows:
                blocks.append(table)
            continue
        text = paragraph_text(el)
        count += 1
        if not text:
            continue
        blocks.append(text)
        if heading is None:
            ppr = el.find(f"{_W}pPr")
            style = styles.get(_val(ppr.find(f"{_W}pStyle"), "") or "", "") if ppr is not None \
                else ""
            if style.startswith(("title", "heading 1")) or "标题" in style:
                heading = text
    if errors and not any(f.startswith("damaged_document") for f in flags):
        flags.append(f"damaged_document: {errors[0]}")
    return blocks, heading


def read_docx(body: bytes, max_cells: int = 200_000) -> WordReading:
    result = WordReading()
    archive: zipfile.ZipFile | None
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        document = read_part(archive, "word/document.xml")
        core = read_part(archive, "docProps/core.xml") \
            if "docProps/core.xml" in archive.namelist() else None
    except PartTooLarge as exc:
        result.flags.append(f"unreadable_document: {exc} inflates beyond "
                            f"{MAX_PART_BYTES // 2**20} MB")
        return result
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ValueError) as exc:
        # A cut download: inflate what the local headers still lead to.
        archive = None
        parts = salvage_parts(body, ("word/document.xml", "docProps/core.xml"))
        document, core = parts.get("word/document.xml"), parts.get("docProps/core.xml")
        result.flags.append(f"damaged_document: {type(exc).__name__}")
        if not document:
            result.flags.append("unreadable_document: no readable word/document.xml")
            return result
    result.blocks, heading = _blocks(document, _styles(archive), max_cells, result.flags)
    first = next((b for b in result.blocks if isinstance(b, str) and len(b) <= 60), None)
    result.title = _core_title(core) or heading or first
    return result
