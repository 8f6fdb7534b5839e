"""Jamii: a federated ActivityPub server for teachers' learning communities."""

__version__ = "0.1.0"
