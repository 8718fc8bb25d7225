"""The WARC writer: raw payloads, request/response pairs, rotation, reading back by offset;
all-or-nothing writes; records whose headers never end are not parsed."""

from __future__ import annotations

import errno
import gzip
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import warc as warc_module
from archive.recover import iter_members
from archive.warc import OPEN_SUFFIX, Exchange, RotatingWarcWriter, read_record

GBK_PAGE = "<html><meta charset=gb2312><p>镕喆堃 政府信息公开工作年度报告</p></html>".encode("gbk")


def exchange(url: str, body: bytes, **extra: object) -> Exchange:
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
               ("Transfer-Encoding", "chunked"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    return Exchange(url=url, method="GET", request_headers=[("Accept-Encoding", "gzip, deflate")],
                    request_body=b"", status=200, protocol="HTTP/1.1", response_headers=headers,
                    body=body, fetched_at=datetime(2024, 3, 1, 8, 0, tzinfo=UTC), ip_address="127.0.0.1",
                    **extra)  # type: ignore[arg-type]


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                          capture_output=True, text=True)


def test_response_record_keeps_encoded_payload_and_reads_back_by_offset(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    body = gzip.compress(GBK_PAGE)
    ref = writer.write_exchange(exchange("http://www.x.gov.cn/a/b.html?id=7&p=2", body))
    writer.close()
    record, raw = read_record(ref.warc_file, ref.offset)
    assert raw == body  # content-encoding kept, bytes as received
    assert record.rec_headers.get_header("WARC-Target-URI") == "http://www.x.gov.cn/a/b.html?id=7&p=2"
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert record.http_headers.get_header("Transfer-Encoding") is None
    assert [v for k, v in record.http_headers.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert gzip.decompress(raw) == GBK_PAGE
    assert warcio_check(Path(ref.warc_file)).returncode == 0


def test_request_record_has_full_request_line_and_points_to_response(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    ref = writer.write_exchange(exchange("http://www.x.gov.cn/list.asp?page=3", b"x"))
    writer.close()
    with open(ref.warc_file, "rb") as fh:
        records = [(r.rec_type, r.rec_headers, r.http_headers) for r in ArchiveIterator(fh)]
    types = [t for t, _, _ in records]
    assert types == ["warcinfo", "response", "request"]
    request_headers, request_http = records[2][1], records[2][2]
    assert request_http.protocol == "GET"
    assert request_http.statusline == "/list.asp?page=3 HTTP/1.1"
    assert request_headers.get_header("WARC-Concurrent-To") == ref.record_id


def test_file_is_open_suffixed_until_closed(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    ref = writer.write_exchange(exchange("http://www.x.gov.cn/", b"hello"))
    assert Path(ref.warc_file + OPEN_SUFFIX).exists() and not Path(ref.warc_file).exists()
    assert read_record(ref.warc_file, ref.offset)[1] == b"hello"  # readable while still open
    writer.close()
    assert Path(ref.warc_file).exists() and not Path(ref.warc_file + OPEN_SUFFIX).exists()


def test_rotation_starts_every_file_with_warcinfo_and_keeps_exchanges_whole(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path, max_size=3000)
    refs = [writer.write_exchange(exchange(f"http://www.x.gov.cn/{i}", bytes(range(256)) * 8)) for i in range(12)]
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) >= 3 and len(set(f.name for f in files)) == len(files)
    for path in files:
        with open(path, "rb") as fh:
            types = [r.rec_type for r in ArchiveIterator(fh)]
        assert types[0] == "warcinfo" and types.count("warcinfo") == 1
        assert types.count("response") == types.count("request")
        assert warcio_check(path).returncode == 0
    for i, ref in enumerate(refs):
        record, _ = read_record(ref.warc_file, ref.offset)
        assert record.rec_headers.get_header("WARC-Target-URI") == f"http://www.x.gov.cn/{i}"


def test_truncated_capture_is_marked(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    ref = writer.write_exchange(exchange("http://www.x.gov.cn/big", b"partial", truncated="disconnect"))
    writer.close()
    record, _ = read_record(ref.warc_file, ref.offset)
    assert record.rec_headers.get_header("WARC-Truncated") == "disconnect"


# -- a write is all or nothing (review scenario 15) ----------------------------------------------
def _failing_write(monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    """The ``at``-th record written from now on fails half way, as on a disk that fills."""
    real, calls = warc_module._write_all, []

    def write_all(fh: Any, data: bytes) -> None:
        calls.append(len(data))
        if len(calls) == at:
            fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fh, data)

    monkeypatch.setattr(warc_module, "_write_all", write_all)


def _types_and_urls(path: Path) -> list[tuple[str, str | None]]:
    with open(path, "rb") as fh:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
                for r in ArchiveIterator(fh)]


@pytest.mark.parametrize("at", [1, 2], ids=["response", "request"])
def test_a_failed_exchange_leaves_the_file_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    writer = RotatingWarcWriter(tmp_path)
    writer.write_exchange(exchange("http://www.x.gov.cn/1", b"one"))
    open_file = Path(f"{writer.current_path}{OPEN_SUFFIX}")
    before = open_file.read_bytes()
    _failing_write(monkeypatch, at)
    with pytest.raises(OSError, match="No space left"):
        writer.write_exchange(exchange("http://www.x.gov.cn/2", b"two" * 1000))
    assert open_file.read_bytes() == before  # neither record, nor a part of one
    monkeypatch.undo()
    ref = writer.write_exchange(exchange("http://www.x.gov.cn/3", b"three"))
    writer.close()
    assert ref.offset == len(before)
    assert _types_and_urls(Path(ref.warc_file)) == [
        ("warcinfo", None), ("response", "http://www.x.gov.cn/1"),
        ("request", "http://www.x.gov.cn/1"), ("response", "http://www.x.gov.cn/3"),
        ("request", "http://www.x.gov.cn/3")]
    assert warcio_check(Path(ref.warc_file)).returncode == 0


def test_a_file_whose_warcinfo_fails_is_not_left_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = RotatingWarcWriter(tmp_path)
    _failing_write(monkeypatch, 1)
    with pytest.raises(OSError):
        writer.write_exchange(exchange("http://www.x.gov.cn/1", b"one"))
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    ref = writer.write_exchange(exchange("http://www.x.gov.cn/1", b"one"))
    writer.close()
    assert [t for t, _ in _types_and_urls(Path(ref.warc_file))] == [
        "warcinfo", "response", "request"]


def test_records_of_one_block_share_a_file_and_go_together(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A capture from a web archive: its response and the metadata record naming where it came
    # from are one unit (no rotation between them, both or neither).
    writer = RotatingWarcWriter(tmp_path, max_size=1)
    with writer.all_or_nothing():
        ref = writer.write_exchange(exchange("http://www.x.gov.cn/1", b"one"), with_request=False)
        meta = writer.write_metadata("http://www.x.gov.cn/1", ref.record_id, {"via": "wayback"})
    assert meta.warc_file == ref.warc_file and meta.offset == ref.offset + ref.length
    _failing_write(monkeypatch, 3)  # the new file's warcinfo, the response, the metadata
    with pytest.raises(OSError), writer.all_or_nothing():
        ref = writer.write_exchange(exchange("http://www.x.gov.cn/2", b"two"), with_request=False)
        writer.write_metadata("http://www.x.gov.cn/2", ref.record_id, {"via": "wayback"})
    monkeypatch.undo()
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert [[t for t, _ in _types_and_urls(f)] for f in files] == [
        ["warcinfo", "response", "metadata"], ["warcinfo"]]


# -- reading hostile records (review scenario 7) ------------------------------------------------
@pytest.mark.parametrize("compressed", [True, False], ids=["warc.gz", "warc"])
def test_a_record_whose_headers_do_not_end_within_a_mib_is_not_parsed(
        tmp_path: Path, compressed: bool) -> None:
    big = b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: http://www.x.gov.cn/big\r\n" \
          b"Content-Length: 3145728\r\n\r\n" + b"\n" * (3 << 20) + b"\r\n\r\n"
    bomb = b"WARC/1.0\r\nWARC-Type: response\r\nX-Bomb: " + b"a" * (16 << 20) + b"\r\n\r\n"
    path = tmp_path / ("x.warc.gz" if compressed else "x.warc")
    path.write_bytes(b"".join(gzip.compress(r) if compressed else r for r in (big, bomb)))
    record, payload = read_record(str(path), 0)  # a big block is no header: read
    assert record.rec_type == "resource" and len(payload) == 3 << 20
    with open(path, "rb") as fh:
        offset = next(m.end for m in iter_members(fh)) if compressed else len(big)
    started = time.monotonic()
    with pytest.raises(ValueError, match="record header block does not end within 1 MiB"):
        read_record(str(path), offset)
    assert time.monotonic() - started < 5  # warcio alone: about half a second, and 55 MiB
