"""HTTP endpoints: the Mastodon client API, ActivityPub and well-known documents."""
