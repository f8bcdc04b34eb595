"""jobs.error: the error of a job whose server fell silent, stored until 2026-12-07 as "its server
(HOST:PID:ID) stopped renewing its heartbeat: it died; submit it again" (every reader saw the
server's host and process id), rewritten to today's wording without the runner (web.jobs.SILENT;
the runner column keeps it). Not undone by the downgrade: the old runner texts are not kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:45:00.000000
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD = re.compile(r"its server \(.*\) stopped renewing its heartbeat: it died; submit it again")
NEW = "its server stopped renewing its heartbeat: it died; submit it again"
jobs = sa.table("jobs", sa.column("id", sa.Integer), sa.column("error", sa.Text))


def upgrade() -> None:
    conn = op.get_bind()
    found = conn.execute(
        sa.select(jobs.c.id, jobs.c.error).where(jobs.c.error.like("its server (%"))
    )
    ids = [job_id for job_id, error in found if OLD.fullmatch(error)]
    for at in range(0, len(ids), 1000):  # at most 1000 ids in one IN list
        conn.execute(jobs.update().where(jobs.c.id.in_(ids[at : at + 1000])).values(error=NEW))


def downgrade() -> None:
    pass  # the new wording is a valid error at 0011 too; the runners it named are gone
