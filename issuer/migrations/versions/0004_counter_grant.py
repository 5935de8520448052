"""counter grant, issuance batches, offers by reference, HSM key labels

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-04 19:20:00

``grant_items``: what an approved offer may issue (configuration, copies, issued, re-issued after a lost
answer). ``issuance_batches``: one row per credential response with its notification_id and the wallet's
notification. ``offers``: created_at, redeemed_at, the offer by reference (hash of the reference, sealed
pre-authorized code), remote. ``credentials.grant_item_id``: the grant item a credential counts against.
``signing_keys.hsm_label``: a document-signer key that lives on a PKCS#11 token. Existing rows keep NULLs:
offers made before this revision have no grant, so their tokens issue nothing more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grant_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("configuration", sa.String(length=64), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("reissued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name="fk_grant_items_offer_id_offers"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_id", "configuration", name="uq_grant_items_offer_configuration"),
    )
    op.create_index("ix_grant_items_offer_id", "grant_items", ["offer_id"], unique=False)
    op.create_table(
        "issuance_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("access_token_id", sa.Integer(), nullable=False),
        sa.Column("configuration", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name="fk_issuance_batches_offer_id_offers"),
        sa.ForeignKeyConstraint(["access_token_id"], ["access_tokens.id"],
                                name="fk_issuance_batches_access_token_id_access_tokens"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", name="uq_issuance_batches_notification_id"),
    )
    op.create_index("ix_issuance_batches_offer_id", "issuance_batches", ["offer_id"], unique=False)
    op.create_index("ix_issuance_batches_access_token_id", "issuance_batches", ["access_token_id"], unique=False)
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reference_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reference_box", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("remote", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint("uq_offers_reference_hash", ["reference_hash"])
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grant_item_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_credentials_grant_item_id", ["grant_item_id"], unique=False)
        batch_op.create_foreign_key("fk_credentials_grant_item_id_grant_items", "grant_items", ["grant_item_id"],
                                    ["id"])
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hsm_label", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_column("hsm_label")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint("fk_credentials_grant_item_id_grant_items", type_="foreignkey")
        batch_op.drop_index("ix_credentials_grant_item_id")
        batch_op.drop_column("grant_item_id")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_offers_reference_hash", type_="unique")
        for column in ("remote", "reference_box", "reference_hash", "redeemed_at", "created_at"):
            batch_op.drop_column(column)
    op.drop_index("ix_issuance_batches_access_token_id", table_name="issuance_batches")
    op.drop_index("ix_issuance_batches_offer_id", table_name="issuance_batches")
    op.drop_table("issuance_batches")
    op.drop_index("ix_grant_items_offer_id", table_name="grant_items")
    op.drop_table("grant_items")
