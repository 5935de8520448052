"""audit chain head

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04 23:10:00

``audit_head``: one row (id 1) with the hash of the newest audit entry, locked by each writer, so that
extending the chain is a single statement on PostgreSQL (lock the head, chain and insert the transaction's
entries, move the head) instead of a lock, a read of the log's last row and an insert. Filled from the
existing log (or the genesis hash for an empty one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO audit_head (id, hash) SELECT 1, COALESCE((SELECT hash FROM audit_log "
               "ORDER BY id DESC LIMIT 1), '" + "0" * 64 + "')")


def downgrade() -> None:
    op.drop_table("audit_head")
