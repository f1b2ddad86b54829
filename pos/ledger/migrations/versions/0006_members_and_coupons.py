"""Members, their points, coupons issued and redeemed, offline leases and trusted keys.

The new tables start empty (no earlier event writes them) and a sale made before this
has no member, so older ledgers still verify.

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
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("coupon_id", sa.String(), nullable=False),
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("sale_id", sa.String(), nullable=False),
        sa.Column("member_no", sa.String(), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("leased", sa.Boolean(), nullable=False),
        sa.Column("restored_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_coupon_id"), ["coupon_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_sale_id"), ["sale_id"], unique=False
        )
        batch_op.create_index(
            "ux_coupon_redemptions_live",
            ["coupon_id"],
            unique=True,
            sqlite_where=sa.text("restored_seq IS NULL"),
        )

    op.create_table(
        "coupons",
        sa.Column("coupon_id", sa.String(), nullable=False),
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("member_no", sa.String(), nullable=True),
        sa.Column("giver", sa.String(), nullable=True),
        sa.Column("store_id", sa.String(), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("sale_id", sa.String(), nullable=True),
        sa.Column("issued_seq", sa.Integer(), nullable=False),
        sa.Column("voided_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("coupon_id"),
        sa.UniqueConstraint("issued_seq"),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupons_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coupons_member_no"), ["member_no"], unique=False)

    op.create_table(
        "members",
        sa.Column("member_no", sa.String(), nullable=False),
        sa.Column("openid", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("store_id", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=False),
        sa.Column("referred_by", sa.String(), nullable=True),
        sa.Column("enrolled_seq", sa.Integer(), nullable=False),
        sa.Column("enrolled_ts", sa.String(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("lifetime_points", sa.Integer(), nullable=False),
        sa.Column("deleted_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("member_no"),
        sa.UniqueConstraint("enrolled_seq"),
        sa.UniqueConstraint("openid"),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_phone"), ["phone"], unique=False)

    op.create_table(
        "points_changes",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member_no", sa.String(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("sale_id", sa.String(), nullable=True),
        sa.Column("return_id", sa.String(), nullable=True),
        sa.Column("staff_no", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("points_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_changes_member_no"), ["member_no"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_points_changes_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "trusted_keys",
        sa.Column("kid", sa.String(), nullable=False),
        sa.Column("public_key", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_no", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("coupons", sa.Text(), server_default="[]", nullable=False))
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_no", sa.String(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sales_member_no"), ["member_no"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("a ledger is never downgraded; restore a backup instead")
