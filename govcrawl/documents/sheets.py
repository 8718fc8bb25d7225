"""Spreadsheets (XLSX with openpyxl, XLS with xlrd) → one table per sheet, merged ranges as
spans, at most ``max_cells`` cells in all."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from govcrawl.documents.model import Block, TableBlock, TCell
from govcrawl.documents.ooxml import MAX_PART_BYTES, PartTooLarge, parse_xml, salvage_parts

__all__ = ["SheetReading", "read_xls", "read_xlsx"]

_DEFAULT_SHEET = re.compile(r"^(sheet|工作表|表)\s*\d*$", re.I)
_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass
class SheetReading:
    blocks: list[Block] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    title: str | None = None


def _value(value: Any) -> str:
    """A cell as printed: counts stored as floats (5.0) read "5"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


Merge = tuple[int, int, int, int]  # first row, first col, last row, last col (0-based)


def clip_merges(merges: Iterable[Merge], height: int, width: int
                ) -> tuple[list[Merge], str | None]:
    """Merged ranges cut to a ``height`` × ``width`` grid, those starting outside it dropped,
    and a flag when the ranges together cover more cells than the grid has. Excel forbids
    overlapping ranges, so only a crafted file gets there: 60 entries of 99,999 cells in 5 KB
    would otherwise cost a gigabyte of covered cells. The cap keeps the work within the grid's
    size, which ``max_cells`` already bounds."""
    kept: list[Merge] = []
    seen: set[Merge] = set()
    covered = 0
    for r0, c0, r1, c1 in merges:
        if not (0 <= r0 < height and 0 <= c0 < width) or r1 < r0 or c1 < c0:
            continue  # outside the grid (empty formatted cells) or backwards: spans nothing
        merge = (r0, c0, min(r1, height - 1), min(c1, width - 1))
        if merge in seen:
            continue
        covered += (merge[2] - r0 + 1) * (merge[3] - c0 + 1)
        if covered > height * width:
            return kept, (f"damaged_document: merged ranges cover more than the sheet's "
                          f"{height * width} cells")
        seen.add(merge)
        kept.append(merge)
    return kept, None


def _table(grid: list[list[str]], merges: Iterable[Merge]) -> TableBlock | None:
    """A grid (0-based rows × cols) and merged ranges, as ``clip_merges`` leaves them, → a
    table without empty border rows/columns."""
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for r0, c0, r1, c1 in merges:
        spans[(r0, c0)] = (r1 - r0 + 1, c1 - c0 + 1)
        covered.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                       if (r, c) != (r0, c0))
    used_rows = [r for r, row in enumerate(grid) if any(row)]
    used_cols = [c for row in grid for c, v in enumerate(row) if v]
    if not used_rows:
        return None
    last_row, last_col = used_rows[-1], max(used_cols)
    for (r, c), (rs, cs) in spans.items():  # a merge may reach past the last filled cell
        if r <= last_row and c <= last_col:
            last_row = min(max(last_row, r + rs - 1), len(grid) - 1)
            last_col = max(last_col, c + cs - 1)
    first_row = used_rows[0]
    rows = []
    for r in range(first_row, last_row + 1):
        row = []
        for c in range(last_col + 1):
            if (r, c) in covered:
                continue
            text = grid[r][c] if r < len(grid) and c < len(grid[r]) else ""
            rs, cs = spans.get((r, c), (1, 1))
            rs = min(rs, last_row - r + 1)
            cs = min(cs, last_col - c + 1)
            row.append(TCell(text, rs, cs))
        rows.append(tuple(row))
    return TableBlock(tuple(rows))


def _sheet_label(name: str) -> str | None:
    return None if _DEFAULT_SHEET.match(name.strip()) else name.strip()


def _first_text(grid: list[list[str]]) -> str | None:
    for row in grid[:5]:
        for text in row:
            if text and 4 <= len(text) <= 80 and not re.fullmatch(r"[\d.,\s]+", text):
                return text
    return None


def _xlsx_merges(archive: zipfile.ZipFile, path: str) -> list[Merge]:
    """The sheet's merged ranges, streamed from its XML (openpyxl's read-only mode, which keeps
    memory flat on large sheets, does not read them)."""
    from openpyxl.utils.cell import range_boundaries

    merges = []
    with archive.open(path.lstrip("/")) as stream:
        limited = _Limited(stream, MAX_PART_BYTES)
        for _, el in etree.iterparse(limited, events=("end",), tag=f"{S}mergeCell",
                                     resolve_entities=False, no_network=True, recover=True):
            try:
                c0, r0, c1, r1 = range_boundaries(el.get("ref", ""))
            except (ValueError, TypeError):
                continue
            merges.append((r0 - 1, c0 - 1, r1 - 1, c1 - 1))
            el.clear()
    return merges


