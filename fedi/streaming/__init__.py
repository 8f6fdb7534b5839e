"""Live streams for Mastodon clients (``/api/v1/streaming``): a hub of subscribers fed by
the signals domain services note on their sessions, delivered only after COMMIT."""
