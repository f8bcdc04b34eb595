"""samples.status_changed_by / status_changed_at: who last changed a sample's status (made /
failed) and when. Until now only the suggestion a sample realises recorded it, so a researcher's
own sample could not say who marked it failed. Old rows get null (not known); the downgrade
drops the two columns.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 01:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_changed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("status_changed_by")
