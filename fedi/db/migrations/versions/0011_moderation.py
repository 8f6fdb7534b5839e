"""moderation: removed, locked and pinned community posts; the community moderation log

Revision ID: 0011_moderation
Revises: 0010_polls
Create Date: 2026-11-26 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_moderation"
down_revision: str | None = "0010_polls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_by_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("removal_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_community_posts_removed_by_id_accounts"),
            "accounts",
            ["removed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "community_modlog",
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("moderator_id", sa.BigInteger(), nullable=True),
        sa.Column("target_account_id", sa.BigInteger(), nullable=True),
        sa.Column("target_status_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["accounts.id"],
            name=op.f("fk_community_modlog_community_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["accounts.id"],
            name=op.f("fk_community_modlog_moderator_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_community_modlog_target_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_modlog")),
    )
    with op.batch_alter_table("community_modlog", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_modlog_community_id_id", ["community_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("community_modlog", schema=None) as batch_op:
        batch_op.drop_index("ix_community_modlog_community_id_id")
    op.drop_table("community_modlog")
    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_community_posts_removed_by_id_accounts"), type_="foreignkey"
        )
        batch_op.drop_column("pinned_at")
        batch_op.drop_column("locked_at")
        batch_op.drop_column("removal_reason")
        batch_op.drop_column("removed_by_id")
        batch_op.drop_column("removed_at")
