"""communities: FEP-1b12 Groups' settings, moderator and ban roles, posts filed under a community

Revision ID: 0007_communities
Revises: 0006_search
Create Date: 2026-11-26 03:00:51.865616
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_communities"
down_revision: str | None = "0006_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("grade_levels", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("posting_policy", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("moderators_url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_communities_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_communities_created_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_communities")),
    )
    op.create_table(
        "community_posts",
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["accounts.id"],
            name=op.f("fk_community_posts_community_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_community_posts_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("status_id", name=op.f("pk_community_posts")),
    )
    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_posts_community_id_status_id", ["community_id", "status_id"], unique=False
        )

    op.create_table(
        "community_roles",
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_community_roles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.account_id"],
            name=op.f("fk_community_roles_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_roles")),
        sa.UniqueConstraint(
            "community_id", "account_id", name=op.f("uq_community_roles_community_id_account_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("community_roles")
    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_community_posts_community_id_status_id")

    op.drop_table("community_posts")
    op.drop_table("communities")
