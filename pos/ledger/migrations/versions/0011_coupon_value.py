"""Coupons carry their face value (coupon.issued `value`), for the reports' value of
coupons issued. Coupons issued before this revision are worth 0 there: their events
did not say.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coupons") as batch:
        batch.add_column(sa.Column("value", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("coupons") as batch:
        batch.drop_column("value")
