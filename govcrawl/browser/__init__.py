"""A headless browser for the report lists nothing else can read.

- ``decision``: whether a page needs the browser (pure);
- ``protocol``: the request meta between spider, handler and middlewares (no Playwright);
- ``options``: how Chromium is launched and its pages set up (pure);
- ``exchange``: a browser request as a Scrapy request and back (pure);
- ``session``: one page's requests, answered through Scrapy's downloader;
- ``pager``: the bounded walk through a script-drawn pager;
- ``gate``: whether the crawl may render, and why not;
- ``handler``: the download handler wiring it into Scrapy (``DOWNLOAD_HANDLERS``).

This package imports Playwright only in ``session``, ``pager`` and ``handler``.
"""
