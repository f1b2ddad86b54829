"""Leases of specific coupons, not quantities: coupon_leases (remaining redemptions a
campaign) becomes leased_coupons (one row a coupon leased to this till).

A quantity lease let two tills each take the same coupon offline; a lease of the coupon
itself, granted by the cloud to one till only, cannot. Quantities granted before this
revision no longer allow anything (the cloud grants coupons from now on); their events
stay in the journal.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("coupon_leases")
    op.create_table(
        "leased_coupons",
        sa.Column("coupon_id", sa.String(), nullable=False),
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("granted_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("coupon_id"),
    )
    op.create_index("ix_leased_coupons_campaign_id", "leased_coupons", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_leased_coupons_campaign_id", table_name="leased_coupons")
    op.drop_table("leased_coupons")
    op.create_table(
        "coupon_leases",
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
