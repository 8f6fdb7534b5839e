"""The benchmark data set: who follows whom and who wrote what, produced as rows in chunks.

Deterministic (seeded) apart from the clock: ids are time-sortable like ``fedi.ids.new_id``
(ms << 16 | seq); accounts were created 90–60 days ago, follows 60–30 days ago, and statuses
are spread over the last 30 days. Authors are drawn uniformly; one status in ten replies to a
recent one (a third of those are self-threads); 85 % public, 8 % unlisted, 7 % followers-only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

BASE_URL = "https://bench.example"
SEED = 42
DAY_MS = 86_400_000
CHUNK = 50_000
Row = tuple[Any, ...]
Stamp = Callable[[int], Any]  # milliseconds since the epoch -> the driver's timestamp value

ACCOUNT_COLUMNS = (
    "id", "created_at", "username", "username_lower", "domain", "actor_type", "display_name",
    "note", "uri", "url", "inbox_url", "shared_inbox_url", "outbox_url", "followers_url",
    "public_key_id", "public_key_pem", "locked", "discoverable", "bot", "fields",
    "also_known_as", "moved_to_account_id", "avatar_url", "header_url", "statuses_count",
    "followers_count", "following_count", "last_status_at", "updated_at", "fetched_at",
    "suspended_at",
)  # fmt: skip
FOLLOW_COLUMNS = (
    "id", "created_at", "account_id", "target_account_id", "uri", "show_reblogs", "notify",
)  # fmt: skip
STATUS_COLUMNS = (
    "id", "created_at", "uri", "url", "account_id", "in_reply_to_id", "in_reply_to_account_id",
    "thread_id", "reblog_of_id", "content", "text", "spoiler_text", "sensitive", "language",
    "visibility", "local", "edited_at", "replies_count", "reblogs_count", "favourites_count",
)  # fmt: skip
TABLES = {"accounts": ACCOUNT_COLUMNS, "follows": FOLLOW_COLUMNS, "statuses": STATUS_COLUMNS}
PEM = "-----BEGIN PUBLIC KEY-----\nbenchmark-dummy-key\n-----END PUBLIC KEY-----\n"
PHRASES = (
    "Trying a new fractions activity with my grade 5 class today.",
    "Does anyone have a good rubric for persuasive essays?",
    "Our school garden project is finally growing tomatoes!",
    "Sharing my lesson plan on the water cycle, feedback welcome.",
    "Peer tutoring worked better than expected this week.",
)
LANGUAGES = ("en", "en", "en", "fr", "pt", "sw")


@dataclass(frozen=True)
class Sizes:
    accounts: int = 10_000
    statuses: int = 1_000_000
    follows_per_account: int = 100

    @property
    def key(self) -> str:
        return f"a{self.accounts}_s{self.statuses}_f{self.follows_per_account}"

    def counts(self) -> dict[str, int]:
        n = self.accounts
        return {"accounts": n, "follows": n * self.follows_per_account, "statuses": self.statuses}


class Plan:
    """The shape of the data set (who follows whom, who wrote what), then its rows in chunks."""

    def __init__(self, sizes: Sizes) -> None:
        rng = random.Random(SEED)
        n, s, per = sizes.accounts, sizes.statuses, sizes.follows_per_account
        self.now = int(time.time() * 1000)
        step = 30 * DAY_MS // n
        self.account_ids = [
            (self.now - 90 * DAY_MS + i * step) << 16 | rng.getrandbits(15) for i in range(n)
        ]
        self.targets = [[t + (t >= i) for t in rng.sample(range(n - 1), per)] for i in range(n)]
        step = 30 * DAY_MS // s
        start = self.now - 30 * DAY_MS
        self.ids = [(start + i * step + rng.randrange(step)) << 16 | rng.getrandbits(15)
                    for i in range(s)]  # fmt: skip
        self.author = [0] * s
        self.parent = [-1] * s
        self.thread = list(range(s))
        self.visibility = [""] * s
        for i in range(s):
            self.author[i] = rng.randrange(n)
            if i and rng.random() < 0.1:  # a reply to a recent post, a third of them self-threads
                parent = self.parent[i] = rng.randrange(max(0, i - 5000), i)
                self.thread[i] = self.thread[parent]
                if rng.random() < 0.3:
                    self.author[i] = self.author[parent]
            r = rng.random()
            self.visibility[i] = "public" if r < 0.85 else "unlisted" if r < 0.93 else "private"
        self.replies = [0] * s
        self.posts = [0] * n
        self.last_post = [-1] * n
        for i in range(s):
            self.posts[self.author[i]] += 1
            self.last_post[self.author[i]] = i
            if self.parent[i] >= 0:
                self.replies[self.parent[i]] += 1
        self.followers = [0] * n
        for targets in self.targets:
            for t in targets:
                self.followers[t] += 1

    def rows(self, table: str, stamp: Stamp) -> Iterator[list[Row]]:
        producer = {"accounts": self._accounts, "follows": self._follows}.get(table, self._statuses)
        chunk: list[Row] = []
        for row in producer(stamp):
            chunk.append(row)
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _accounts(self, stamp: Stamp) -> Iterator[Row]:
        for i, account_id in enumerate(self.account_ids):
            name = f"teacher{i:05d}"
            uri = f"{BASE_URL}/users/{name}"
            last = self.last_post[i]
            yield (
                account_id, stamp(account_id >> 16), name, name, None, "Person", f"Teacher {i}",
                "", uri, f"{BASE_URL}/@{name}", f"{uri}/inbox", f"{BASE_URL}/inbox",
                f"{uri}/outbox", f"{uri}/followers", f"{uri}#main-key", PEM, False, True, False,
                "[]", "[]", None, None, None, self.posts[i], self.followers[i],
                len(self.targets[i]), stamp(self.ids[last] >> 16) if last >= 0 else None,
                stamp(self.now), None, None,
            )  # fmt: skip

    def _follows(self, stamp: Stamp) -> Iterator[Row]:
        total = len(self.targets) * len(self.targets[0]) if self.targets else 0
        step, start, k = 30 * DAY_MS // max(total, 1), self.now - 60 * DAY_MS, 0
        for i, targets in enumerate(self.targets):
            for t in targets:
                ms = start + k * step
                k += 1
                follow_id = ms << 16 | (k & 0x7FFF)
                row = (self.account_ids[i], self.account_ids[t], None, True, False)
                yield (follow_id, stamp(ms), *row)

    def _statuses(self, stamp: Stamp) -> Iterator[Row]:
        ids, accounts = self.ids, self.account_ids
        for i, status_id in enumerate(ids):
            author, parent = self.author[i], self.parent[i]
            name = f"teacher{author:05d}"
            text = f"#{i}: {PHRASES[i % len(PHRASES)]}"
            yield (
                status_id, stamp(status_id >> 16), f"{BASE_URL}/users/{name}/statuses/{status_id}",
                f"{BASE_URL}/@{name}/{status_id}", accounts[author],
                ids[parent] if parent >= 0 else None,
                accounts[self.author[parent]] if parent >= 0 else None,
                ids[self.thread[i]], None, f"<p>{text}</p>", text, "", False,
                LANGUAGES[i % len(LANGUAGES)], self.visibility[i], True, None, self.replies[i],
                0, 0,
            )  # fmt: skip
