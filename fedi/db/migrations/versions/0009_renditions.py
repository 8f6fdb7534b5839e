"""renditions: translations of statuses, the languages each teacher reads, API keys

Revision ID: 0009_renditions
Revises: 0008_web
Create Date: 2026-11-26 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_renditions"
down_revision: str | None = "0008_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("edit_version", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source_language", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=300), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("spoiler_text", sa.Text(), nullable=False),
        sa.Column("media_descriptions", sa.JSON(), nullable=False),
        sa.Column("poll_options", sa.JSON(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_renditions_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint(
            "status_id",
            "edit_version",
            "language",
            "engine",
            "model_version",
            name="uq_renditions_version_language_engine",
        ),
    )
    op.create_table(
        "translation_api_keys",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_api_keys")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_translation_api_keys_key_sha256")),
        sa.UniqueConstraint("name", name=op.f("uq_translation_api_keys_name")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        # Existing teachers read nothing extra until they choose.
        batch_op.add_column(
            sa.Column("reading_languages", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("reading_languages")
    op.drop_table("translation_api_keys")
    op.drop_table("renditions")
