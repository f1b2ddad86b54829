"""What the chain publishes to its tills: catalog items and campaigns, and its public
keys.

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
        "published",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("published_at", sa.String(), nullable=False),
    )
    op.create_table(
        "chain_keys",
        sa.Column("kid", sa.String(40), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("published_at", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.String(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("chain_keys")
    op.drop_table("published")
