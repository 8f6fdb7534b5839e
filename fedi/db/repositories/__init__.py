"""Read queries that several domain services share, returning plain typed views."""
