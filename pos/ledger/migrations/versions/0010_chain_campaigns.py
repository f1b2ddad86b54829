"""Coupon campaigns the chain publishes through the cloud's feed (campaign.published).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_campaigns",
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("settings", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )


def downgrade() -> None:
    op.drop_table("chain_campaigns")
