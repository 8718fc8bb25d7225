"""Importing other people's WARC and ARC files: the reports in them are found with the crawl's
classifier, stored as the crawl stores them, and point into the original files; damage costs
only the damaged record."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import db, importer
from archive.importer import ImportResult, import_files
from archive.warc import read_record
from govcrawl.analysis.result import Analysis
from govcrawl.analysis.worker import AnalysisTask, analyse
from govcrawl.report.analyse import STAT_KEYS
from simweb import ExpectedReport, Page, SimulatedWeb

# Report pages of the simulated web (their tables' totals are known), one of them GBK.
PAGES = [
    "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/202401/t20240126_512103.html",
    "http://www.shizong.gov.cn/art/2024/1/20/art_4521_88123.html",
    "http://www.jingxian.gov.cn/xxgk/ndbg/content_1126.html",  # GBK, declared gb2312
    "http://xxgk.lueyang.gov.cn/unit/xzf/ndbg/3006.jhtml",
    "http://www.fuxin.gov.cn/html/FUSZF/202401/1706230800141.html",
]
# PDF reports the list links directly; only their Content-Disposition names them: raw UTF-8
# bytes in filename="…" (written by hand), and RFC 5987 filename*= (written by warcio).
PDF = "http://www.hongze.gov.cn/attach/download.jsp?id=4711"
PDF_5987 = "http://www.hongze.gov.cn/attach/download.jsp?id=4712"
ARC_PAGE = "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/202302/t20230210_512345.html"
# Written with status 404: a report's body, but not a report capture.
NOT_FOUND_BODY = "http://www.shizong.gov.cn/art/2023/3/23/art_4521_87911.html"
WHEN = datetime(2023, 5, 17, 8, 30, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def web(test_web: SimulatedWeb) -> SimulatedWeb:
    return test_web  # not crawled here: pages are read from it directly


def served(web: SimulatedWeb, url: str) -> Page:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    page = web.hosts[parts.hostname].resolve(target, {})
    assert page is not None, url
    return page


def expected(web: SimulatedWeb, url: str) -> ExpectedReport:
    return next(e for e in web.expected_reports if e.url == url)


def chunked(body: bytes, size: int = 1000) -> bytes:
    """The body in HTTP/1.1 chunked coding, as some crawlers store it."""
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
             for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


@dataclass
class Written:
    """What a hand-made archive file holds: url -> (offset, record date, payload as stored)."""

    path: Path
    records: dict[str, tuple[int, datetime, bytes]] = field(default_factory=dict)


class ForeignWarc:
    """A WARC/1.0 file as another crawler writes it: request before response, no
    WARC-Concurrent-To, a Common Crawl-like warcinfo (warcio's writer, not ours)."""

    def __init__(self, path: Path, *, gzip_: bool) -> None:
        self.out = Written(path)
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.writer = WARCWriter(self.fh, gzip=gzip_, warc_version="WARC/1.0")
        self.gzip = gzip_
        self.when = WHEN
        info = {"software": "Apache Nutch 1.19 (modified, https://commoncrawl.org/)",
                "isPartOf": "CC-MAIN-2023-23", "operator": "Common Crawl Admin",
                "description": "Wide crawl of the web for May/June 2023",
                "publisher": "Common Crawl", "format": "WARC File Format 1.0",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                              "warc-format/warc-1.0/",
                "robots": "checked via crawler-commons"}
        self.write(self.writer.create_warcinfo_record(path.name, info))

    def date(self) -> str:
        self.when += timedelta(seconds=7)
        return self.when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def write(self, record: ArcWarcRecord) -> int:
        offset = self.fh.tell()
        self.writer.write_record(record)
        return offset

    def exchange(self, url: str, body: bytes, headers: list[tuple[str, str]], *,
                 status: str = "200 OK", chunk: bool = False, request: bool = True,
                 encode: bool = False, warc_headers: dict[str, str] | None = None) -> None:
        date = self.date()
        if request:
            line = StatusAndHeaders(f"GET {urlsplit(url).path or '/'} HTTP/1.1",
                                    [("Host", urlsplit(url).hostname or ""),
                                     ("User-Agent", "CCBot/2.0")], is_http_request=True)
            self.write(self.writer.create_warc_record(
                url, "request", http_headers=line, warc_headers_dict={"WARC-Date": date}))
        payload = gzip.compress(body) if encode else body
        if encode:
            headers = [*headers, ("Content-Encoding", "gzip")]
        headers = [*headers, ("Transfer-Encoding", "chunked")] if chunk else \
            [*headers, ("Content-Length", str(len(payload)))]
        payload = chunked(payload) if chunk else payload
        response = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": "203.0.113.9",
                               **(warc_headers or {})})
        offset = self.write(response)
        self.out.records[url] = (offset, self.when, payload)

    def page(self, web: SimulatedWeb, url: str, body: bytes | None = None, **kw) -> None:
        page = served(web, url)
        content_type = page.content_type
        if url.startswith("http://www.jingxian.gov.cn/"):
            content_type = "text/html; charset=gb2312"  # a GBK page declared gb2312
        headers = [("Content-Type", content_type), ("Server", "nginx")]
        headers += [(k, v) for k, v in page.headers]
        self.exchange(url, page.body if body is None else body, headers, **kw)

    def raw_page(self, web: SimulatedWeb, url: str) -> None:
        """A response record written byte by byte: header bytes exactly as the server sent them
        (warcio would re-encode a non-ASCII header)."""
        page = served(web, url)
        head = [f"Content-Type: {page.content_type}", f"Content-Length: {len(page.body)}",
                *(f"{k}: {v}" for k, v in page.headers)]
        block = ("HTTP/1.1 200 OK\r\n" + "\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        block += page.body
        date = self.date()
        record = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
                  f"WARC-Date: {date}\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
                  "Content-Type: application/http; msgtype=response\r\n"
                  f"Content-Length: {len(block)}\r\n\r\n").encode() + block + b"\r\n\r\n"
        offset = self.fh.tell()
        self.fh.write(gzip.compress(record) if self.gzip else record)
        self.out.records[url] = (offset, self.when, page.body)

    def revisit(self, url: str) -> None:
        self.write(self.writer.create_revisit_record(
            url, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", url, "2023-01-01T00:00:00Z",
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": self.date()}))

    def close(self) -> Written:
        self.fh.close()
        return self.out


def write_arc(path: Path, web: SimulatedWeb, urls: list[str], *, gz: bool) -> Written:
    """A hand-built ARC v1 file: the filedesc header record, then ``url ip date mime length``."""
    out = Written(path)
    version = b"1 0 Test Archive\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [b"filedesc://%s 0.0.0.0 20090301000000 text/plain %d\n%s\n"
               % (path.name.encode(), len(version), version)]
    when = datetime(2009, 3, 1, 12, 0, 0, tzinfo=UTC)
    dates = []
    for url in urls:
        page = served(web, url)
        http = (b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                % (page.content_type.encode(), len(page.body))) + page.body
        when += timedelta(minutes=1)
        dates.append(when)
        records.append(b"%s 203.0.113.9 %s text/html %d\n%s\n"
                       % (url.encode(), when.strftime("%Y%m%d%H%M%S").encode(), len(http), http))
    blobs = [gzip.compress(r) for r in records] if gz else records
    offset = len(blobs[0])
    for url, when, blob in zip(urls, dates, blobs[1:], strict=True):
        out.records[url] = (offset, when, served(web, url).body)
        offset += len(blob)
    path.write_bytes(b"".join(blobs))
    return out


def build_main(web: SimulatedWeb, directory: Path) -> tuple[Written, Written, Written]:
    """A gzip WARC, an uncompressed WARC and an ARC file holding the reports and the noise."""
    warc = ForeignWarc(directory / "CC-MAIN-20230517-00042.warc.gz", gzip_=True)
    warc.page(web, PAGES[0])
    warc.page(web, PAGES[1])
    warc.page(web, PAGES[2], warc_headers={"WARC-Truncated": "length"})  # says it was cut
    warc.page(web, PDF_5987)
    for url in sorted(web.distractor_urls):
        warc.page(web, url)
    body = served(web, NOT_FOUND_BODY).body
    warc.exchange("http://www.shizong.gov.cn/art/gone.html", body,
                  [("Content-Type", "text/html; charset=utf-8")], status="404 Not Found")
    warc.revisit(PAGES[0])
    warc.exchange("http://www.cangyuan.gov.cn/images/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64),
                  [("Content-Type", "image/png")])
    plain = ForeignWarc(directory / "other-crawler.warc", gzip_=False)
    plain.page(web, PAGES[3], chunk=True)
    plain.page(web, PAGES[4], encode=True, chunk=True)  # gzip content coding, then chunked
    plain.raw_page(web, PDF)
    plain.page(web, "http://www.cangyuan.gov.cn/xwdt/202311/t20231108_512230.html")
    arc = write_arc(directory / "IA-000001.arc.gz", web,
                    [ARC_PAGE, "http://www.jingxian.gov.cn/xxgk/ndbg/content_1106.html"], gz=True)
    return warc.close(), plain.close(), arc


def query(db_url: str, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, args).fetchall()


@dataclass
class Imported:
    db_url: str
    files: tuple[Written, Written, Written]
    result: ImportResult


@pytest.fixture(scope="module")
def imported(web: SimulatedWeb, tmp_path_factory: pytest.TempPathFactory) -> Imported:
    directory = tmp_path_factory.mktemp("import")
    files = build_main(web, directory)
    db_url = f"sqlite:///{directory / 'govcrawl.sqlite'}"
    with db.session_factory(db_url)() as session:  # a known site: its reports get its id
        db.upsert_site(session, name="沧源佤族自治县人民政府", url="http://www.cangyuan.gov.cn/",
                       domain="cangyuan.gov.cn")
        session.commit()
    result = import_files(db_url, [str(f.path) for f in files], workers=2)
    return Imported(db_url, files, result)


# -- finding and storing ----------------------------------------------------------------------------
def test_exactly_the_report_pages_and_documents_are_found(web: SimulatedWeb,
                                                          imported: Imported) -> None:
    stored = {row[0]: row[1:] for row in query(
        imported.db_url, "SELECT url, title, year, region, site_id FROM reports")}
    assert set(stored) == {*PAGES, PDF, PDF_5987, ARC_PAGE}
    for url, (title, year, region, site_id) in stored.items():
        e = expected(web, url)
        assert (title, year, region) == (e.title, e.year, e.region), url
        assert (site_id is not None) == url.startswith("http://www.cangyuan.gov.cn/"), url
    assert imported.result.ok, imported.result.lines()


def test_figures_equal_the_ground_truth(web: SimulatedWeb, imported: Imported) -> None:
    stats = {url: json.loads(s) for url, s in query(imported.db_url,
                                                    "SELECT url, stats FROM reports")}
    for url in [*PAGES, ARC_PAGE]:
        truth = expected(web, url).stats or {}
        got = stats[url]
        assert (got["applications_new"], got["applications_carried_over"], got["handled_total"],
                got["carried_forward"]) == (truth["t3_new"], truth["t3_carried"],
                                            truth["t3_handled"], truth["t3_forward"]), url
    for url in (PDF, PDF_5987):
        truth = expected(web, url).stats or {}
        want = {k: v for k, v in truth.items() if k in STAT_KEYS}
        assert want and {k: stats[url].get(k) for k in want} == want, url


def test_captures_point_into_the_original_files(imported: Imported) -> None:
    rows = {r[0]: r[1:] for r in query(
        imported.db_url, "SELECT c.url, c.warc_file, c.warc_offset, c.source, c.archived_at, "
        "c.archive_url, c.run_id, c.fetched_at FROM reports r JOIN captures c ON c.id = r.capture_id")}
    written = {url: (f.path, *record) for f in imported.files for url, record in f.records.items()}
    assert len(rows) == 8
    for url, (warc_file, offset, source, archived_at, archive_url, run_id, fetched) in rows.items():
        path, want_offset, when, payload = written[url]
        assert (warc_file, offset) == (str(path.resolve()), want_offset), url
        _, raw = read_record(warc_file, offset)
        assert raw == payload, url  # the bytes as stored (chunked coding and all)
        assert (source, archive_url, run_id) == ("import", None, imported.result.run_id)
        assert datetime.fromisoformat(archived_at).replace(tzinfo=UTC) == when, url
        assert fetched == archived_at


def test_a_capture_the_archive_calls_truncated_is_flagged(imported: Imported) -> None:
    rows = query(imported.db_url, "SELECT r.url, r.flags, c.truncated FROM reports r "
                                  "JOIN captures c ON c.id = r.capture_id")
    for url, flags, truncated in rows:
        cut = url == PAGES[2]
        assert ("truncated_capture" in json.loads(flags), truncated) == (
            cut, "length" if cut else None), url


def test_report_documents_get_their_own_attachment_row(imported: Imported) -> None:
    rows = query(imported.db_url, "SELECT report_url, url, kind, link_text FROM attachments "
                                  "ORDER BY url")
    assert rows == [(PDF, PDF, "pdf", "洪泽区2019年政府信息公开工作年度报告"),
                    (PDF_5987, PDF_5987, "pdf", "洪泽区教育局2022年度政府信息公开工作年度报告")]


def test_counts_say_what_the_records_were(imported: Imported, web: SimulatedWeb) -> None:
    gz, plain, arc = imported.result.files
    distractors = len(web.distractor_urls)  # every portal's: two of them documents
    c = gz.counts
    # warcinfo + (request, response) × (3 pages + PDF + distractors + 404 + png) + revisit
    assert c.records == 1 + 2 * (3 + 1 + distractors + 2) + 1
    assert (c.responses, c.revisits) == (3 + 1 + distractors + 2, 1)
    assert (c.reports, c.report_documents, c.damaged, c.new) == (3, 1, 0, 4)
    assert c.documents == 3  # the PDF report and two unnamed distractor documents
    assert c.html == 3 + distractors - 2  # examined; the distractor pages are not reports
    assert c.skipped == 4  # the 404, the PNG, the two documents nothing names a report
    # warcinfo + (request, response) × 3 + the hand-written PDF response
    assert (plain.counts.reports, plain.counts.report_documents, plain.counts.records) == (2, 1, 8)
    assert (arc.counts.reports, arc.counts.records, arc.format) == (1, 3, "arc.gz")
    assert imported.result.status == "finished"
    (arguments, status, counts), = query(imported.db_url,
                                        "SELECT arguments, status, counts FROM crawl_runs")
    assert json.loads(arguments)["import"] == [str(f.path) for f in imported.files]
    assert json.loads(arguments)["copy"] is None
    assert status == "finished"
    counts = json.loads(counts)
    assert (counts["reports"], counts["report_documents"], counts["fetched"]) == (6, 2, 8)


def test_an_uncompressed_arc_file(web: SimulatedWeb, tmp_path: Path) -> None:
    arc = write_arc(tmp_path / "old.arc", web, [ARC_PAGE, PAGES[1]], gz=False)
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    seen: list[tuple[int, int]] = []
    result = import_files(db_url, [str(arc.path)], workers=1,
                          progress=lambda done, total: seen.append((done, total)))
    assert (result.files[0].format, result.files[0].reports) == ("arc", 2)
    size = arc.path.stat().st_size
    assert seen[-1] == (size, size)
    for url, warc_file, offset, archived_at in query(
            db_url, "SELECT url, warc_file, warc_offset, archived_at FROM captures"):
        want_offset, when, body = arc.records[url]
        assert (warc_file, offset) == (str(arc.path.resolve()), want_offset)
        assert read_record(warc_file, offset)[1] == body
        assert datetime.fromisoformat(archived_at).replace(tzinfo=UTC) == when


def test_arc_records_get_ids_that_survive_a_rename(imported: Imported, tmp_path: Path) -> None:
    arc = imported.files[2]
    ids = [r[0] for r in query(imported.db_url, "SELECT id FROM captures WHERE url = ?", ARC_PAGE)]
    assert len(ids) == 1 and ids[0].startswith("<urn:sha1:")
    renamed = tmp_path / "renamed.arc.gz"
    renamed.write_bytes(arc.path.read_bytes())
    db_url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    import_files(db_url, [str(renamed)], workers=1)
    assert [r[0] for r in query(db_url, "SELECT id FROM captures")] == ids


# -- damage -----------------------------------------------------------------------------------------
def six(web: SimulatedWeb) -> list[ExpectedReport]:
    """Six report pages (all of Cangyuan's first six)."""
    return [e for e in web.expected_reports if e.source == "page"][:6]


def reports_only(web: SimulatedWeb, path: Path, *, gz: bool) -> tuple[Written, list[int]]:
    """A file of six report responses (no request records); their offsets in order."""
    warc = ForeignWarc(path, gzip_=gz)
    for e in six(web):
        warc.page(web, e.url, request=False)
    written = warc.close()
    return written, [written.records[e.url][0] for e in six(web)]


def stored_urls(db_url: str) -> set[str]:
    return {url for (url,) in query(db_url, "SELECT url FROM reports")}


@pytest.mark.parametrize("name", ["cut.warc.gz", "cut.warc"])
def test_a_truncated_file_loses_only_the_record_cut(web: SimulatedWeb, tmp_path: Path,
                                                    name: str) -> None:
    written, offsets = reports_only(web, tmp_path / name, gz=name.endswith(".gz"))
    data = written.path.read_bytes()
    # Cut in the middle of the second-to-last record (the last one goes with it).
    written.path.write_bytes(data[:(offsets[-2] + offsets[-1]) // 2])
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = import_files(db_url, [str(written.path)], workers=1)
    assert stored_urls(db_url) == {e.url for e in six(web)[:-2]}
    ((kind, url, message),) = query(db_url, "SELECT kind, url, message FROM problems")
    assert kind == "import_error" and "truncated" in message
    assert message.startswith(f"{written.path.resolve()}:{offsets[-2]}: "), message
    assert url == six(web)[-2].url
    assert result.files[0].counts.damaged == 1 and result.status == "finished"


def test_a_corrupt_gzip_member_loses_only_its_record(web: SimulatedWeb, tmp_path: Path) -> None:
    written, offsets = reports_only(web, tmp_path / "bad.warc.gz", gz=True)
    data = bytearray(written.path.read_bytes())
    data[(offsets[2] + offsets[3]) // 2] ^= 0x55
    written.path.write_bytes(bytes(data))
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = import_files(db_url, [str(written.path)], workers=1)
    assert stored_urls(db_url) == {e.url for i, e in enumerate(six(web)) if i != 2}
    ((kind, message),) = query(db_url, "SELECT kind, message FROM problems")
    assert kind == "import_error" and "corrupt" in message
    assert message.startswith(f"{written.path.resolve()}:{offsets[2]}: "), message
    assert result.files[0].counts.damaged == 1
    assert not result.ok and any(f":{offsets[2]}:" in line for line in result.lines())


def test_damage_in_an_uncompressed_file_costs_only_the_damaged_records(
        web: SimulatedWeb, tmp_path: Path) -> None:
    written, offsets = reports_only(web, tmp_path / "bad.warc", gz=False)
    data = bytearray(written.path.read_bytes())
    data[(offsets[1] + offsets[2]) // 2] ^= 0x55  # a payload byte: the block digest tells
    # A wrong Content-Length (same number of digits): the record swallows part of the next.
    header = data.index(b"\r\nContent-Length: ", offsets[3]) + len(b"\r\nContent-Length: ")
    end = data.index(b"\r\n", header)
    declared = int(data[header:end])
    data[header:end] = str(declared + 300 if len(str(declared + 300)) == end - header
                           else declared - 300).encode()
    written.path.write_bytes(bytes(data))
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = import_files(db_url, [str(written.path)], workers=1)
    assert stored_urls(db_url) == {e.url for i, e in enumerate(six(web)) if i not in (1, 3)}
    messages = sorted(m for (m,) in query(db_url, "SELECT message FROM problems"))
    assert [m.split(": ", 1)[0] for m in messages] == [
        f"{written.path.resolve()}:{offsets[1]}", f"{written.path.resolve()}:{offsets[3]}"]
    assert result.files[0].counts.damaged == 2


def test_a_file_that_is_no_archive_is_reported_and_the_others_imported(
        web: SimulatedWeb, tmp_path: Path) -> None:
    good, _ = reports_only(web, tmp_path / "good.warc.gz", gz=True)
    noise = tmp_path / "noise.warc.gz"
    noise.write_bytes(random.Random(7).randbytes(5000))
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(served(web, PDF).body)
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    zipped = tmp_path / "page.warc.gz"  # gzip, but of a page, not of WARC records
    zipped.write_bytes(gzip.compress(served(web, PAGES[0]).body))
    paths = [str(noise), str(pdf), str(good.path), str(empty), str(tmp_path / "missing.warc"),
             str(zipped)]
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = import_files(db_url, paths, workers=1)
    assert stored_urls(db_url) == {e.url for e in six(web)}
    errors = [(o.path, o.error) for o in result.files]
    assert [e is not None for _, e in errors] == [True, True, False, True, True, True]
    assert "not a WARC or ARC file" in (errors[1][1] or "") and errors[3][1] == "empty file"
    problems = query(db_url, "SELECT kind, message FROM problems ORDER BY id")
    assert [k for k, _ in problems] == ["import_error"] * 5
    assert [m.split(":")[0] for _, m in problems] == [*paths[:2], *paths[3:]]
    assert result.status == "finished" and result.files[2].reports == len(six(web))
    lines = result.lines()
    assert any(line.startswith(f"{paths[1]}: not imported: not a WARC or ARC") for line in lines)


# -- again, copies, versions --------------------------------------------------------------------------
TABLES = ("reports", "report_versions", "report_cells", "attachments", "captures")


def dump(db_url: str) -> dict[str, list[tuple]]:
    return {t: query(db_url, f"SELECT * FROM {t} ORDER BY 1") for t in TABLES}


def test_importing_a_file_again_changes_nothing(imported: Imported, tmp_path: Path) -> None:
    before = dump(imported.db_url)
    result = import_files(imported.db_url, [str(f.path) for f in imported.files], workers=2)
    assert dump(imported.db_url) == before
    c = result.counts
    assert (c.already_imported, c.new, c.changed, c.unchanged, c.damaged) == (8, 0, 0, 0, 0)
    assert c.records == imported.result.counts.records


def test_copy_dir_gets_a_copy_and_the_captures_point_at_it(web: SimulatedWeb,
                                                           tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    written, offsets = reports_only(web, tmp_path / "in" / "x.warc.gz", gz=True)
    copies = tmp_path / "copies"
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = import_files(db_url, [str(written.path)], copy_dir=str(copies), workers=1)
    copy = copies / "x.warc.gz"
    assert copy.read_bytes() == written.path.read_bytes()
    assert result.files[0].warc_file == str(copy.resolve())
    rows = query(db_url, "SELECT warc_file, warc_offset FROM captures ORDER BY warc_offset")
    assert rows == [(str(copy.resolve()), offset) for offset in offsets]
    (arguments,) = query(db_url, "SELECT arguments FROM crawl_runs")[0]
    assert json.loads(arguments)["copy"] == str(copies)
    # The same file again: already there, not copied twice. Another file of that name: "-1".
    import_files(db_url, [str(written.path)], copy_dir=str(copies), workers=1)
    (tmp_path / "other").mkdir()
    other = ForeignWarc(tmp_path / "other" / "x.warc.gz", gzip_=True)
    other.page(web, PAGES[1])
    other.close()
    result = import_files(db_url, [str(other.out.path)], copy_dir=str(copies), workers=1)
    assert sorted(p.name for p in copies.iterdir()) == ["x-1.warc.gz", "x.warc.gz"]
    assert result.files[0].warc_file == str((copies / "x-1.warc.gz").resolve())
    assert query(db_url, "SELECT warc_file FROM captures WHERE url = ?", PAGES[1]) == [
        (str((copies / "x-1.warc.gz").resolve()),)]


def edited(web: SimulatedWeb, url: str, note: str) -> bytes:
    body = served(web, url).body.decode()
    marker = '<p style="text-indent:2em;"><strong>一、总体情况'
    assert marker in body
    return body.replace(marker, f"<p>{note}</p>\n{marker}", 1).encode()


def test_an_older_capture_adds_history_and_a_newer_one_updates_the_report(
        web: SimulatedWeb, tmp_path: Path) -> None:
    url = PAGES[0]
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"

    def one(name: str, when: datetime, body: bytes | None) -> ImportResult:
        warc = ForeignWarc(tmp_path / name, gzip_=True)
        warc.when = when
        warc.page(web, url, body=body)
        warc.close()
        return import_files(db_url, [str(warc.out.path)], workers=1)

    def report() -> tuple:
        return query(db_url, "SELECT text, capture_id, first_seen, last_seen FROM reports")[0]

    one("2023.warc.gz", datetime(2023, 6, 1, tzinfo=UTC), None)
    text, capture_id, _, last_seen = report()
    result = one("2021.warc.gz", datetime(2021, 6, 1, tzinfo=UTC),
                 edited(web, url, "（初稿，数据未经核对。）"))
    assert result.counts.older == 1
    assert report()[0:2] == (text, capture_id) and report()[3] == last_seen
    assert report()[2].startswith("2021-06-01")
    result = one("2024.warc.gz", datetime(2024, 6, 1, tzinfo=UTC),
                 edited(web, url, "本报告已于2024年6月更正。"))
    assert result.counts.changed == 1
    text, capture_id, first_seen, last_seen = report()
    assert "本报告已于2024年6月更正" in text and last_seen.startswith("2024-06-01")
    versions = query(db_url, "SELECT text, seen_at FROM report_versions ORDER BY id")
    assert len(versions) == 3 and "初稿" in versions[1][0] and versions[1][1].startswith("2021")


# -- analysis failures --------------------------------------------------------------------------------
def dying_analysis(task: AnalysisTask) -> Analysis | None:
    """Kills its worker on the PDF and on one page, as a PDF bomb past the memory limit would."""
    if task.url in (PDF, PAGES[0]):
        os._exit(1)
    return analyse(task)


def test_a_record_that_kills_its_worker_costs_only_itself(
        web: SimulatedWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warc = ForeignWarc(tmp_path / "x.warc", gzip_=False)
    for url in PAGES[:3]:
        warc.page(web, url)
    warc.raw_page(web, PDF)
    warc.close()
    # The workers are forked after this, so they run the patched function too.
    monkeypatch.setattr(importer, "analyse", dying_analysis)
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = import_files(db_url, [str(warc.out.path)], workers=2)
    # The page may or may not have been a report: it is not stored. The document was named a
    # report: kept, flagged, with the fields its name gives (as the crawl keeps it).
    assert stored_urls(db_url) == {PAGES[1], PAGES[2], PDF}
    ((title, year, flags),) = query(db_url, "SELECT title, year, flags FROM reports WHERE url = ?",
                                    PDF)
    assert (title, year) == ("洪泽区2019年政府信息公开工作年度报告", 2019)
    assert "extract_failed" in json.loads(flags)
    problems = query(db_url, "SELECT kind, url FROM problems ORDER BY url")
    assert problems == [("extract_error", PAGES[0]), ("extract_error", PDF)]
    assert result.counts.failed == 2


def test_an_interrupted_import_leaves_no_running_run(web: SimulatedWeb, tmp_path: Path) -> None:
    written, _ = reports_only(web, tmp_path / "x.warc.gz", gz=True)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with pytest.raises(KeyboardInterrupt):
        import_files(db_url, [str(written.path)], workers=1, progress=interrupt)
    # Not "running": the crawl's recovery would take it for an interrupted crawl.
    assert query(db_url, "SELECT status FROM crawl_runs") == [("aborted",)]


def test_import_command(web: SimulatedWeb, tmp_path: Path) -> None:
    """`govcrawl import FILE…` through the CLI: reports found, a missing file a clear error."""
    from tests.conftest import run_cli

    report = next(e for e in web.expected_reports if e.source == "page")
    parts = urlsplit(report.url)
    body = web.hosts[parts.hostname].resolve(parts.path, {}).body
    path = tmp_path / "one.warc.gz"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.0")
        writer.write_record(writer.create_warc_record(
            report.url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                          protocol="HTTP/1.1")))
    db_url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    proc = run_cli(["import", str(path), "--db", db_url], tmp_path, None)
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(tmp_path / "i.sqlite") as conn:
        assert conn.execute("SELECT url, year FROM reports").fetchall() == [(report.url, report.year)]
    missing = run_cli(["import", str(tmp_path / "nope.warc.gz"), "--db", db_url], tmp_path, None)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
