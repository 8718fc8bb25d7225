"""The request fingerprint of a resource, not of one spelling of its URL."""

from __future__ import annotations

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter, fingerprint

from govcrawl.identity import url_key

__all__ = ["KeyFingerprinter"]


class KeyFingerprinter(RequestFingerprinter):
    """Scrapy's request fingerprinter over the request's URL key (:func:`url_key`): two requests
    for one resource under different URL forms (http/https, ``:80``, escapes) are one request to
    the dupefilter; method, body and the headers Scrapy counts still count, so POSTs to one list
    endpoint are told apart by their forms."""

    def fingerprint(self, request: Request) -> bytes:
        key = url_key(request.url)
        if key != request.url:
            request = request.replace(url=key)
        return fingerprint(request)
