"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's recommended argon2id floor (19 MiB, 2 passes, 1 lane). argon2-cffi's default
# (64 MiB, 3 passes, 4 lanes) costs ~170 ms of both cores per log-in on a ministry's small
# 2-core server, enough for a handful of sign-ins to stall it. Old hashes are upgraded on
# log-in by ``needs_rehash`` if these parameters change.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Verifying against this when the account is unknown makes "no such user" cost the same time
# as "wrong password", so log-in answers do not reveal which e-mails have accounts.
_DUMMY_HASH = _hasher.hash("jamii-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
