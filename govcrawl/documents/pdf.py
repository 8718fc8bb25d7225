"""PDF → blocks with pdfplumber: text lines outside tables joined into paragraphs, ruled tables
with their merged cells as spans, each where it sits on its page."""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from govcrawl.documents.model import Block, TableBlock, TCell
from govcrawl.documents.text import TextLine, collapse_cjk_spaces, join_cell_lines, join_lines

__all__ = ["PdfReading", "read_pdf"]

log = logging.getLogger(__name__)

_SNAP = 1.5  # points: cell borders this close are one grid line


@dataclass
class PdfReading:
    blocks: list[Block] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    pages: int | None = None
    title: str | None = None


def _decode_info(value: Any) -> str | None:
    """A metadata string. PDF says UTF-16BE with a BOM or PDFDocEncoding, but WPS writes
    UTF-16LE with a BOM, which pdfminer shows as mojibake: decode the raw bytes ourselves."""
    try:
        from pdfminer.pdftypes import resolve1
        from pdfminer.utils import decode_text
        value = resolve1(value)
        if not isinstance(value, bytes):
            return None
        if value[:2] == b"\xff\xfe":
            text = value[2:].decode("utf-16-le", "replace")
        elif value[:2] == b"\xfe\xff":
            text = value[2:].decode("utf-16-be", "replace")
        else:
            text = decode_text(value)
    except Exception:  # noqa: BLE001 — metadata is optional: never fail a reading for it
        return None
    text = " ".join(text.replace("\x00", "").split())
    return text or None


def _invisible(obj: dict[str, Any]) -> bool:
    """A filled, unstroked white rectangle draws nothing on white paper. WPS puts one behind
    every line and cell; taken as edges they turn whole pages of prose into tables."""
    if obj.get("object_type") != "rect" or obj.get("stroke"):
        return False
    if not obj.get("fill"):
        return True
    color = obj.get("non_stroking_color")
    if isinstance(color, (tuple, list)):
        if len(color) == 4:  # CMYK: white is no ink
            return all(v == 0 for v in color)
        return all(v == 1 for v in color)
    return color == 1


