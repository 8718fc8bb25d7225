"""Imported only in the analysis pool's fork server (its preload list): the server and the
workers it forks ignore SIGTERM.

A service manager's stop, or ``kill`` of the crawl's process group, reaches them too; but the
crawl shuts down gracefully on SIGTERM and lets the pages in flight finish, so a worker must not
die of it mid-page (its page would be stored as failed), nor the server that starts new workers.
The parent stops them itself; if it dies, their pipes close and they exit."""

import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
