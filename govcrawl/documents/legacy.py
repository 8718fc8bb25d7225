"""Legacy Word (.doc) and Kingsoft WPS (.wps, Word-compatible OLE) → paragraphs with Debian's
``catdoc``, run on a temporary file with a timeout. Tables come out as text lines."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from govcrawl.documents.model import Block

__all__ = ["CATDOC_TIMEOUT", "LegacyReading", "catdoc_path", "read_legacy_word"]

CATDOC_TIMEOUT = 30.0  # seconds; catdoc reads a normal report in milliseconds


@dataclass
class LegacyReading:
    blocks: list[Block] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    title: str | None = None


def catdoc_path() -> str | None:
    return shutil.which("catdoc")


def read_legacy_word(body: bytes, kind: str = "doc", timeout: float = CATDOC_TIMEOUT,
                     catdoc: str | None = None) -> LegacyReading:
    result = LegacyReading()
    program = catdoc or catdoc_path()
    if not program:
        result.flags.append(f"unreadable_format: {kind}: catdoc is not installed "
                            "(scripts/debian-packages.sh installs it)")
        return result
    fd, path = tempfile.mkstemp(suffix=f".{kind}", prefix="govcrawl-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        # -w: a paragraph per line (no re-wrapping); -d utf-8: output charset.
        done = subprocess.run([program, "-w", "-d", "utf-8", path], capture_output=True,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        result.flags.append(f"unreadable_format: {kind}: catdoc timed out after {timeout:g}s")
        return result
    except OSError as exc:
        result.flags.append(f"unreadable_format: {kind}: catdoc failed to run ({exc})")
        return result
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    text = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0 or not text.strip():
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        result.flags.append(f"unreadable_format: {kind}: catdoc exit {done.returncode}"
                            + (f" ({reason[0][:120]})" if reason else ""))
        return result
    # catdoc ends a table row with a line and separates its cells with tabs: a row becomes a
    # text line with cells joined by " | ", as the other readers write table rows.
    for line in text.replace("\x0c", "\n").splitlines():
        cells = [" ".join(cell.split()) for cell in line.split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            result.blocks.append(" | ".join(cells))
    result.title = next((line for line in result.blocks[:3] if len(line) <= 60), None)
    return result
