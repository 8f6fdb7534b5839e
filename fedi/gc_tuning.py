"""The garbage collector, set for a long-running server once it has started.

Start-up leaves hundreds of thousands of long-lived objects (SQLAlchemy's mappers and
compiled caches, pydantic's validators, the translation models' vocabularies). Every full
collection walks all of them, and with CPython's default thresholds (700 allocations per
young collection) a busy inbox triggers one every few hundred requests: measured as the
tail of its latency (p99 70–80 ms against 20–40 ms without, docs/benchmarks.md).
Freezing moves what exists at start-up out of the collector's sight for good, and a larger
young generation makes collections rarer; reference counting still frees everything that
is not a cycle at once, so memory does not grow by more than the young generation's cycles.
"""

from __future__ import annotations

import gc

# Allocations between young collections (CPython's default is 700), then how many young
# (and middle) collections between older ones.
THRESHOLDS = (50_000, 20, 100)


def settle_after_start() -> None:
    """Call once the process has started (imports done, caches filled)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
