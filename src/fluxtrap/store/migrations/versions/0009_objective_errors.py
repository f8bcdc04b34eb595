"""samples.objective_errors: each objective value's 1-sigma uncertainty, in its unit, where a
measurement gave one; samples.objective_set_by: who set each value, by a measurement, by hand or
with the sample (old rows: neither known)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 14:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("objective_errors", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(
            sa.Column("objective_set_by", sa.JSON(), nullable=False, server_default="{}")
        )


def downgrade() -> None:
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_column("objective_set_by")
        batch_op.drop_column("objective_errors")
