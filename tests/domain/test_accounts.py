"""Registering teachers and logging them in."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, AccountKey, TeacherProfile, User
from fedi.domain.accounts import Registration, authenticate, register
from fedi.errors import Conflict, ValidationFailed
from tests.factories import KE


def amina(**changes: object) -> Registration:
    fields: dict[str, object] = {
        "username": "amina",
        "email": "amina@kisumu.example",
        "password": "fractions-are-fun",
        "display_name": "Amina Otieno",
    }
    fields.update(changes)
    return Registration(**fields)  # type: ignore[arg-type]


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_registered_teacher_gets_an_actor_a_key_pair_and_a_profile(
    session: AsyncSession,
) -> None:
    account, user = await register(session, KE, amina())
    await session.commit()

    assert account.uri == "https://ke.test/users/amina"
    assert account.public_key_id == "https://ke.test/users/amina#main-key"
    assert account.domain is None
    key = await session.get(AccountKey, account.id)
    assert key is not None
    private = load_pem_private_key(key.private_key_pem, password=None)
    public = load_pem_public_key(account.public_key_pem.encode())  # type: ignore[union-attr]
    assert private.public_key().public_numbers() == public.public_numbers()  # type: ignore[union-attr]
    assert await session.get(TeacherProfile, account.id) is not None
    assert user.password_hash.startswith("$argon2")
    assert "fractions-are-fun" not in user.password_hash


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "amina otieno"}, "username"),
        ({"username": ""}, "username"),
        ({"username": "a" * 31}, "username"),
        ({"username": "admin"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"role": "overlord"}, "role"),
    ],
)
async def test_invalid_registrations_are_refused_and_write_nothing(
    session: AsyncSession, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await register(session, KE, amina(**changes))
    assert refused.value.field == field
    assert refused.value.status == 422
    assert await _count(session, Account) == 0
    assert await _count(session, User) == 0


async def test_usernames_and_emails_are_unique_without_regard_to_case(
    session: AsyncSession,
) -> None:
    await register(session, KE, amina())
    await session.commit()

    with pytest.raises(Conflict) as same_name:
        await register(session, KE, amina(username="AMINA", email="other@kisumu.example"))
    assert same_name.value.field == "username"
    with pytest.raises(Conflict) as same_email:
        await register(session, KE, amina(username="amina2", email="Amina@Kisumu.example"))
    assert same_email.value.field == "email"
    assert await _count(session, Account) == 1


async def test_log_in_needs_the_right_password_and_says_nothing_about_unknown_emails(
    session: AsyncSession,
) -> None:
    _, user = await register(session, KE, amina())
    await session.commit()

    found = await authenticate(session, "AMINA@kisumu.example", "fractions-are-fun")
    assert found is not None
    assert found.id == user.id
    assert found.last_sign_in_at is not None
    assert await authenticate(session, "amina@kisumu.example", "wrong password") is None
    assert await authenticate(session, "nobody@kisumu.example", "fractions-are-fun") is None


async def test_a_disabled_teacher_cannot_log_in(session: AsyncSession) -> None:
    _, user = await register(session, KE, amina())
    user.disabled = True
    await session.commit()
    assert await authenticate(session, "amina@kisumu.example", "fractions-are-fun") is None
