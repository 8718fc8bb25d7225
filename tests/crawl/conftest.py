"""Every crawler a test made is closed (spider_closed) when the test ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawl.helpers import close_all


@pytest.fixture(autouse=True)
def _close_crawlers() -> Iterator[None]:
    yield
    close_all()