class _Limited(io.RawIOBase):
    """A reader that stops after ``limit`` bytes (an inflating part may lie about its size)."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise PartTooLarge("sheet part")
        data = self.stream.read(min(self.left, size if size and size > 0 else 65536))
        self.left -= len(data)
        return data


def read_xlsx(body: bytes, max_cells: int = 200_000) -> SheetReading:
    from openpyxl import load_workbook

    result = SheetReading()
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds on broken packages
        return _salvage_xlsx(body, exc, max_cells)
    result.title = (workbook.properties.title or "").strip() or None
    cells = 0
    try:
        for sheet in workbook.worksheets:
            if cells >= max_cells:
                result.flags.append(f"truncated_document: more than {max_cells} cells")
                break
            sheet.reset_dimensions()  # the stored dimension may claim a million empty rows
            grid: list[list[str]] = []
            for row in sheet.iter_rows(values_only=True):
                cells += max(1, len(row))
                if cells > max_cells:
                    result.flags.append(f"truncated_document: more than {max_cells} cells")
                    break
                grid.append([_value(v) for v in row])
            width = max((len(r) for r in grid), default=0)
            grid = [r + [""] * (width - len(r)) for r in grid]
            try:
                merges = _xlsx_merges(archive, sheet._worksheet_path)
            except (PartTooLarge, KeyError, OSError, etree.XMLSyntaxError):
                merges = []
            merges, flag = clip_merges(merges, len(grid), width)
            if flag and flag not in result.flags:
                result.flags.append(flag)
            table = _table(grid, merges)
            if table is None:
                continue
            label = _sheet_label(sheet.title)
            if label:
                result.blocks.append(label)
            result.blocks.append(table)
            result.title = result.title or _first_text(grid)
            if any(f.startswith("truncated_document") for f in result.flags):
                break
    finally:
        workbook.close()
    return result


def _salvage_xlsx(body: bytes, error: Exception, max_cells: int) -> SheetReading:
    """Cells of a cut workbook from whatever sheet XML its local file headers still give."""
    result = SheetReading(flags=[f"damaged_document: {type(error).__name__}"])
    parts = salvage_parts(body, ("xl/sharedStrings.xml", "xl/worksheets/sheet"))
    strings: list[str] = []
    root = parse_xml(parts.get("xl/sharedStrings.xml", b""))
    if root is not None:
        strings = ["".join(si.itertext()) for si in root.iter(f"{S}si")]
    cells = 0
    for name in sorted(k for k in parts if k.startswith("xl/worksheets/sheet")):
        root = parse_xml(parts[name])
        if root is None:
            continue
        found: dict[tuple[int, int], str] = {}
        for c in root.iter(f"{S}c"):
            match = _REF.match(c.get("r", ""))
            if not match or cells >= max_cells:
                continue
            cells += 1
            col = 0
            for ch in match.group(1):
                col = col * 26 + ord(ch) - 64
            v = c.findtext(f"{S}v")
            kind = c.get("t")
            if kind == "s" and v is not None and v.isdigit():
                text = strings[int(v)] if int(v) < len(strings) else ""
            elif kind == "inlineStr":
                text = "".join(c.find(f"{S}is").itertext()) if c.find(f"{S}is") is not None \
                    else ""
            else:
                text = _value(float(v)) if v and re.fullmatch(r"-?[\d.]+(E-?\d+)?", v) else v or ""
            found[(int(match.group(2)) - 1, col - 1)] = text
        if not found:
            continue
        height = max(r for r, _ in found) + 1
        width = max(c for _, c in found) + 1
        grid = [[found.get((r, c), "") for c in range(width)] for r in range(height)]
        table = _table(grid, [])
        if table is not None:
            result.blocks.append(table)
            result.title = result.title or _first_text(grid)
    if not result.blocks:
        result.flags.append("unreadable_document: no readable sheet")
    return result


def read_xls(body: bytes, max_cells: int = 200_000) -> SheetReading:
    import xlrd

    result = SheetReading()
    try:
        # formatting_info is what makes xlrd read the merged ranges.
        book = xlrd.open_workbook(file_contents=body, formatting_info=True, on_demand=True)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 — xlrd raises XLRDError, struct.error, …
        try:
            book = xlrd.open_workbook(file_contents=body, on_demand=True)
            result.flags.append(f"damaged_document: merged cells lost ({type(exc).__name__})")
        except MemoryError:
            raise
        except Exception as exc2:  # noqa: BLE001
            result.flags.append(f"unreadable_document: {type(exc2).__name__}: {exc2}"[:200])
            return result
    cells = 0
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = min(sheet.nrows, max(0, (max_cells - cells) // max(1, sheet.ncols)))
            if rows < sheet.nrows:
                result.flags.append(f"truncated_document: more than {max_cells} cells")
            grid = [[_xls_value(sheet, r, c, book.datemode) for c in range(sheet.ncols)]
                    for r in range(rows)]
            cells += rows * sheet.ncols
            merges, flag = clip_merges(
                [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells],
                rows, sheet.ncols)
            if flag and flag not in result.flags:
                result.flags.append(flag)
            table = _table(grid, merges)
            book.unload_sheet(index)
            if table is None:
                continue
            label = _sheet_label(sheet.name)
            if label:
                result.blocks.append(label)
            result.blocks.append(table)
            result.title = result.title or _first_text(grid)
            if rows < sheet.nrows:
                break
    finally:
        book.release_resources()
    return result


def _xls_value(sheet: Any, r: int, c: int, datemode: int) -> str:
    import xlrd

    cell = sheet.cell(r, c)
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _value(xlrd.xldate.xldate_as_datetime(cell.value, datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return _value(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return _value(bool(cell.value))
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return ""
    return _value(cell.value)
