"""Scrapy settings for govcrawl: every default lives here.

The defaults are polite to small government servers (robots.txt, AutoThrottle, two requests per
host at most, retries with backoff) and archival (every exchange goes to WARC, raw).
"""

from __future__ import annotations

BOT_NAME = "govcrawl"
SPIDER_MODULES = ["govcrawl.spiders"]
NEWSPIDER_MODULE = "govcrawl.spiders"

# --- identity -----------------------------------------------------------------------------
GOVCRAWL_CONTACT_URL = "https://github.com/govcrawl/govcrawl"
USER_AGENT = f"govcrawl/0.1 (+{GOVCRAWL_CONTACT_URL}; research archive of government annual reports)"

# --- manners ------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Per registered domain, all its hosts together (DomainSlotMiddleware): one portal, one server.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
# Giant bodies: warn at 20 MB, stop at 64 MB (the capture is kept, flagged truncated).
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
# A transfer cut short is still evidence: archive it marked WARC-Truncated and flag the report.
DOWNLOAD_FAIL_ON_DATALOSS = False
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Backoff between retries; Retry-After (429/503) wins when the server sends one.
GOVCRAWL_RETRY_BACKOFF_BASE = 2.0
GOVCRAWL_RETRY_BACKOFF_MAX = 120.0
# After an anti-bot challenge (加速乐 521, 瑞数 412, WAF pages) space requests to that host this far
# for the rest of the crawl (AutoThrottle cannot lower it).
GOVCRAWL_WALL_DELAY = 30.0
# warcio cannot read zstd and crashes on br (warcio issue 73): ask only for what it reads.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
    "Accept-Encoding": "gzip, deflate",
}

# One request per resource, whatever form of its URL a link gave (http/https, :80, escapes):
# the dupefilter fingerprints the URL key (govcrawl.identity) with Scrapy's method, body and
# header rules. Nothing else uses fingerprints here (no HTTP cache).
REQUEST_FINGERPRINTER_CLASS = "govcrawl.fingerprint.KeyFingerprinter"

# --- bounds: a focused crawl, not a mirror ---------------------------------------------------
DEPTH_LIMIT = 12
GOVCRAWL_MAX_SECTION_HOPS = 3
GOVCRAWL_MAX_UNIT_HOPS = 3
GOVCRAWL_MAX_LIST_PAGES = 200
GOVCRAWL_MAX_COLUMN_HOPS = 3  # nested sub-columns (年报 → 乡镇年报 → 2022年)
GOVCRAWL_MAX_REQUESTS_PER_SITE = 5000
# Links are read (on the reactor thread) from this much of a page; beyond: page_too_large. 0: all.
GOVCRAWL_MAX_PARSE_BYTES = 4 * 1024 * 1024

# --- safety: nothing listens, nothing phones home ---------------------------------------------
# The scope guard (ScopeMiddleware) refuses hosts that are, or resolve to, loopback, private,
# link-local and other non-public addresses. True only for a crawl of a local test web (the
# simulated web's loopback proxy); with it, the guard resolves nothing.
GOVCRAWL_ALLOW_PRIVATE_ADDRESSES = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# Scrapy starts this many asyncio tasks for every callback's output; ours yield a handful of
# requests or one report, and 100 tasks per page cost more CPU than the WARC writer.
CONCURRENT_ITEMS = 8
LOG_LEVEL = "INFO"

# --- storage --------------------------------------------------------------------------------
GOVCRAWL_DB_URL = "sqlite:///data/govcrawl.sqlite"
GOVCRAWL_WARC_DIR = "data/warc"
GOVCRAWL_WARC_MAX_SIZE = 1024**3
GOVCRAWL_WARC_PREFIX = "GOVCRAWL"
GOVCRAWL_OPERATOR = ""
# Report extraction runs in worker processes, off the reactor thread (0 = one per core).
GOVCRAWL_EXTRACT_WORKERS = 0
# Seconds one page's extraction may take; past it the workers are replaced and the page flagged.
GOVCRAWL_EXTRACT_TIMEOUT = 60.0
# Address space of each extraction worker (MiB): a hostile PDF or spreadsheet fails alone.
GOVCRAWL_EXTRACT_MEMORY_MB = 2048
# A worker is replaced after this many pages (0 = never): bounds the slow growth of a long-lived
# worker (parser caches, fragmentation) that would bring it ever closer to its memory limit.
GOVCRAWL_EXTRACT_MAX_TASKS = 200

