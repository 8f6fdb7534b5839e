"""Runnable benchmarks (not timed tests): each prints its figures beside a same-run baseline."""
