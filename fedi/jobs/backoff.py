"""How long a failed job waits before its next attempt: exponential backoff with jitter.

The ceiling doubles from ``BASE_SECONDS`` after each failure and stops at ``CAP_SECONDS``;
the actual wait is drawn uniformly between half the ceiling and the ceiling ("equal
jitter"). Jitter matters more than the curve: when a popular peer comes back after an
outage, thousands of deliveries that failed together must not all return in the same second.
Keeping the lower half out makes the total span predictable: with the default
``DEFAULT_MAX_ATTEMPTS`` a job keeps trying for between about 31 and 62 hours, two days on
average, which is what SECURITY.md asks of deliveries.

These are pure functions of the attempt number and a ``random.Random``, so tests (and the
table in docs/jobs.md) can compute the schedule exactly.
"""

from __future__ import annotations

import random

BASE_SECONDS = 30.0
CAP_SECONDS = 6 * 3600.0
DEFAULT_MAX_ATTEMPTS = 20

# 2**64 × any sane base is far past any cap; clamping the exponent keeps a corrupt or huge
# attempt count from raising OverflowError in float arithmetic.
_MAX_EXPONENT = 64


def backoff_ceiling(attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    """The longest wait after the ``attempt``-th failure (1-based): base·2^(attempt−1), capped."""
    if attempt < 1:
        raise ValueError(f"attempt numbers start at 1, not {attempt}")
    if base <= 0 or cap < base:
        raise ValueError("backoff needs 0 < base <= cap")
    return min(cap, base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))


def backoff_delay(
    attempt: int,
    rng: random.Random,
    *,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
) -> float:
    """Seconds to wait after the ``attempt``-th failure: uniform in [ceiling/2, ceiling]."""
    ceiling = backoff_ceiling(attempt, base=base, cap=cap)
    return rng.uniform(ceiling / 2, ceiling)


def longest_span(
    max_attempts: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS
) -> float:
    """The most time a job with ``max_attempts`` can spend between its first and last attempt.

    The shortest is half of this, the expected three quarters. Used by docs and tests to keep the
    claims about "how long do we keep retrying" honest.
    """
    return sum(backoff_ceiling(n, base=base, cap=cap) for n in range(1, max_attempts))
