"""search: trigram indexes for searching posts by their words (PostgreSQL only)

Revision ID: 0006_search
Revises: 0005_social
Create Date: 2026-11-26 03:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_search"
down_revision: str | None = "0005_social"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("text", "spoiler_text")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_statuses_{column}_trgm",
            "statuses",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_statuses_{column}_trgm", table_name="statuses")
