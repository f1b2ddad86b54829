"""Coupons leased to one till each (offline policy `lease`).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupon_leases",
        sa.Column("coupon_id", sa.String(64), primary_key=True),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.String(), nullable=False),
    )
    op.create_index("ix_coupon_leases_device_id", "coupon_leases", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_coupon_leases_device_id", table_name="coupon_leases")
    op.drop_table("coupon_leases")
