"""social: mutes, pins, lists, markers

Revision ID: 0005_social
Revises: 0004
Create Date: 2026-11-26 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_social"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lists",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("replies_policy", sa.String(length=16), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_lists_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
    )
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.create_index("ix_lists_account_id", ["account_id"], unique=False)

    op.create_table(
        "markers",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("timeline", sa.String(length=32), nullable=False),
        sa.Column("last_read_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_markers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "timeline", name=op.f("pk_markers")),
    )
    op.create_table(
        "mutes",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_account_id", sa.BigInteger(), nullable=False),
        sa.Column("hide_notifications", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_mutes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_mutes_target_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mutes")),
        sa.UniqueConstraint(
            "account_id", "target_account_id", name=op.f("uq_mutes_account_id_target_account_id")
        ),
    )
    op.create_table(
        "list_accounts",
        sa.Column("list_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("follow_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_list_accounts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follow_id"],
            ["follows.id"],
            name=op.f("fk_list_accounts_follow_id_follows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["lists.id"],
            name=op.f("fk_list_accounts_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_accounts")),
        sa.UniqueConstraint(
            "list_id", "account_id", name=op.f("uq_list_accounts_list_id_account_id")
        ),
    )
    with op.batch_alter_table("list_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_list_accounts_account_id_list_id", ["account_id", "list_id"], unique=False
        )
        batch_op.create_index("ix_list_accounts_follow_id", ["follow_id"], unique=False)

    op.create_table(
        "status_pins",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_status_pins_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_status_pins_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_pins")),
        sa.UniqueConstraint(
            "account_id", "status_id", name=op.f("uq_status_pins_account_id_status_id")
        ),
    )
    with op.batch_alter_table("status_pins", schema=None) as batch_op:
        batch_op.create_index("ix_status_pins_status_id", ["status_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_pins", schema=None) as batch_op:
        batch_op.drop_index("ix_status_pins_status_id")

    op.drop_table("status_pins")
    with op.batch_alter_table("list_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_list_accounts_follow_id")
        batch_op.drop_index("ix_list_accounts_account_id_list_id")

    op.drop_table("list_accounts")
    op.drop_table("mutes")
    op.drop_table("markers")
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.drop_index("ix_lists_account_id")

    op.drop_table("lists")
