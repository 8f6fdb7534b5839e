"""Turning request parameters into a page, as Mastodon does."""

from __future__ import annotations

import pytest

from fedi.domain.pagination import Page
from fedi.errors import ValidationFailed


def test_limits_are_clamped_and_defaults_apply() -> None:
    assert Page.of().limit == 20
    assert Page.of(limit="500").limit == 40
    assert Page.of(limit="0").limit == 1
    assert Page.of(max_id="117", since_id="", min_id=None) == Page(max_id=117)


@pytest.mark.parametrize("name", ["max_id", "since_id", "min_id", "limit"])
def test_non_numeric_parameters_are_refused_by_name(name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Page.of(**{name: "abc"})
    assert refused.value.field == name


def test_ids_beyond_64_bits_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        Page.of(max_id=str(2**64))
