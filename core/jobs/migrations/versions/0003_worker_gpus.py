"""The GPUs a worker found at its start (name, total memory): worker.gpus, for the dry run's
memory and time checks.

A nullable JSON column: the rows of the workers registered before the upgrade read None
("unknown"), which is what the dry run assumes of them. A plain ADD COLUMN.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("worker", sa.Column("gpus", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worker") as batch:
        batch.drop_column("gpus")
