"""A worker's machine and the GPUs it owns (`c64ft worker --gpus`): worker.node, worker.devices.

Both NOT NULL with an empty-string server default, so the rows of the workers registered before
the upgrade get "" (no devices: what they owned, as far as routing knows). A plain ADD COLUMN:
no table rebuild on SQLite.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("worker", sa.Column("node", sa.String(), nullable=False, server_default=""))
    op.add_column("worker", sa.Column("devices", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    # DROP COLUMN: SQLite has it since 3.35; batch mode rebuilds the table where it has not.
    with op.batch_alter_table("worker") as batch:
        batch.drop_column("devices")
        batch.drop_column("node")
