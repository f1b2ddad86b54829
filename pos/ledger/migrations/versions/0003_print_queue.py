"""The print queue: receipts waiting for the printer survive a restart.

Not a projection: printing is device state, not a business event (a copy is, and is
journaled as receipt.reprinted).

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
    op.create_table(
        "print_jobs",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sa.String(), nullable=False),
        sa.Column("is_copy", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("queued_ts", sa.String(), nullable=False),
        sa.Column("printed_ts", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("job_id"),
    )
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_jobs_receipt_no"), ["receipt_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_jobs_state"), ["state"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("a ledger is never downgraded; restore a backup instead")
