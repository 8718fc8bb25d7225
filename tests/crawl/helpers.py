"""Building blocks of the component tests (as in Scrapy's ``scrapy.utils.test`` and kingfisher's
``tests/__init__.py``): a crawler over the project settings with its archive in ``tmp_path``, the
spider, saved pages and responses with their request attached.

Where a component is built or reached is decided here only: other changes move the spider's
settings reads and split the archive extension, and the tests should not have to follow."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler, get_reactor_settings
from sqlalchemy import select
from sqlalchemy.orm import Session
from twisted.python.failure import Failure
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from archive import db
from archive.models import Capture, CrawlRun, Problem
from govcrawl import settings as govcrawl_settings
from govcrawl.discovery.plan import Role
from govcrawl.extensions import ArchiveExtension
from govcrawl.meta import CAPTURE_KEY, CaptureMeta, StepMeta
from govcrawl.middlewares import WarcCaptureMiddleware
from govcrawl.spiders.annual_reports import AnnualReportsSpider

T = TypeVar("T")
FIXTURES = Path(__file__).parent.parent / "fixtures"

# The portals of the saved pages in tests/fixtures/discovery.
LUEYANG = "http://www.lueyang.gov.cn/"
YUNHE = "http://www.yunhe.gov.cn/"
XUNYANG = "http://www.xunyang.gov.cn/"


def project_settings() -> dict[str, Any]:
    """The project's settings module (govcrawl.settings), as `scrapy crawl` loads it."""
    return {name: getattr(govcrawl_settings, name) for name in dir(govcrawl_settings)
            if name.isupper()}


class DownloaderStandIn:
    """The one part of the engine's downloader the components use: per-host download slots."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.slots: dict[str, Slot] = {}

    def get_slot_key(self, request: Request) -> str:
        return request.meta.get("download_slot") or urlsplit(request.url).hostname or ""

    def slot(self, url: str) -> Slot:
        """The slot of ``url``'s host, made as the downloader makes one on the first request."""
        key = self.get_slot_key(Request(url))
        if key not in self.slots:
            self.slots[key] = Slot(concurrency=2, delay=self.delay)
        return self.slots[key]


class EngineStandIn:
    """What a running crawl's ``crawler.engine`` offers the components: its downloader."""

    def __init__(self, crawler: Crawler) -> None:
        self.downloader = DownloaderStandIn(crawler.settings.getfloat("DOWNLOAD_DELAY"))


# Crawlers not closed yet; the autouse fixture in conftest.py closes them after each test.
_open: list[Crawler] = []


def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'govcrawl.sqlite'}"


def make_crawler(tmp_path: Path, **settings: Any) -> Crawler:
    """A crawler over the project settings with its database and WARC folder in ``tmp_path``
    (extensions built, hence the archive opened, as when a crawl starts), plus ``settings``."""
    values = {
        **project_settings(),
        **get_reactor_settings(),  # whatever reactor (or none) this process runs
        "GOVCRAWL_DB_URL": db_url(tmp_path),
        "GOVCRAWL_WARC_DIR": str(tmp_path / "warc"),
        "LOG_LEVEL": "WARNING",
        # Scrapy's stock extensions (core stats, log stats …) expect an engine that opened the
        # spider; a component test has none, and needs only the project's own extensions.
        "EXTENSIONS_BASE": {},
        **settings,
    }
    crawler = get_crawler(AnnualReportsSpider, values)
    # During a crawl the engine is there; callbacks and middlewares reach its downloader slots.
    crawler.engine = EngineStandIn(crawler)  # type: ignore[assignment]
    _open.append(crawler)
    return crawler


def make_spider(crawler: Crawler, *, site: str | None = None, sites: str | Path | None = None,
                start: bool = True) -> AnnualReportsSpider:
    """The spider of ``crawler`` for ``site=URL[,URL…]`` and/or ``sites=CSV``; with ``start``, its
    start requests are consumed as the engine would (sites registered, settings read)."""
    kwargs = {k: str(v) for k, v in (("site", site), ("sites", sites)) if v is not None}
    spider = AnnualReportsSpider.from_crawler(crawler, **kwargs)
    crawler.spider = spider
    if start:
        start_requests(spider)
    return spider


def start_requests(spider: AnnualReportsSpider) -> list[Request]:
    """What ``spider.start()`` yields, consumed to the end."""
    async def consume() -> list[Request]:
        return [request async for request in spider.start()]
    return asyncio.run(consume())


def build(component: type[T], crawler: Crawler) -> T | None:
    """A middleware (or pipeline) made as Scrapy makes it; None when it is off for this crawl
    (``NotConfigured``)."""
    try:
        return build_from_crawler(component, crawler)
    except NotConfigured:
        return None


def archive_of(crawler: Crawler) -> ArchiveExtension:
    """The crawl's archive (capture log, history, run record, session)."""
    return ArchiveExtension.of(crawler)


def session_of(crawler: Crawler) -> Session:
    """The crawl's database session (problems and rows are read back through it)."""
    return archive_of(crawler).session