def _closing_edges(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Horizontal edges where vertical borders start or end with no border across them: a
    table cut by a page break has no bottom (or top) line, and its last row would be lost."""
    verticals = [e for e in edges if e["orientation"] == "v" and e["height"] > 3]
    out = []
    for attr in ("top", "bottom"):
        groups: dict[int, list[dict[str, Any]]] = {}
        for e in verticals:
            groups.setdefault(round(e[attr] / 3), []).append(e)
        for group in groups.values():
            if len(group) < 2:
                continue
            y = sum(e[attr] for e in group) / len(group)
            x0, x1 = min(e["x0"] for e in group), max(e["x0"] for e in group)
            out.append({"object_type": "closing_edge", "orientation": "h", "x0": x0, "x1": x1,
                        "top": y, "bottom": y, "width": x1 - x0, "height": 0})
    return out


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _SNAP:
            out.append(v)
    return out


def _index(lines: list[float], v: float) -> int:
    return min(range(len(lines)), key=lambda i: abs(lines[i] - v))


def _table_block(table: Any) -> TableBlock | None:
    """pdfplumber's table → rows of cells with spans, from the cells' geometry (pdfplumber
    lists a merged cell once and gives None for the positions it covers)."""
    texts = table.extract()
    cells: list[tuple[tuple[float, float, float, float], str]] = []
    for row, row_texts in zip(table.rows, texts, strict=False):
        for bbox, text in zip(row.cells, row_texts, strict=False):
            if bbox is not None:
                cells.append((bbox, text or ""))
    if not cells:
        return None
    xs = _cluster([b[0] for b, _ in cells] + [b[2] for b, _ in cells])
    ys = _cluster([b[1] for b, _ in cells] + [b[3] for b, _ in cells])
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_cols < 2 or n_rows < 1:
        return None  # a framed box of prose, not a table
    origins: dict[tuple[int, int], TCell] = {}
    covered: set[tuple[int, int]] = set()
    for (x0, top, x1, bottom), text in cells:
        c0, c1 = _index(xs, x0), _index(xs, x1)
        r0, r1 = _index(ys, top), _index(ys, bottom)
        if c1 <= c0 or r1 <= r0 or (r0, c0) in covered:
            continue
        origins[(r0, c0)] = TCell(join_cell_lines(text), r1 - r0, c1 - c0)
        covered.update((r, c) for r in range(r0, r1) for c in range(c0, c1))
    rows = []
    for r in range(n_rows):
        row = []
        for c in range(n_cols):
            if (r, c) in origins:
                row.append(origins[(r, c)])
            elif (r, c) not in covered:
                row.append(TCell(""))  # a hole in the ruling: keep the columns aligned
        rows.append(tuple(row))
    return TableBlock(tuple(rows))


def _line_text(line: dict[str, Any], text: str, size: float) -> tuple[str, bool]:
    """The line's text, with a tab where a gap wider than a few characters separates two
    columns of an unruled table (the gap must not be collapsed like the spacing of justified
    CJK text), and whether there is such a gap."""
    chars = sorted(line.get("chars") or [], key=lambda c: c["x0"])
    gaps = [b["x0"] - a["x1"] for a, b in zip(chars, chars[1:], strict=False)]
    if not any(g > 2.5 * size for g in gaps):
        return text, False
    out = [chars[0]["text"]]
    for gap, char in zip(gaps, chars[1:], strict=True):
        if gap > 2.5 * size:
            out.append("\t")
        elif gap > 3 and not char["text"].isspace() and not out[-1].isspace():
            out.append(" ")  # pdfplumber's word gap (x_tolerance 3)
        out.append(char["text"])
    return "".join(out).strip(), True


_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


def _page_items(page: Any) -> tuple[list[tuple[float, TextLine | TableBlock]], bool]:
    """The page's text lines and tables by their top, and whether it shows text only as
    pixels or outlines (no text layer)."""
    visible = page.filter(lambda obj: not _invisible(obj))
    settings = dict(_TABLE_SETTINGS, explicit_horizontal_lines=_closing_edges(visible.edges))
    items: list[tuple[float, TextLine | TableBlock]] = []
    boxes = []
    for table in visible.find_tables(settings):
        block = _table_block(table)
        if block is None:
            continue
        boxes.append(table.bbox)
        items.append((table.bbox[1], block))

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

    prose = visible.filter(outside) if boxes else visible
    for line in prose.extract_text_lines(return_chars=True):
        text = line["text"]
        if text.strip():
            size = max(1.0, line["bottom"] - line["top"])
            text, gappy = _line_text(line, text, size)
            items.append((line["top"], TextLine(text, line["x0"], line["x1"], size, gappy)))
    needs_ocr = not page.chars and bool(page.images or len(page.curves) > 50)
    items.sort(key=lambda item: item[0])
    return items, needs_ocr


def _page_count(pdf: Any) -> int | None:
    try:
        from pdfminer.pdftypes import resolve1
        count = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
        return int(count)
    except Exception:  # noqa: BLE001 — a broken page tree: count while reading instead
        return None


def _iter_pages(pdf: Any, flags: list[str]) -> Iterator[Any]:
    """pdfplumber pages one by one (``pdf.pages`` builds a list of all of them first)."""
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page

    doctop = 0.0
    pages = PDFPage.create_pages(pdf.doc)
    for number in itertools.count(1):
        try:
            page_obj = next(pages)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 — the page tree ends in a cut or broken file
            flags.append(f"damaged_document: page tree broken after page {number - 1} "
                         f"({type(exc).__name__})")
            return
        page = Page(pdf, page_obj, page_number=number, initial_doctop=doctop)
        doctop += page.height
        yield page


def _blocks(items: list[TextLine | TableBlock]) -> list[Block]:
    blocks: list[Block] = []
    run: list[TextLine] = []
    for item in items:
        if isinstance(item, TableBlock):
            blocks += join_lines(run)
            run = []
            blocks.append(item)
        else:
            run.append(item)
    blocks += join_lines(run)
    return blocks


def _first_heading(blocks: list[Block]) -> str | None:
    heading = []
    for block in blocks[:4]:
        if not isinstance(block, str) or len(block) > 40:
            break
        heading.append(block)
        if "报告" in block or len(heading) == 2:
            break
    return "".join(heading) or None


# An object header ("12 0 obj") or an endobj: one scan pairs each header with the next endobj
# (searching forward from every header is quadratic when thousands share one endobj).
_OBJ_TOKEN = re.compile(rb"(?<![0-9])([0-9]{1,7})\s+([0-9]{1,5})\s+obj\b|\bendobj\b")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_CATALOG = re.compile(rb"/Type\s*/Catalog\b")
_PAGES_REF = re.compile(rb"/Pages\s+([0-9]+)\s+[0-9]+\s+R")
_HEAD = 2000  # bytes of an object's body the page and catalog tests look at
# A 300-page report has a few thousand top-level objects (more sit in object streams).
MAX_REPAIR_OBJECTS = 100_000


def _complete_objects(body: bytes) -> tuple[dict[int, tuple[int, bytes]], int, bool]:
    """Object number → (offset, first bytes of its body) for each object an ``endobj``
    follows; the offset just past the last such ``endobj``; and whether headers beyond
    ``MAX_REPAIR_OBJECTS`` were left unread. A body's head stops at the next header, so the
    heads never overlap and together stay within the file's size."""
    objects: dict[int, tuple[int, bytes]] = {}
    pending: list[list[int]] = []  # [number, header offset, body offset, body end or -1]
    end = headers = 0
    for token in _OBJ_TOKEN.finditer(body):
        if token.group(1) is None:  # endobj: closes every object opened since the last one
            for n, start, first, last in pending:
                last = token.start() if last < 0 else last
                objects[n] = (start, body[first:min(last, first + _HEAD)])
            if pending:
                end, pending = token.end(), []
            continue
        headers += 1
        if headers > MAX_REPAIR_OBJECTS:
            return objects, end, True
        if pending:
            pending[-1][3] = token.start()
        pending.append([int(token.group(1)), token.start(), token.end(), -1])
    return objects, end, False  # objects still open: the cut, nothing after is complete


def _xref(offsets: dict[int, int]) -> bytes:
    """A cross-reference table with one subsection per run of consecutive numbers: its size
    follows the object count, not the highest number (one "9999999 0 obj" would make 200 MB)."""
    lines = [b"xref\n0 1\n0000000000 65535 f \n"]
    numbers = sorted(n for n in offsets if n > 0)
    run_start = 0
    for i, n in enumerate(numbers):
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            run = numbers[run_start:i + 1]
            lines.append(f"{run[0]} {len(run)}\n".encode())
            lines += [f"{offsets[m]:010d} 00000 n \n".encode() for m in run]
            run_start = i + 1
    return b"".join(lines)


def repair_pdf(body: bytes) -> tuple[bytes, str] | None:
    """A cut or corrupt PDF made readable: its complete objects kept, a cross-reference table
    and trailer written anew, and a page tree rebuilt from the page objects in file order
    when the catalog or its page tree was lost. None when no page object survives."""
    objects, end, capped = _complete_objects(body)
    pages = [n for n, (_, data) in sorted(objects.items(), key=lambda kv: kv[1][0])
             if _PAGE.search(data)]
    if not pages:
        return None
    root = None
    for n, (_, data) in objects.items():
        ref = _PAGES_REF.search(data) if _CATALOG.search(data) else None
        if ref and int(ref.group(1)) in objects:
            root, how = n, "cross-reference table rebuilt"
    out = bytearray(body[:end])
    out += b"\n"
    offsets = {n: start for n, (start, _) in objects.items()}
    if root is None:
        tree, root = max(objects) + 1, max(objects) + 2
        kids = " ".join(f"{n} 0 R" for n in pages)
        for number, text in (
                (tree, f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} "
                       "/MediaBox [0 0 595 842] >>"),
                (root, f"<< /Type /Catalog /Pages {tree} 0 R >>")):
            offsets[number] = len(out)
            out += f"{number} 0 obj\n{text}\nendobj\n".encode()
        how = f"page tree rebuilt from {len(pages)} page objects"
    if capped:
        how += f"; objects after the first {MAX_REPAIR_OBJECTS} dropped"
    xref = len(out)
    out += _xref(offsets)
    out += (f"trailer\n<< /Size {max(offsets) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out), how


def _open(body: bytes, result: PdfReading, max_pages: int) -> Any:
    """pdfplumber's PDF, or None with the reason in ``result.flags``. A file pdfminer cannot
    open (no trailer: a cut download) is repaired first, then handed to pypdf."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        return pdfplumber.open(io.BytesIO(body))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        result.flags.append(f"encrypted: {type(exc).__name__}")
        return None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 — pdfminer raises many kinds on broken files
        # pdfplumber wraps pdfminer's error: look inside for the password one.
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or \
                "password" in str(inner).lower():
            result.flags.append(f"encrypted: {type(inner).__name__}")
            return None
        error = inner
    repaired = repair_pdf(body)
    if repaired is not None:
        try:
            pdf = pdfplumber.open(io.BytesIO(repaired[0]))
            result.flags.append(f"damaged_document: {repaired[1]}")
            return pdf
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 — the repair did not help: try pypdf
            log.debug("repaired PDF still unreadable", exc_info=True)
    _read_with_pypdf(body, result, error, max_pages)
    return None


def read_pdf(body: bytes, max_pages: int = 300) -> PdfReading:
    """Read a PDF with pdfplumber; flags say what could not be read (see ``read_document``)."""
    result = PdfReading()
    if b"%%EOF" not in body[-2048:]:
        result.flags.append("damaged_document: no end-of-file marker (cut download?)")
    pdf = _open(body, result, max_pages)
    if pdf is None:
        return result
    with pdf:
        result.pages = _page_count(pdf)
        info = pdf.doc.info[0] if pdf.doc.info else {}
        result.title = _decode_info(info.get("Title")) if isinstance(info, dict) else None
        items: list[TextLine | TableBlock] = []
        ocr_pages = read_pages = 0
        for page in _iter_pages(pdf, result.flags):
            if read_pages >= max_pages:
                result.flags.append(f"truncated_document: read {max_pages} of "
                                    f"{result.pages or 'more'} pages")
                break
            read_pages += 1
            try:
                page_items, needs_ocr = _page_items(page)
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 — one broken page must not lose the rest
                result.flags.append(f"damaged_document: page {page.page_number} "
                                    f"({type(exc).__name__})")
                continue
            finally:
                page.close()  # drop pdfplumber's per-page caches: memory stays per page
            ocr_pages += needs_ocr
            items += [item for _, item in page_items]
        if result.pages is None or result.pages < read_pages:
            result.pages = read_pages
        if ocr_pages:
            result.flags += ["needs_ocr", f"needs_ocr_pages: {ocr_pages}/{read_pages}"]
        result.blocks = _blocks(items)
    if not result.title:
        result.title = _first_heading(result.blocks)
    if not result.blocks and any(f.startswith("damaged_document") for f in result.flags):
        result.flags.append("unreadable_document: no readable page")
    return result


def _read_with_pypdf(body: bytes, result: PdfReading, error: Exception,
                     max_pages: int = 300) -> PdfReading:
    """pypdf rebuilds a cross-reference table by scanning, so it often reads the pages of a
    file pdfminer refuses: plain text only, no tables."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and reader.decrypt("") == 0:
            result.flags.append("encrypted: needs a password")
            return result
        paragraphs: list[Block] = []
        count = 0
        for count, page in enumerate(reader.pages, 1):
            if count > max_pages:
                result.flags.append(f"truncated_document: read {max_pages} pages")
                break
            text = page.extract_text() or ""
            paragraphs += [collapse_cjk_spaces(ln.strip()) for ln in text.splitlines()
                           if ln.strip()]
        result.pages = count
        result.blocks = paragraphs
        info = reader.metadata
        result.title = str(info.title).strip() or None if info and info.title else None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 — nothing more to try
        result.flags.append(f"unreadable_document: {type(error).__name__}; "
                            f"pypdf: {type(exc).__name__}")
        return result
    if not any(isinstance(b, str) and b.strip() for b in result.blocks):
        result.flags.append(f"unreadable_document: {type(error).__name__}")
    elif not any(f.startswith("damaged_document") for f in result.flags):
        result.flags.append(f"damaged_document: {type(error).__name__}")
    return result
