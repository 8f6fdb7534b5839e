"""Business rules, shared by the client API and federation."""
