"""Every till's sales as the chain sees them (sale.completed).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales",
        sa.Column("sale_id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("receipt_no", sa.String(32), nullable=False),
        sa.Column("cashier", sa.String(32), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("discount_total", sa.BigInteger(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("member_no", sa.String(32), nullable=True),
        sa.Column("tenders", sa.String(), nullable=False),
    )
    op.create_index("ix_sales_store_id", "sales", ["store_id"])
    op.create_index("ix_sales_ts", "sales", ["ts"])


def downgrade() -> None:
    op.drop_index("ix_sales_ts", table_name="sales")
    op.drop_index("ix_sales_store_id", table_name="sales")
    op.drop_table("sales")