# --- re-crawls ---------------------------------------------------------------------------
# What the run modes below imply is derived in one place, govcrawl/config.py (CrawlConfig), for
# `govcrawl crawl`, `scrapy crawl` and scrapyd alike; contradictions stop the crawl at its start.
# Ask with If-None-Match / If-Modified-Since for pages captured before (304 → revisit record);
# never in a full or wayback crawl.
GOVCRAWL_CONDITIONAL = True
# Stop paginating a list once a page of it is unchanged and holds only reports already known
# (not in a full or wayback crawl).
GOVCRAWL_EARLY_STOP = True
# Walk and download everything (no validators, no early stop); `govcrawl crawl --full`.
GOVCRAWL_FULL = False
# `govcrawl crawl --resume`: continue the interrupted run (found when the archive is repaired,
# before every crawl). Combines with --full and --wayback: resume a run in the mode it began in.
GOVCRAWL_RESUME = False

# --- the past, through a web archive (`govcrawl crawl --wayback`) ---------------------------
GOVCRAWL_WAYBACK = False
GOVCRAWL_ARCHIVE_URL = "https://web.archive.org"
# Target time of the captures asked for (4–14 digits; empty: the end of GOVCRAWL_WAYBACK_TO,
# else the crawl's start).
GOVCRAWL_WAYBACK_TIMESTAMP = ""
# Years the CDX API is asked about (0: no bound); wayback crawls only.
GOVCRAWL_WAYBACK_FROM = 0
GOVCRAWL_WAYBACK_TO = 0

# --- the browser (govcrawl.browser): only for report lists drawn by script -------------------
# A column or list page whose items or pager exist only once its script has run, and that no
# strategy for a known script-built list recognised, is rendered in headless Chromium (Debian's
# package; Playwright's own browser download is never used). Without it the crawl goes on and
# records why once (`browser_unavailable`).
GOVCRAWL_BROWSER_ENABLED = True
GOVCRAWL_BROWSER_EXECUTABLE = "/usr/bin/chromium"
GOVCRAWL_BROWSER_LAUNCH_TIMEOUT = 30.0
GOVCRAWL_BROWSER_MAX_CLICKS = 50  # pager clicks (下一页 / 加载更多 / page numbers) per page
GOVCRAWL_BROWSER_PAGE_TIMEOUT = 120.0  # seconds for one page's pager walk
GOVCRAWL_BROWSER_QUIET = 0.3  # seconds without a request in flight: the page has drawn its list
# Every request goes to Scrapy's HTTP handler, except renderings (scrapy-playwright's handler,
# wrapped); what a rendered page fetches goes through the downloader like any other request.
DOWNLOAD_HANDLERS = {
    "http": "govcrawl.browser.handler.BrowserDownloadHandler",
    "https": "govcrawl.browser.handler.BrowserDownloadHandler",
}
# Renderings wait for the browser in a slot of their own, one page at a time; the requests each
# page makes take their domain's turns (its concurrency and delays).
DOWNLOAD_SLOTS = {"govcrawl-browser": {"concurrency": 1, "delay": 0.0, "jitter": 0.0}}
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 1
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 60_000  # ms, as DOWNLOAD_TIMEOUT

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's off-site filter, each dropped host recorded once as an `ignored` problem.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "govcrawl.middlewares.RecordedOffsiteMiddleware": 50,
    # robots.txt as RFC 9309 reads failures: 5xx/429/no answer ⇒ the host is not crawled.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "govcrawl.middlewares.StrictRobotsTxtMiddleware": 100,
    # Scrapy's cookie middleware asks tldextract, which downloads the Public Suffix List.
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "govcrawl.middlewares.OfflineCookiesMiddleware": 700,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "govcrawl.middlewares.BackoffRetryMiddleware": 550,
    # --wayback: requests go to the archive's raw capture; answers come back as the original.
    "govcrawl.middlewares.WaybackMiddleware": 570,
    # A resumed run answers what it fetched before the stop from its archive.
    "govcrawl.middlewares.ResumeReplayMiddleware": 890,
    # Validators out; a 304 comes back (after the WARC middleware archived it) as the archived page.
    "govcrawl.middlewares.ConditionalRequestMiddleware": 900,
    # Closest to the downloader: sees every exchange raw (robots.txt, redirect hops, gzip bodies).
    "govcrawl.middlewares.WarcCaptureMiddleware": 950,
    # The download slot (concurrency, delays, holds) is the registered domain of the URL fetched:
    # after the wayback rewrite, so the web archive keeps a slot of its own.
    "govcrawl.middlewares.DomainSlotMiddleware": 980,
    # Last before the network (process_request runs in ascending order, and retries, redirects
    # and meta refreshes come back through the whole chain): every request is checked for the
    # sites' hosts and ports and for public addresses, whatever dont_filter says.
    "govcrawl.middlewares.ScopeMiddleware": 990,
}
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 300,
    "pipelines.store.StorePipeline": 800,
}
EXTENSIONS = {
    "govcrawl.extensions.ArchiveExtension": 100,
}
