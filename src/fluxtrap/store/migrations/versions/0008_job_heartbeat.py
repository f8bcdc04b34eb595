"""jobs.heartbeat_at: the running server's last sign of life, so that any server can mark the
jobs of a server that died on another host interrupted (old rows: null, read as started_at)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
