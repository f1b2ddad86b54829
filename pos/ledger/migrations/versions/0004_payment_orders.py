"""Wallet payment orders: the projection of payment.started and payment.resolved.

Starts empty: no earlier event writes it, so older ledgers still verify.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_orders",
        sa.Column("out_trade_no", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.String(), nullable=False),
        sa.Column("cashier", sa.String(), nullable=False),
        sa.Column("started_seq", sa.Integer(), nullable=False),
        sa.Column("started_ts", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("transaction_id", sa.String(), nullable=False),
        sa.Column("openid", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("resolved_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("out_trade_no"),
        sa.UniqueConstraint("started_seq"),
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_orders_outcome"), ["outcome"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("a ledger is never downgraded; restore a backup instead")
