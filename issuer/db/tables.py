"""The Core tables behind the ORM classes, for the hot paths that need single statements, not object loads.

The issuance flow (token, nonce, credential, notification) reads and writes these with one statement per
question and no identity map or unit of work; everything else keeps the ORM classes.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from issuer.db.models import (
    AccessToken,
    AuditEntry,
    AuditHead,
    Credential,
    GrantItem,
    InPersonCheck,
    IssuanceBatch,
    Licence,
    Nonce,
    Offer,
    Person,
)

ACCESS_TOKENS = cast(Table, AccessToken.__table__)
AUDIT_LOG = cast(Table, AuditEntry.__table__)
AUDIT_HEAD = cast(Table, AuditHead.__table__)
CREDENTIALS = cast(Table, Credential.__table__)
GRANT_ITEMS = cast(Table, GrantItem.__table__)
CHECKS = cast(Table, InPersonCheck.__table__)
BATCHES = cast(Table, IssuanceBatch.__table__)
LICENCES = cast(Table, Licence.__table__)
NONCES = cast(Table, Nonce.__table__)
OFFERS = cast(Table, Offer.__table__)
PERSONS = cast(Table, Person.__table__)
