"""Members as the chain knows them (from each till's member.enrolled).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("member_no", sa.String(32), primary_key=True),
        sa.Column("openid", sa.String(128), nullable=True, unique=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("referred_by", sa.String(32), nullable=True),
        sa.Column("enrolled_ts", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("members")
