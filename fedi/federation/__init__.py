"""ActivityPub federation: wire models, signatures, fetching, inbox and delivery."""
