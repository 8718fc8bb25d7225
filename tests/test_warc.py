"""The WARC writer: raw payloads, request/response pairs, rotation, reading back by offset."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

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
