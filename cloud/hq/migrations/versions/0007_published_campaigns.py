"""Coupon campaigns the chain publishes to its tills.

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
        "published_campaigns",
        sa.Column("campaign_id", sa.String(32), primary_key=True),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("published_at", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("published_campaigns")
