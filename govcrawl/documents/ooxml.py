"""Reading the parts of an Office Open XML package (DOCX, XLSX) safely: with a cap on the
bytes a part may inflate to (zip bombs), and from a cut download whose central directory is
gone (the local file headers still lead to the first parts)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from lxml import etree

__all__ = ["MAX_PART_BYTES", "PartTooLarge", "check_errors", "parse_xml", "read_part",
           "salvage_parts"]

MAX_PART_BYTES = 64 * 1024 * 1024  # no honest report's XML part comes near this


class PartTooLarge(Exception):
    """A package part inflates beyond ``MAX_PART_BYTES``."""


def read_part(archive: zipfile.ZipFile, name: str, limit: int = MAX_PART_BYTES) -> bytes:
    """A part's bytes, refusing to inflate more than ``limit`` (the declared size can lie)."""
    with archive.open(name) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise PartTooLarge(name)
    return data


def salvage_parts(body: bytes, wanted: tuple[str, ...],
                  limit: int = MAX_PART_BYTES) -> dict[str, bytes]:
    """The parts whose names start with one of ``wanted``, inflated as far as the bytes go,
    found by their local file headers (no central directory needed)."""
    parts: dict[str, bytes] = {}
    pos = body.find(b"PK\x03\x04")
    while 0 <= pos < len(body) - 30:
        (_, _, flags, method, _, _, _, csize, _, name_len,
         extra_len) = struct.unpack("<IHHHHHIIIHH", body[pos:pos + 30])
        start = pos + 30 + name_len + extra_len
        name = body[pos + 30:pos + 30 + name_len].decode("utf-8", "replace")
        # With a data descriptor (flag bit 3) the size is not in the header: inflate until the
        # deflate stream ends by itself.
        end = len(body) if (flags & 8 or csize == 0 or start + csize > len(body)) else start + csize
        data, used = _inflate(body[start:end], method, limit)
        if name.startswith(wanted):
            parts[name] = data
        nxt = body.find(b"PK\x03\x04", start + max(used, 1))
        pos = nxt
    return parts


def _inflate(raw: bytes, method: int, limit: int) -> tuple[bytes, int]:
    if method == 0:
        return raw[:limit], len(raw)
    if method != 8:
        return b"", 0
    inflater = zlib.decompressobj(-15)
    try:
        data = inflater.decompress(raw, limit)
    except zlib.error:
        return b"", 0
    used = len(raw) - len(inflater.unused_data) - len(inflater.unconsumed_tail)
    return data, used


_MEMORY_ERRORS = ("memory allocation failed", "out of memory")


def check_errors(error_log: object) -> str | None:
    """The first error a recovering parse met (None if none). libxml2 running out of memory
    only logs an error when recovering: raise it as the MemoryError it is."""
    errors = list(error_log or [])  # type: ignore[call-overload]
    for error in errors:
        if any(m in str(error.message).lower() for m in _MEMORY_ERRORS):
            raise MemoryError(str(error.message))
    return str(errors[0].message).strip()[:120] if errors else None


def parse_xml(data: bytes) -> etree._Element | None:
    """Parse XML, recovering what a cut part still holds; no entities, no network."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                             huge_tree=False)
    try:
        root = etree.parse(io.BytesIO(data), parser).getroot()
    except (etree.XMLSyntaxError, ValueError):
        root = None
    check_errors(parser.error_log)
    return root
