"""job wakeups: NOTIFY jamii_jobs from every statement that inserts jobs (PostgreSQL only)

Workers in other processes listen on the channel (fedi/jobs/wakeups.py) and claim at once
instead of at their next poll. A statement-level trigger sends it from inside the inserting
transaction, so PostgreSQL delivers it only if that commits, once per transaction, and no
caller pays a round trip for it: sent by the application, the inbox's group commits spent
a tenth of their CPU on the extra statement (benchmarks/inbox.py).

Revision ID: 0013_job_wakeups
Revises: 0012_admin
Create Date: 2026-11-26 10:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_job_wakeups"
down_revision: str | None = "0012_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel's name as it was when this ran; fedi.jobs.wakeups.CHANNEL must stay equal.
CHANNEL = "jamii_jobs"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION jamii_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER jobs_notify AFTER INSERT ON jobs "
        "FOR EACH STATEMENT EXECUTE FUNCTION jamii_jobs_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS jobs_notify ON jobs")
    op.execute("DROP FUNCTION IF EXISTS jamii_jobs_notify()")
