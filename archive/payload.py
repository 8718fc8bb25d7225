"""An archived payload without its transfer and content codings, inflated only up to a bound.

Records keep the bytes as received (``Content-Encoding`` kept); import and reparse read them back
and must not let a few kilobytes inflate to gigabytes (a gzip bomb: 1 MB of gzip is 1 GiB of
zeros, review H3) or let one coding no one can decode stop the run (review H4: warcio's reader
raised ``AttributeError`` on every ``br`` record). Decoding follows what the crawl does
(Scrapy's ``HttpCompressionMiddleware``, which is bounded by ``DOWNLOAD_MAXSIZE`` the same way),
so import and reparse analyse the bytes the crawl analysed:

- codings are undone from the last applied one backwards: gzip / x-gzip, deflate (zlib or raw),
  br, zstd; ``identity`` is skipped;
- decoding stops at the first coding it does not know, and the payload is kept as it is from
  there (what Scrapy hands the spider: servers send ``Content-Encoding: utf-8`` and the like);
- a gzip stream cut short gives what it holds, as Scrapy's ``gunzip`` does;
- anything that fails to decode raises ``PayloadError``, and going past ``max_size`` decoded
  bytes raises ``PayloadTooLarge`` ("payload inflates past 64 MiB") — one record's problem.

No Scrapy here (the archive layer does not import it), so the decoders are our own, each fed in
slices and asked for at most a block of output at a time.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator

from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders

try:  # Scrapy depends on both; the import never needs them unless a record is so encoded
    import brotli
except ImportError:  # pragma: no cover - brotlicffi is the other package of the same API
    try:
        import brotlicffi as brotli  # type: ignore[no-redef]
    except ImportError:
        brotli = None  # type: ignore[assignment]
try:
    from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
except ImportError:
    try:
        from backports import zstd  # type: ignore[no-redef]
    except ImportError:  # pragma: no cover
        zstd = None  # type: ignore[assignment]

__all__ = ["PayloadError", "PayloadTooLarge", "decode_payload", "http_payload"]

_BLOCK = 1 << 16  # output asked for per decompressor call
_GZIP_MAGIC = b"\x1f\x8b"


class PayloadError(ValueError):
    """The payload does not decode with the coding its headers name."""


class PayloadTooLarge(PayloadError):
    """The payload inflates past the bound."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"payload inflates past {_size(max_size)}")
        self.max_size = max_size


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n:,} bytes"


def _collect(chunks: Iterator[bytes], max_size: int) -> bytes:
    out = io.BytesIO()
    for chunk in chunks:
        if max_size and out.tell() + len(chunk) > max_size:
            raise PayloadTooLarge(max_size)
        out.write(chunk)
    return out.getvalue()


def _zlib_chunks(data: bytes, wbits: int) -> Iterator[bytes]:
    """Inflate ``data`` (gzip members one after the other, or one zlib/raw deflate stream)."""
    while data:
        inflater = zlib.decompressobj(wbits)
        chunk = inflater.decompress(data, _BLOCK)
        yield chunk
        while inflater.unconsumed_tail and not inflater.eof:
            yield inflater.decompress(inflater.unconsumed_tail, _BLOCK)
        if not inflater.eof:
            return  # cut short: what it held is the payload (as browsers and Scrapy take it)
        data = inflater.unused_data
        if wbits != zlib.MAX_WBITS | 16 or not data.startswith(_GZIP_MAGIC):
            return  # one stream, or trailing junk after the last gzip member


def _gunzip(data: bytes, max_size: int) -> bytes:
    out = io.BytesIO()
    try:
        for chunk in _zlib_chunks(data, zlib.MAX_WBITS | 16):
            if max_size and out.tell() + len(chunk) > max_size:
                raise PayloadTooLarge(max_size)
            out.write(chunk)
    except zlib.error as exc:
        if not out.tell():  # a damaged tail (bad CRC) after good data keeps the data
            raise PayloadError(f"payload does not decode as gzip ({exc})") from None
    return out.getvalue()


def _inflate(data: bytes, max_size: int) -> bytes:
    try:
        return _collect(_zlib_chunks(data, zlib.MAX_WBITS), max_size)
    except zlib.error:
        pass  # raw deflate, as some servers (IIS) send it
    try:
        return _collect(_zlib_chunks(data, -zlib.MAX_WBITS), max_size)
    except zlib.error as exc:
        raise PayloadError(f"payload does not decode as deflate ({exc})") from None


def _unbrotli(data: bytes, max_size: int) -> bytes:
    def chunks() -> Iterator[bytes]:
        decompressor = brotli.Decompressor()
        yield decompressor.process(data, output_buffer_limit=_BLOCK)
        while not decompressor.is_finished():
            chunk = decompressor.process(b"", output_buffer_limit=_BLOCK)
            if not chunk:
                return  # cut short
            yield chunk

    try:
        return _collect(chunks(), max_size)
    except brotli.error as exc:
        raise PayloadError(f"payload does not decode as br ({exc})") from None


def _unzstd(data: bytes, max_size: int) -> bytes:
    def chunks() -> Iterator[bytes]:
        with zstd.ZstdFile(io.BytesIO(data)) as reader:
            while True:
                try:
                    chunk = reader.read(_BLOCK)
                except EOFError:
                    return  # cut short
                if not chunk:
                    return
                yield chunk

    try:
        return _collect(chunks(), max_size)
    except zstd.ZstdError as exc:
        raise PayloadError(f"payload does not decode as zstd ({exc})") from None


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate}
if brotli is not None:
    _DECODERS["br"] = _unbrotli
if zstd is not None:
    _DECODERS["zstd"] = _unzstd


def _dechunked(raw: bytes) -> bytes:
    # warcio's reader falls back to the raw bytes when the chunking is broken; undoing it never
    # makes the payload larger.
    reader = ChunkedDataReader(io.BytesIO(raw))
    return b"".join(iter(lambda: reader.read(_BLOCK), b""))


def decode_payload(raw: bytes, content_encoding: str | None, *, chunked: bool = False,
                   max_size: int = 0) -> bytes:
    """``raw`` without chunked framing and its content codings; ``max_size`` bounds every step's
    output (0: no bound). Raises PayloadError / PayloadTooLarge (see the module docstring)."""
    body = _dechunked(raw) if chunked else raw
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    while codings:
        coding = codings.pop()
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            break  # not a coding we (or the crawl) can undo: analysed as it is
        body = decoder(body, max_size)
    return body


def http_payload(raw: bytes, http: StatusAndHeaders | None, *, max_size: int = 0) -> bytes:
    """``decode_payload`` with the codings a record's HTTP headers name."""
    if http is None:
        return raw
    chunked = "chunked" in (http.get_header("Transfer-Encoding") or "").lower()
    return decode_payload(raw, http.get_header("Content-Encoding"), chunked=chunked,
                          max_size=max_size)
