"""simulations.heat_csv: a heat run's heat.csv (its hottest and mean temperature, heat and
dissipation over time), kept whole beside probes.csv; NULL without a heat model and for the rows
stored before it (their heat history was not kept)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("simulations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heat_csv", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("simulations", schema=None) as batch_op:
        batch_op.drop_column("heat_csv")
