"""failed samples: samples.status (made / failed) and a note on sample and suggestion statuses

Revision ID: 0005
Revises: 0004_calibrations
Create Date: 2026-12-01 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_calibrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="made")
        )
        batch_op.add_column(sa.Column("status_note", sa.String(length=500), nullable=True))

    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_note", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("status_note")

    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_column("status_note")
        batch_op.drop_column("status")
