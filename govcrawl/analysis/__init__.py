"""Report analysis shared by the crawl, the archive import and reparse.

``govcrawl.analysis.pool`` runs the analysis in worker processes with one set of failure rules
(time and memory limits, a failing task fails alone, results in order). Only the pool's names are
imported here: the pool is stdlib-only and must stay cheap to import, whereas the worker side
(``govcrawl.analysis.worker``) pulls in trafilatura, lxml and the document readers.
"""

from govcrawl.analysis.pool import AnalysisFailed, AnalysisPool, Outcome, PoolLimits

__all__ = ["AnalysisFailed", "AnalysisPool", "Outcome", "PoolLimits"]
