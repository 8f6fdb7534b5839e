"""Signals on PostgreSQL travel as NOTIFY payloads, which PostgreSQL caps at 8000 bytes: a
payload it refused would fail the transaction of the post itself."""

from __future__ import annotations

import orjson

from fedi.streaming.commits import MAX_PAYLOAD, payloads


def test_signals_are_packed_below_the_notify_limit_in_order() -> None:
    signals = [
        {"kind": "status.deleted", "status_id": n, "mentioned_ids": list(range(40)), "tags": []}
        for n in range(100)
    ]
    packed = payloads(signals)
    assert len(packed) > 1
    assert all(len(p.encode()) <= MAX_PAYLOAD for p in packed)
    assert [s for p in packed for s in orjson.loads(p)] == signals


def test_a_signal_too_big_alone_is_left_out_not_fatal() -> None:
    huge = {
        "kind": "status.deleted",
        "status_id": 1,
        "mentioned_ids": list(range(10**6, 10**6 + 2000)),
    }
    small = {"kind": "status.created", "status_id": 2}
    assert [orjson.loads(p) for p in payloads([huge, small])] == [[small]]
