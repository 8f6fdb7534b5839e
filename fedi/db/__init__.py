"""Storage: SQLAlchemy models, repositories, migrations and the engine."""
