"""Shifts and manager overrides: the projections of shift.opened and override.granted.

Both tables start empty: no earlier event writes them, so a ledger migrated from 0001
still verifies (replaying its journal leaves them empty too).

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
    op.create_table(
        "shifts",
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("staff_no", sa.String(), nullable=False),
        sa.Column("opened_seq", sa.Integer(), nullable=False),
        sa.Column("opened_ts", sa.String(), nullable=False),
        sa.Column("opening_float", sa.Integer(), nullable=False),
        sa.Column("closed_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("shift_id"),
        sa.UniqueConstraint("opened_seq"),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shifts_staff_no"), ["staff_no"], unique=False)

    op.create_table(
        "overrides",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("manager", sa.String(), nullable=False),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def downgrade() -> None:
    raise NotImplementedError("a ledger is never downgraded; restore a backup instead")
