"""shared rate limits, refusal counters, audit checkpoint, expiry indexes for the sweep

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 23:00:00

``rate_limits``: fixed-window request counters every worker shares (``issuer.limits``). ``refusal_counts``:
refused anonymous requests per minute and kind, instead of one hash-chained audit row each.
``audit_checkpoints``: how far the audit chain has been verified, so the audit page walks only new entries.
Indexes on ``nonces.expires_at`` and ``offers.expires_at``: the sweep (``issuer.sweep``) deletes by them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start"),
    )
    op.create_table(
        "refusal_counts",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("minute", "kind"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_nonces_expires_at", "nonces", ["expires_at"], unique=False)
    op.create_index("ix_offers_expires_at", "offers", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_offers_expires_at", table_name="offers")
    op.drop_index("ix_nonces_expires_at", table_name="nonces")
    op.drop_table("audit_checkpoints")
    op.drop_table("refusal_counts")
    op.drop_table("rate_limits")
