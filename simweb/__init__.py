"""A simulated gov.cn web served through a local HTTP proxy, with ground truth.

>>> from simweb import build_test_web
>>> with build_test_web() as web:          # doctest: +SKIP
...     os.environ["http_proxy"] = web.proxy_url
"""

from .model import Attachment, ExpectedReport, LoggedRequest, Page, Revision, SiteEntry
from .portals import build_demo_web, build_large_web, build_test_web
from .server import SimulatedWeb
from .wayback import ArchiveWeb, Capture, build_archive_web

__all__ = [
    "SimulatedWeb",
    "Attachment",
    "ExpectedReport",
    "SiteEntry",
    "LoggedRequest",
    "Page",
    "Revision",
    "build_test_web",
    "build_demo_web",
    "build_large_web",
    "build_archive_web",
    "ArchiveWeb",
    "Capture",
]
