"""Client API tests over real HTTP (a package, so module names may repeat tests/domain's)."""
