"""The simulated web's registry and its HTTP forward-proxy server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import socket
import ssl
import sys
import threading
import time
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from os import PathLike
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .model import (
    ExpectedReport,
    LoggedRequest,
    Page,
    Revision,
    SiteEntry,
    VirtualHost,
    registered_domain,
)
from .tls import server_context as tls_context

if TYPE_CHECKING:
    from .faults import Fault
    from .revise import Reviser

__all__ = ["SimulatedWeb"]


class SimulatedWeb:
    """A set of virtual hosts with ground truth, served through one local HTTP proxy.

    Build it with :func:`build_test_web`, :func:`build_demo_web` or :func:`build_large_web`,
    then ``start()`` it and point the crawler at ``proxy_url`` (``http_proxy``, and
    ``https_proxy`` for hosts served over https too: CONNECT tunnels, TLS ended by the proxy).
    """

    def __init__(self, name: str = "custom") -> None:
        self.name = name
        self.hosts: dict[str, VirtualHost] = {}
        self.sites: list[SiteEntry] = []
        self.expected_reports: list[ExpectedReport] = []
        #: pages linked under several URL forms (``https://``, ``http://host:80/`` …, all serving
        #: the same bytes; :mod:`simweb.aliases`): the page's ``http://host/target`` URL (a
        #: report's as in ``expected_reports``) → every absolute URL the portal's links give it.
        #: A report there is found once when it is stored once, under any of its forms.
        self.url_aliases: dict[str, set[str]] = {}
        #: non-report pages whose titles mention reports / 年度 (notices, 要点, 公报, 决算 …)
        self.distractor_urls: set[str] = set()
        #: entry URLs of crawler traps (calendar, endless search, growing query, repeated path)
        self.trap_urls: set[str] = set()
        #: report-looking pages a robots.txt disallows (neither expected nor distractor)
        self.robots_disallowed_urls: set[str] = set()
        #: report attachments (PDF …) linked from lists; not in expected_reports
        self.attachment_urls: set[str] = set()
        #: links in lists that answer 404
        self.dead_urls: set[str] = set()
        #: redirecting URL -> final URL
        self.redirects: dict[str, str] = {}
        #: URLs answering 503 (Retry-After: ``retry_after``) on their first request(s)
        self.flaky_urls: set[str] = set()
        #: seconds the one-shot 503s (and an archive's 429s) ask for in Retry-After; a crawler
        #: honouring it sends the host nothing for that long. Tests that do not time the retry
        #: set 0: the 503 is still answered and retried, at once.
        self.retry_after = 1
        #: off-site links (other domains, lookalike hosts) that must never be requested
        self.offsite_urls: set[str] = set()
        #: registered domains served (``cangyuan.gov.cn`` …)
        self.domains: set[str] = set()
        self.request_log: list[LoggedRequest] = []
        #: set by the builders that support :meth:`revise`
        self.reviser: Reviser | None = None
        #: revisions made so far, oldest first
        self.revisions: list[Revision] = []
        #: injected faults and what a crawl must record for each (:mod:`simweb.faults`)
        self.faults: list[Fault] = []
        #: host name -> the address a test's stand-in resolver must give it (a name that
        #: resolves to a private or link-local address); other names resolve to nothing
        self.dns: dict[str, str] = {}
        self._log_lock = threading.Lock()
        self._fail_counts: dict[tuple[str, str, str], int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ building
    def host(self, name: str, **kwargs) -> VirtualHost:
        """Get or create the virtual host ``name`` (keyword arguments apply on creation)."""
        name = name.lower()
        vh = self.hosts.get(name)
        if vh is None:
            vh = VirtualHost(name=name, **kwargs)
            self.hosts[name] = vh
            self.domains.add(registered_domain(name))
        return vh

    def add_page(self, url: str, page: Page) -> None:
        """Register a prebuilt response for an absolute ``http://`` URL."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.host(parts.hostname or "").pages[target] = page
        if page.fail_first:
            self.flaky_urls.add(url)

    def page_count(self) -> int:
        """Number of distinct prebuilt 200 responses (aliases counted once)."""
        seen: set[int] = set()
        for vh in self.hosts.values():
            for page in vh.pages.values():
                if page.status == 200:
                    seen.add(id(page))
        return len(seen)

    def urls(self) -> list[str]:
        """Every prebuilt URL (static pages only)."""
        return [f"http://{h}{t}" for h, vh in self.hosts.items() for t in vh.pages]

    def revise(self, edit: int = 3, add: int = 3) -> Revision:
        """Revise the web in place (it may be serving): edit ``edit`` published reports and
        publish ``add`` new ones, touching no other page. Deterministic; each call makes a
        further revision. See :class:`~simweb.revise.Reviser`."""
        if self.reviser is None:
            raise RuntimeError(f"simulated web {self.name!r} was not built revisable")
        return self.reviser.revise(edit=edit, add=add)

    def write_sites_csv(self, path: str | PathLike) -> None:
        """Write ``sites`` as CSV with header ``name,url,level,region_code``."""
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["name", "url", "level", "region_code"])
            for s in self.sites:
                w.writerow([s.name, s.url, s.level or "", s.region_code or ""])

    # ------------------------------------------------------------------ serving
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulated web not started")
        return self._server.server_address[1]

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT`` — use as ``http_proxy`` and ``https_proxy``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> SimulatedWeb:
        """Serve on 127.0.0.1 (ephemeral port by default) from a daemon thread."""
        if self._server is not None:
            return self
        server = _ProxyServer(("127.0.0.1", port), _Handler)
        server.web = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"simweb-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self, port: int = 0) -> None:
        """Serve in the foreground until interrupted."""
        self.start(port)
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> SimulatedWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Clear the request log and re-arm one-shot failures (503s)."""
        with self._log_lock:
            self.request_log.clear()
            self._fail_counts.clear()

    def requested_urls(self) -> list[str]:
        """URLs of the logged requests, in order."""
        with self._log_lock:
            return [r.url for r in self.request_log]

    # ------------------------------------------------------------------ internals
    def _log(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self.request_log.append(entry)

    def _should_fail(self, host: str, target: str, page: Page) -> bool:
        return self._first(page.fail_first, host, target, "fail")

    def _should_delay(self, host: str, target: str, page: Page) -> bool:
        if not page.delay:
            return False
        return not page.delay_first or self._first(page.delay_first, host, target, "delay")

    def _first(self, n: int, host: str, target: str, what: str) -> bool:
        """Whether this request is among the first ``n`` for the page (counted per ``what``,
        re-armed by :meth:`reset`)."""
        if not n:
            return False
        with self._log_lock:
            seen = self._fail_counts.get((host, target, what), 0)
            self._fail_counts[(host, target, what)] = seen + 1
            return seen < n


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    web: SimulatedWeb

    def handle_error(self, request: object, client_address: object) -> None:
        # A crawler that gives up on a slow page hangs up: not an error of the simulated web.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def server_activate(self) -> None:
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().server_activate()

    def get_request(self) -> tuple[socket.socket, object]:
        conn, addr = super().get_request()
        with self._conns_lock:
            self._conns.add(conn)
        return conn, addr

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def adopt(self, raw: socket.socket, tls: ssl.SSLSocket) -> None:
        """Track a connection's TLS socket in place of the raw one it wrapped."""
        with self._conns_lock:
            self._conns.discard(raw)
            self._conns.add(tls)

    def forget(self, conn: socket.socket) -> None:
        with self._conns_lock:
            self._conns.discard(conn)

    def close_connections(self) -> None:
        """Drop open keep-alive connections so nothing is served after stop()."""
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _SocketWriter(io.BufferedIOBase):
    """An unbuffered writer that sends everything it is given (``sendall``), as socketserver's
    own writer does for plain connections: a response leaves when it is written."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._sock.sendall(data)
        return len(data)


_BAD_GATEWAY = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>502 Bad Gateway</h1><p>simweb: unknown host</p></body></html>"
)
_SERVICE_UNAVAILABLE = (
    b"<html><head><title>503 Service Unavailable</title></head><body>"
    b"<h1>503 Service Unavailable</h1><p>Server busy, please retry.</p></body></html>"
)


def _failure_body(status: int) -> bytes:
    """The page of a one-shot failure (503 as it always was; 429 and others alike)."""
    if status == 503:
        return _SERVICE_UNAVAILABLE
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return (f"<html><head><title>{status} {phrase}</title></head><body><h1>{status} {phrase}"
            "</h1><p>Server busy, please retry.</p></body></html>").encode()


_DEFAULT_404 = (
    b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
)


def _with_form(target: str, form: str) -> str:
    """``target`` with a POST's URL-encoded form fields added to its query."""
    if not form:
        return target
    return f"{target}{'&' if '?' in target else '?'}{form}"


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    want = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == want for tag in header.split(","))


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if coding in ("gzip", "x-gzip", "*"):
            for p in params:
                if p.startswith("q="):
                    try:
                        return float(p[2:]) > 0
                    except ValueError:
                        return False
            return True
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections are dropped after this many seconds
    server: _ProxyServer
    _server_header = "nginx"
    # Set once a CONNECT tunnel speaks TLS: its socket, the CONNECT target, the logged scheme.
    _tls: ssl.SSLSocket | None = None
    _tunnel_host = ""
    _scheme = "http"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def version_string(self) -> str:
        return self._server_header

    def do_GET(self) -> None:
        self._handle(body=True)

    def do_HEAD(self) -> None:
        self._handle(body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        # Form fields reach dynamic pages as a servlet's getParameter() sees them: the query and
        # the URL-encoded body together (dataproxy.jsp reads startrecord from the one, columnid
        # from the other). Other bodies (JSON) are read and not passed on.
        form = ""
        if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "").lower():
            form = data.decode("latin-1")
        self._handle(body=True, form=form)

    def do_CONNECT(self) -> None:
        """Open a tunnel to an https host and terminate its TLS here (see :meth:`_start_tls`).

        Only hosts that opt in (``VirtualHost.https``) on port 443; an unknown host gets 502 as
        a plain request would, any other CONNECT 405. The tunnel itself is not logged: the
        requests made through it are, with ``https://`` URLs."""
        self._server_header = "simweb"
        hostname, sep, port = self.path.rpartition(":")
        if not sep:
            hostname, port = self.path, ""
        hostname = hostname.strip("[]").lower().rstrip(".")
        vh = self.server.web.hosts.get(hostname)
        if vh is None and self._tls is None:
            self._log_and_send(self.path, hostname, 502, [], _BAD_GATEWAY, "text/html", True)
        elif vh is None or not vh.https or port != "443" or self._tls is not None:
            self._log_and_send(
                self.path,
                hostname,
                405,
                [("Allow", "GET, HEAD, POST")],
                b"CONNECT not supported for this host (HTTP only)",
                "text/plain",
                True,
            )
        else:
            self._start_tls(hostname)
            return
        self.close_connection = True

    def _start_tls(self, hostname: str) -> None:
        """Answer 200 to a CONNECT, then speak TLS on the connection: the handler's loop reads
        the next requests from the TLS stream and serves them like plain ones."""
        self.send_response(200, "Connection established")
        self.end_headers()
        raw = self.connection
        try:
            tls = tls_context().wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True  # a client that gave up on the handshake
            return
        # wrap_socket detached the raw socket: the server must shut the TLS one on stop().
        self.server.adopt(raw, tls)
        self.rfile.close()
        self.wfile.close()
        self.connection, self._tls, self._tunnel_host, self._scheme = tls, tls, hostname, "https"
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = _SocketWriter(tls)
        # The tunnel stays open whatever the CONNECT said (http.client sends it as HTTP/1.0):
        # the requests inside it decide about keep-alive.
        self.close_connection = False

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._tls is not None:
                self.server.forget(self._tls)
                with contextlib.suppress(OSError):
                    self._tls.close()

    # ---------------------------------------------------------------- dispatch
    def _handle(self, body: bool, form: str = "") -> None:
        web = self.server.web
        raw = self.path
        if raw.lower().startswith(("http://", "https://")):
            parts = urlsplit(raw)
            netloc = parts.netloc
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        else:
            # through a tunnel a client may omit Host: the CONNECT target names the host
            netloc = self.headers.get("Host", "") or self._tunnel_host
            target = raw if raw.startswith("/") else "/" + raw
        hostname = netloc.rsplit("@", 1)[-1].split(":")[0].lower().rstrip(".")
        url = f"{self._scheme}://{netloc.lower()}{target}"
        vh = web.hosts.get(hostname)
        if vh is None or (self._tls is not None and not vh.https):
            self._server_header = "simweb"
            self._log_and_send(url, hostname, 502, [], _BAD_GATEWAY, "text/html", body)
            return
        self._server_header = vh.server
        try:
            page = vh.resolve(_with_form(target, form), self.headers)
        except Exception as exc:  # a bug in a dynamic page must not kill the connection
            msg = f"simweb internal error: {exc!r}".encode()
            self._log_and_send(url, hostname, 500, [], msg, "text/plain", body)
            return
        if page is None:
            nf = vh.not_found
            self._log_and_send(
                url,
                hostname,
                404,
                list(vh.extra_headers),
                nf.body if nf else _DEFAULT_404,
                nf.content_type if nf else "text/html",
                body,
            )
            return
        if web._should_fail(hostname, target, page):
            retry_after = page.retry_after if page.retry_after is not None else str(web.retry_after)
            self._log_and_send(
                url, hostname, page.fail_status, [("Retry-After", retry_after)],
                _failure_body(page.fail_status), "text/html", body,
            )
            return
        if web._should_delay(hostname, target, page):
            time.sleep(page.delay)
        headers = list(vh.extra_headers) + list(page.headers)
        payload = page.body
        if page.status == 200:
            use_gzip = (
                vh.gzip
                and page.compressible
                and _accepts_gzip(self.headers.get("Accept-Encoding", ""))
            )
            etag = f"W/{page.etag}" if use_gzip else page.etag
            headers.append(("ETag", etag))
            lm = page.last_modified_http
            if lm:
                headers.append(("Last-Modified", lm))
            if vh.gzip and page.compressible:
                headers.append(("Vary", "Accept-Encoding"))
            if self._not_modified(page):
                self._log_and_send(url, hostname, 304, headers, b"", None, False)
                return
            if use_gzip:
                payload = page.gzipped
                headers.append(("Content-Encoding", "gzip"))
        if page.content_encoding is not None:
            headers.append(("Content-Encoding", page.content_encoding))
        self._log_and_send(url, hostname, page.status, headers, payload, page.content_type, body,
                           truncate_at=page.truncate_at)

    def _not_modified(self, page: Page) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return _etag_matches(inm, page.etag)
        ims = self.headers.get("If-Modified-Since")
        if ims and page.last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=dt.UTC)
            return page.last_modified.replace(microsecond=0) <= since
        return False

    def _log_and_send(
        self,
        url: str,
        host: str,
        status: int,
        headers: list[tuple[str, str]],
        payload: bytes,
        content_type: str | None,
        body: bool,
        truncate_at: int | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(payload)))
        # headers and body in one write: avoids Nagle / delayed-ACK stalls on keep-alive
        self._headers_buffer.append(b"\r\n")
        if body and payload and status != 304:
            self._headers_buffer.append(payload if truncate_at is None else payload[:truncate_at])
        # Logged before the client can see the answer, so a test reading the log after its
        # request returned always finds it.
        self.server.web._log(
            LoggedRequest(
                method=self.command,
                url=url,
                host=host,
                status=status,
                headers={k: v for k, v in self.headers.items()},
                at=time.time(),
                bytes_sent=sum(len(chunk) for chunk in self._headers_buffer),
            )
        )
        self.flush_headers()
        if truncate_at is not None:
            self.close_connection = True
