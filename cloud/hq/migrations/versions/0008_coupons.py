"""Every coupon a till issued (coupon.issued), as the chain sees it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupons",
        sa.Column("coupon_id", sa.String(64), primary_key=True),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("member_no", sa.String(32), nullable=True),
        sa.Column("giver", sa.String(32), nullable=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("sale_id", sa.String(36), nullable=True),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("issued_ts", sa.String(), nullable=False),
    )
    op.create_index("ix_coupons_campaign_id", "coupons", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_coupons_campaign_id", table_name="coupons")
    op.drop_table("coupons")
