"""Report attachments as government portals publish them: PDF (text or scanned), DOCX, XLSX, plus
the broken variants a crawler meets (cut-off downloads, an HTML error page for a .pdf URL).

Used by the simulated portals and the tests of ``govcrawl.documents``. The writer libraries
(reportlab, Pillow, python-docx, openpyxl) are imported inside the functions: they belong to the
``test`` extra, while this module ships with the package.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from pathlib import Path

Cell = str | tuple[str, int, int]  # text, rowspan, colspan; covered positions omitted as in HTML
Table = list[list[Cell]]

# CJK TrueType fonts Debian ships (scripts/debian-packages.sh may install one); only the scanned
# PDF needs one, to draw glyphs into pixels. Without any, the image shows boxes: still a scan.
_CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_CID_FONT = "STSong-Light"  # reportlab's built-in Adobe CID font: no font file needed


def grid_of(table: Table) -> tuple[list[list[str | None]], list[tuple[int, int, int, int]]]:
    """The table as a full rectangular grid (None = covered by a merged cell) and its merges as
    (row, col, rowspan, colspan), placing cells the way an HTML renderer does."""
    occupied: dict[tuple[int, int], str | None] = {}
    spans: list[tuple[int, int, int, int]] = []
    width = 0
    for r, row in enumerate(table):
        c = 0
        for cell in row:
            text, rowspan, colspan = (cell, 1, 1) if isinstance(cell, str) else cell
            rowspan, colspan = max(1, rowspan), max(1, colspan)
            while (r, c) in occupied:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    occupied[(r + dr, c + dc)] = None
            occupied[(r, c)] = text
            if rowspan > 1 or colspan > 1:
                spans.append((r, c, rowspan, colspan))
            c += colspan
            width = max(width, c)
    height = max([r + 1 for r, _ in occupied] or [0])
    width = max([c + 1 for _, c in occupied] or [width])
    grid: list[list[str | None]] = [[None] * width for _ in range(height)]
    for (r, c), text in occupied.items():
        grid[r][c] = text
    # Positions nothing covered (a short row) become empty cells, not merges.
    covered = {(r + dr, c + dc) for r, c, rs, cs in spans for dr in range(rs) for dc in range(cs)}
    for r in range(height):
        for c in range(width):
            if grid[r][c] is None and (r, c) not in occupied and (r, c) not in covered:
                grid[r][c] = ""
    return grid, spans


# ---------------------------------------------------------------------------------------- PDF

def _pdf_story(title: str, paragraphs: Sequence[str], tables: Sequence[Table]) -> list:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, Spacer
    from reportlab.platypus import Table as RLTable

    if _CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_CID_FONT))
    body = ParagraphStyle("body", fontName=_CID_FONT, fontSize=10.5, leading=16,
                          wordWrap="CJK", firstLineIndent=21, spaceAfter=4)
    head = ParagraphStyle("head", parent=body, fontSize=16, leading=24, alignment=1,
                          firstLineIndent=0, spaceAfter=12)
    cell_style = ParagraphStyle("cell", fontName=_CID_FONT, fontSize=7.5, leading=9,
                                wordWrap="CJK")
    story: list = [Paragraph(html.escape(title), head)]
    story += [Paragraph(html.escape(p), body) for p in paragraphs]
    for table in tables:
        grid, spans = grid_of(table)
        if not grid:
            continue
        data = [[Paragraph(html.escape(t), cell_style) if t else "" for t in row] for row in grid]
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        style += [("SPAN", (c, r), (c + cs - 1, r + rs - 1)) for r, c, rs, cs in spans]
        story += [Spacer(1, 8), RLTable(data, colWidths=_column_widths(table, len(grid[0])),
                                        style=style)]
    return story


def _column_widths(table: Table, columns: int, total: float = 480.0) -> list[float]:
    """Widths by the text of each column's own cells: wide label columns, narrow number
    columns, so no row grows so tall that the table cannot be laid out."""
    grid, spans = grid_of(table)
    span_of = {(r, c): (rs, cs) for r, c, rs, cs in spans}
    weights = [2.5] * columns
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            rowspan, colspan = span_of.get((r, c), (1, 1))
            if text and colspan == 1:
                # A cell spanning rows is a group label, printed narrow (often vertical).
                weights[c] = max(weights[c], min(len(text), 4 if rowspan > 1 else 14))
    return [total * w / sum(weights) for w in weights]


def _text_pdf(title: str, paragraphs: Sequence[str], tables: Sequence[Table]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=title, author="simweb",
                            leftMargin=56, rightMargin=56, topMargin=56, bottomMargin=56)
    doc.build(_pdf_story(title, paragraphs, tables))
    return out.getvalue()


def _cjk_font(size: int):
    from PIL import ImageFont

    for path in _CJK_FONT_FILES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _scanned_pdf(title: str, paragraphs: Sequence[str], tables: Sequence[Table]) -> bytes:
    """Pages that are pictures of text, as a scanner makes them: no text layer at all."""
    from PIL import Image, ImageDraw

    lines = [title, ""]
    for p in paragraphs:
        lines += [p[i:i + 38] for i in range(0, len(p), 38)] or [""]
    for table in tables:
        grid, _ = grid_of(table)
        lines += [" | ".join(t or "" for t in row)[:60] for row in grid]
    per_page, size = 40, 24
    font = _cjk_font(size)
    pages = []
    for start in range(0, max(1, len(lines)), per_page):
        page = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi, greyscale like a scanner
        draw = ImageDraw.Draw(page)
        for i, line in enumerate(lines[start:start + per_page]):
            draw.text((100, 100 + i * (size + 14)), line, fill=0, font=font)
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=150.0,
                  title=title)
    return out.getvalue()


def report_pdf(title: str, paragraphs: list[str], tables: Sequence[Table] = (), *,
               scanned: bool = False) -> bytes:
    """A report PDF: title, paragraphs, then each table (ruled, merged cells spanned).
    ``scanned``: the pages are images only, as a scanned report (needs OCR)."""
    if scanned:
        return _scanned_pdf(title, paragraphs, tables)
    return _text_pdf(title, paragraphs, tables)


# --------------------------------------------------------------------------------------- DOCX

def report_docx(title: str, paragraphs: list[str], tables: Sequence[Table] = ()) -> bytes:
    """A report DOCX: a Title/Heading paragraph, body paragraphs, then each table with its
    merged cells as real Word merges (gridSpan / vMerge)."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    for table in tables:
        grid, spans = grid_of(table)
        if not grid:
            continue
        word_table = document.add_table(rows=len(grid), cols=len(grid[0]))
        word_table.style = "Table Grid"
        for r, row in enumerate(grid):
            for c, text in enumerate(row):
                if text:
                    word_table.cell(r, c).text = text
        for r, c, rs, cs in spans:
            merged = word_table.cell(r, c).merge(word_table.cell(r + rs - 1, c + cs - 1))
            merged.text = grid[r][c] or ""  # merge() joins the texts of all merged cells
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------- XLSX

