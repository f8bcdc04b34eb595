"""calibrations: a case fitted to measured probe series, linked to its series and simulation

Revision ID: 0004_calibrations
Revises: 0003
Create Date: 2026-12-01 17:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_calibrations"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fit", sa.String(length=500), nullable=False),
        sa.Column("case_toml", sa.Text(), nullable=False),
        sa.Column("case_hash", sa.String(length=64), nullable=False),
        sa.Column("fitted_case_toml", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("fits", sa.Boolean(), nullable=False),
        sa.Column("simulation_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["simulation_id"], ["simulations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calibrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calibrations_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calibrations_case_hash"), ["case_hash"], unique=False)
    op.create_table(
        "calibration_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calibration_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("probe", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("measurement_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["calibration_id"], ["calibrations.id"]),
        sa.ForeignKeyConstraint(["measurement_id"], ["measurements.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calibration_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calibration_series_calibration_id"), ["calibration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calibration_series_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calibration_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_series_sha256"))
        batch_op.drop_index(batch_op.f("ix_calibration_series_calibration_id"))
    op.drop_table("calibration_series")
    with op.batch_alter_table("calibrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibrations_case_hash"))
        batch_op.drop_index(batch_op.f("ix_calibrations_campaign_id"))
    op.drop_table("calibrations")