def close_crawler(crawler: Crawler, reason: str = "finished") -> None:
    """End the crawl as the engine does (spider_closed): WARC closed, rows committed."""
    results = crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider,
                                             reason=reason)
    for _, result in results:
        if isinstance(result, Failure):
            result.raiseException()
    if crawler in _open:
        _open.remove(crawler)


def close_all() -> None:
    while _open:
        close_crawler(_open[-1])


def problems(crawler: Crawler, kind: str | None = None) -> list[Problem]:
    """The problems recorded in the database (through the crawl's session)."""
    query = select(Problem).order_by(Problem.id)
    if kind is not None:
        query = query.where(Problem.kind == kind)
    return list(session_of(crawler).scalars(query))


def captures(crawler: Crawler, url: str | None = None) -> list[Capture]:
    """The capture rows in the database, this crawl's pending batch included."""
    session = session_of(crawler)
    archive_of(crawler).commit()
    query = select(Capture).order_by(Capture.fetched_at, Capture.id)
    if url is not None:
        query = query.where(Capture.url == url)
    return list(session.scalars(query))


def crawl_run(crawler: Crawler) -> CrawlRun:
    return session_of(crawler).scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()


def response(url: str, body: bytes = b"", status: int = 200,
             headers: dict[str, Any] | Headers | None = None, flags: Iterable[str] | None = None,
             request: Request | None = None, meta: dict[str, Any] | None = None) -> Response:
    """A downloaded response for ``url`` (HtmlResponse, TextResponse … by its headers, URL and
    body) with its request attached; ``meta`` goes to a new request or is added to ``request``'s."""
    if request is None:
        request = Request(url, meta=dict(meta or {}))
    elif meta:
        request.meta.update(meta)
    headers = headers if isinstance(headers, Headers) else Headers(headers or {})
    cls = responsetypes.from_args(headers=headers, url=url, body=body[:1024])
    return cls(url=url, status=status, headers=headers, body=body, flags=list(flags or []),
               request=request, protocol="HTTP/1.1")


def html_response(url: str, body: bytes | str, **kwargs: Any) -> Response:
    """An HTML page (UTF-8 unless ``headers`` say otherwise)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {"Content-Type": "text/html; charset=utf-8", **(kwargs.pop("headers", None) or {})}
    return response(url, body, headers=headers, **kwargs)


def spider_request(url: str, site: str, role: Role | str, *, hops: int = 0, text: str = "",
                   site_name: str | None = None, **meta: Any) -> Request:
    """A request as the spider makes them (the meta its callbacks read)."""
    step_fields = {f.name for f in fields(StepMeta)}
    step = StepMeta(site_url=site, site_name=site_name or site, role=Role(role), hops=hops,
                    link_text=text, **{k: v for k, v in meta.items() if k in step_fields})
    capture = {k: v for k, v in meta.items() if k not in step_fields}
    return Request(url, meta={**step.as_meta(),
                              **({CAPTURE_KEY: CaptureMeta(**capture)} if capture else {})})


def fixture_page(name: str) -> bytes:
    """A saved page: ``tests/fixtures/discovery/NAME``, else ``tests/fixtures/NAME``."""
    for path in (FIXTURES / "discovery" / name, FIXTURES / name):
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(f"no fixture {name} under {FIXTURES}")


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def warc_records(crawler: Crawler) -> Iterator[tuple[ArcWarcRecord, bytes]]:
    """Every record of the crawl's WARC files (closed or still ``.open``), payload raw."""
    folder = Path(crawler.settings.get("GOVCRAWL_WARC_DIR"))
    for path in sorted(folder.glob("*.warc.gz*")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                yield record, record.raw_stream.read()


# -- archive contents made the way a crawl makes them ----------------------------------------

Page = tuple[str, bytes, dict[str, Any]]  # url, body as sent, response headers


def archive_response(crawler: Crawler, url: str, body: bytes = b"", status: int = 200,
                     headers: dict[str, Any] | None = None, request: Request | None = None,
                     flags: Iterable[str] | None = None) -> tuple[Request, Response]:
    """Pass a downloaded response through the WARC middleware, as the downloader does."""
    request = request or Request(url)
    middleware = build(WarcCaptureMiddleware, crawler)
    assert middleware is not None
    result = middleware.process_response(request, response(
        url, body, status=status, headers=headers, request=request, flags=flags))
    return request, result


def earlier_crawl(tmp_path: Path, pages: Iterable[Page], reason: str = "finished",
                  **settings: Any) -> dict[str, str]:
    """A crawl run over ``tmp_path``'s archive that fetched ``pages`` and ended with ``reason``
    ("shutdown": stopped, to be resumed). Returns URL → capture id."""
    crawler = make_crawler(tmp_path, **settings)
    ids = {}
    for url, body, headers in pages:
        request, _ = archive_response(crawler, url, body, headers=headers)
        ids[url] = CaptureMeta.of(request).capture_id
    close_crawler(crawler, reason)
    return ids


def store_rows(tmp_path: Path, *rows: object) -> None:
    """Rows an earlier crawl's pipelines stored (reports, attachments), written between crawls."""
    with db.session_factory(db_url(tmp_path))() as session:
        session.add_all(rows)
        session.commit()
