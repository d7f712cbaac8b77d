"""What each task used: CPU seconds, peak memory, bytes read and written.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("cpu_seconds", sa.Float(), nullable=True))
        batch.add_column(sa.Column("max_rss_mb", sa.Float(), nullable=True))
        batch.add_column(sa.Column("read_bytes", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("written_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        for column in ("written_bytes", "read_bytes", "max_rss_mb", "cpu_seconds"):
            batch.drop_column(column)
