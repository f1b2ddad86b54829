"""End of day: Z reports (day_closes), cash moved in and out of the drawer outside sales
(cash_movements), drawer counts (cash_counts) and the count a shift closed on.

The new tables start empty and the new column is null for every shift so far, as no
earlier event writes them; older ledgers still verify.

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
        "cash_movements",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shift_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("staff_no", sa.String(), nullable=False),
        sa.Column("manager", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_movements_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "cash_counts",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shift_id", sa.String(), nullable=False),
        sa.Column("staff_no", sa.String(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("difference", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("cash_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_counts_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "day_closes",
        sa.Column("z_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("business_day", sa.String(), nullable=False),
        sa.Column("first_day", sa.String(), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("head_hash", sa.String(), nullable=False),
        sa.Column("sales_total", sa.Integer(), nullable=False),
        sa.Column("net_sales", sa.Integer(), nullable=False),
        sa.Column("grand_total", sa.Integer(), nullable=False),
        sa.Column("perpetual_total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("z_no"),
        sa.UniqueConstraint("business_day"),
        sa.UniqueConstraint("last_seq"),
        sa.UniqueConstraint("seq"),
    )

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_column("count_seq")
    op.drop_table("day_closes")
    with op.batch_alter_table("cash_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_counts_shift_id"))
    op.drop_table("cash_counts")
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_movements_shift_id"))
    op.drop_table("cash_movements")
