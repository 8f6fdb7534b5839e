"""settings wakeups: NOTIFY jamii_settings when the admins' overrides change (PostgreSQL only)

Every web process of an instance listens (fedi/state.py, ``AppState.following_settings``)
and applies the overrides an admin saved through another process at once, instead of at its
next restart. A statement-level trigger sends it only when the change commits.

Revision ID: 0014_settings_wakeups
Revises: 0013_job_wakeups
Create Date: 2026-11-26 10:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_settings_wakeups"
down_revision: str | None = "0013_job_wakeups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel's name as it was when this ran; fedi.state.SETTINGS_CHANNEL must stay equal.
CHANNEL = "jamii_settings"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION jamii_settings_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER instance_overrides_notify "
        "AFTER INSERT OR UPDATE OR DELETE ON instance_overrides "
        "FOR EACH STATEMENT EXECUTE FUNCTION jamii_settings_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS instance_overrides_notify ON instance_overrides")
    op.execute("DROP FUNCTION IF EXISTS jamii_settings_notify()")
