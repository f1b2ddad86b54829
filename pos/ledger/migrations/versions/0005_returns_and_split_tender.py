"""Returns with their refunds, and the payments a split-tender sale has taken so far.

The returns tables start empty (no earlier event writes them), so older ledgers
still verify; a draft saved before this had no payments taken.

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
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenders", sa.Text(), server_default="[]", nullable=False))
    op.create_table(
        "returns",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("receipt_no", sa.String(), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("manager", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("started_seq", sa.Integer(), nullable=False),
        sa.Column("started_ts", sa.String(), nullable=False),
        sa.Column("completed_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.sale_id"]),
        sa.PrimaryKeyConstraint("return_id"),
        sa.UniqueConstraint("receipt_no"),
        sa.UniqueConstraint("started_seq"),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_returns_sale_id"), ["sale_id"], unique=False)
    op.create_table(
        "return_lines",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("tax", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["returns.return_id"]),
        sa.PrimaryKeyConstraint("return_id", "line_no"),
    )
    op.create_table(
        "refunds",
        sa.Column("refund_no", sa.String(length=32), nullable=False),
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("payment_id", sa.String(), nullable=False),
        sa.Column("tender", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("refund_id", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["returns.return_id"]),
        sa.PrimaryKeyConstraint("refund_no"),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_return_id"), ["return_id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("a ledger is never downgraded; restore a backup instead")
