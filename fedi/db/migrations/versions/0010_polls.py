"""polls: polls on statuses, their votes, and poll options in edit history

Revision ID: 0010_polls
Revises: 0009_renditions
Create Date: 2026-11-26 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_polls"
down_revision: str | None = "0009_renditions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("tallies", sa.JSON(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("hide_totals", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("votes_count", sa.BigInteger(), nullable=False),
        sa.Column("voters_count", sa.BigInteger(), nullable=True),
        sa.Column("update_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_polls_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["statuses.id"], name=op.f("fk_polls_id_statuses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    op.create_table(
        "poll_votes",
        sa.Column("poll_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("choice", sa.BigInteger(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_poll_votes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_votes_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
        sa.UniqueConstraint(
            "poll_id", "account_id", "choice", name=op.f("uq_poll_votes_poll_id_account_id_choice")
        ),
    )
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.create_index("ix_poll_votes_account_id", ["account_id"], unique=False)
    with op.batch_alter_table("statuses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("has_poll", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("status_edits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("poll_options", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_edits", schema=None) as batch_op:
        batch_op.drop_column("poll_options")
    with op.batch_alter_table("statuses", schema=None) as batch_op:
        batch_op.drop_column("has_poll")
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_votes_account_id")
    op.drop_table("poll_votes")
    op.drop_table("polls")