def report_xlsx(title: str, tables: Sequence[Table]) -> bytes:
    """A report workbook: one sheet per table, the title in the first row (merged across the
    table), merged cells as merged ranges."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.properties.title = title
    sheets = list(tables) or [[]]
    for index, table in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = f"表{index + 1}"
        grid, spans = grid_of(table)
        width = max(1, len(grid[0]) if grid else 1)
        sheet.cell(row=1, column=1, value=title)
        if width > 1:
            sheet.merge_cells(f"A1:{get_column_letter(width)}1")
        for r, row in enumerate(grid):
            for c, text in enumerate(row):
                if text:
                    sheet.cell(row=r + 2, column=c + 1, value=_cell_value(text))
        for r, c, rs, cs in spans:
            sheet.merge_cells(start_row=r + 2, start_column=c + 1,
                              end_row=r + 1 + rs, end_column=c + cs)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell_value(text: str) -> str | int | float:
    # Spreadsheets hold counts as numbers: a reader must turn 5.0 back into "5".
    if re.fullmatch(r"-?\d{1,15}", text):
        return int(text)
    if re.fullmatch(r"-?\d{1,15}\.\d+", text):
        return float(text)
    return text


def report_xls(title: str, tables: Sequence[Table]) -> bytes:
    """Not available: the only .xls writer, xlwt, is unmaintained since 2017 (no release for
    current Python); the reader side (xlrd) is tested on what exists instead."""
    raise NotImplementedError("no maintained .xls writer (xlwt is dead)")


# ------------------------------------------------------------------------------ broken inputs

def truncated(document: bytes, keep: float = 0.6) -> bytes:
    """The first ``keep`` share of a document, as an interrupted download leaves it."""
    return document[:max(1, int(len(document) * keep))]


def html_error_page(status_text: str = "404 Not Found") -> bytes:
    """What a misconfigured server sends with status 200 for a .pdf URL."""
    text = html.escape(status_text)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{text}</title></head>"
            f"<body><h1>{text}</h1><p>您访问的页面不存在或已被删除。</p>"
            f"<hr><address>nginx</address></body></html>").encode()
