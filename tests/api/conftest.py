"""Every Mastodon.py client a test makes is closed when the test ends.

Mastodon.py keeps a requests connection pool per client; left open, its sockets warn when
garbage-collected — in whichever later test that happens, which (warnings being errors)
fails an innocent test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mastodon import Mastodon


@pytest.fixture(autouse=True)
def close_every_mastodon_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    made: list[Mastodon] = []
    original = Mastodon.__init__

    def remembering(self: Mastodon, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Mastodon, "__init__", remembering)
    yield
    for client in made:
        client.session.close()
