"""Polite, safe defaults and the retry policy."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.settings import Settings

from govcrawl.middlewares import retry_after_seconds


def defaults() -> Settings:
    settings = Settings()
    settings.setmodule("govcrawl.settings", priority="project")
    return settings


def test_defaults_are_polite_to_small_government_servers() -> None:
    s = defaults()
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert s.getfloat("DOWNLOAD_DELAY") >= 1
    assert s.get("GOVCRAWL_CONTACT_URL") in s.get("USER_AGENT") and s.get("USER_AGENT").startswith("govcrawl/")
    assert {429, 503} <= {int(c) for c in s.getlist("RETRY_HTTP_CODES")}


def test_nothing_listens_and_nothing_asks_for_encodings_warcio_cannot_read() -> None:
    s = defaults()
    assert not s.getbool("TELNETCONSOLE_ENABLED") and not s.getbool("REMOTE_CONTROL_ENABLED")
    encodings = {e.strip() for e in s.getdict("DEFAULT_REQUEST_HEADERS")["Accept-Encoding"].split(",")}
    assert encodings == {"gzip", "deflate"}
    assert s.getdict("DOWNLOADER_MIDDLEWARES")["scrapy.downloadermiddlewares.cookies.CookiesMiddleware"] is None


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Mon, 01 Jan 2024 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sun, 31 Dec 2023 23:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
