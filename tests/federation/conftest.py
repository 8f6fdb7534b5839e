"""Fixtures for the federation tests: the signature tests' signers and key directory, from
tests/federation/signers.py."""

from __future__ import annotations

from tests.federation.signers import directory, fatou, joao

__all__ = ["directory", "fatou", "joao"]
