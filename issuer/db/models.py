"""The issuer's tables (SQLAlchemy 2, typed). Migrations in ``issuer/migrations`` create them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Office(Base):
    __tablename__ = "offices"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # clerk | supervisor | admin
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Person(Base):
    """Resident register (synthetic)."""

    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_number: Mapped[str] = mapped_column(String(14), unique=True)
    family_name: Mapped[str] = mapped_column(String(40))
    given_name: Mapped[str] = mapped_column(String(40))
    family_name_latin: Mapped[str] = mapped_column(String(60))
    given_name_latin: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(200))
    nationality: Mapped[str] = mapped_column(String(2))
    portrait: Mapped[bytes] = mapped_column(LargeBinary)


class Licence(Base):
    """Licence register (synthetic)."""

    __tablename__ = "licences"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    classes: Mapped[list[str]] = mapped_column(JSON)
    conditions: Mapped[list[str]] = mapped_column(JSON)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    expiry_date: Mapped[dt.date] = mapped_column(Date)
    aptitude_test_due: Mapped[dt.date] = mapped_column(Date)


class Business(Base):
    """Business register (synthetic)."""

    __tablename__ = "businesses"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    representative_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))


class InPersonCheck(Base):
    __tablename__ = "in_person_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    document_kind: Mapped[str] = mapped_column(String(32))
    document_number: Mapped[str] = mapped_column(String(40))
    photo_match: Mapped[bool]
    notes: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Offer(Base):
    """An OpenID4VCI credential offer with a pre-authorized code (single use) and a tx_code."""

    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("in_person_checks.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str] = mapped_column(String(200))
    configurations: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)  # 0006: swept by it
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | redeemed | burned
    # 0004: when it was made and redeemed; the offer by reference (OpenID4VCI 1.0 §4.1.3): the SHA-256 of the
    # random reference in the URI, and the pre-authorized code sealed under a key derived from that reference
    # (the database alone never yields a usable code); whether a wallet asked for it remotely
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reference_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    reference_box: Mapped[str | None] = mapped_column(Text)
    remote: Mapped[bool] = mapped_column(default=False)


class GrantItem(Base):
    """One configuration of an offer's grant: how many copies the approval covers, how many were issued,
    and how many lost answers were re-issued (a retry with the same device key supersedes its copy)."""

    __tablename__ = "grant_items"
    __table_args__ = (UniqueConstraint("offer_id", "configuration"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    configuration: Mapped[str] = mapped_column(String(64))
    copies: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    reissued: Mapped[int] = mapped_column(Integer, default=0)


class IssuanceBatch(Base):
    """One credential response: its notification_id and the wallet's notification (OpenID4VCI 1.0 §11)."""

    __tablename__ = "issuance_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"), index=True)
    access_token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id"), index=True)
    configuration: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    notification_id: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str | None] = mapped_column(String(32))  # credential_accepted | _failure | _deleted
    event_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AccessToken(Base):
    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    configurations: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # the offer this token redeemed (its in-person check names the office that issues); NULL before 0002
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"), index=True)


class Nonce(Base):
    __tablename__ = "nonces"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)  # 0006: swept by it
    used: Mapped[bool] = mapped_column(default=False)


class ConsoleSessionRow(Base):
    """A console sign-in (0005): the cookie carries a random id, this row only its SHA-256, so a session is
    ended by deleting its row (logout, password reset, role change, deactivation end every one of a person)."""

    __tablename__ = "console_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class StatusListRow(Base):
    __tablename__ = "status_lists"
    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(200), unique=True)
    bits: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    type_id: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="valid")  # valid | suspended | revoked
    holder_key_thumbprint: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # the office of the in-person check behind the issuance; NULL for credentials issued before 0002
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    # the grant item it was issued under; NULL for credentials issued before 0004
    grant_item_id: Mapped[int | None] = mapped_column(ForeignKey("grant_items.id"), index=True)


class AuditEntry(Base):
    """Hash-chained audit log; rows reference people and credentials by id only (no personal data)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The audit chain's head: one row (id 1) holding the newest entry's hash. Writers lock it (FOR UPDATE),
    so the chain is extended one transaction at a time without reading the log (``issuer.audit``)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))


class SigningKey(Base):
    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # iaca | ds | vical
    certificate_pem: Mapped[str] = mapped_column(Text)
    private_key_pem: Mapped[str] = mapped_column(Text)  # encrypted PKCS#8 (keys encrypted at rest); "" on an HSM
    hsm_label: Mapped[str | None] = mapped_column(String(128))  # 0004: the key's label on the PKCS#11 token
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(default=True)


class RateCounter(Base):
    """0006: a fixed-window request counter (``issuer.limits``); ``bucket`` is ``kind|client-hash`` or ``kind|*``."""

    __tablename__ = "rate_limits"
    bucket: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Unix seconds
    hits: Mapped[int] = mapped_column(Integer)


class RefusalCount(Base):
    """0006: refused anonymous requests per minute and kind (``action:error``), instead of an audit row each."""

    __tablename__ = "refusal_counts"
    minute: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AuditCheckpoint(Base):
    """0006: how far the audit chain was verified (one row), so a page view walks only what was added since."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
