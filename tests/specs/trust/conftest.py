"""Trust fixtures: a VICAL signer (the signer of the VICAL, the trust bundle, its index and the change logs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from specs.crypto import SoftwareSigner
from specs.x509 import create_vical_signer
from tests.conftest import Pki


@pytest.fixture(scope="module")
def vical_key(pki: Pki) -> tuple[SoftwareSigner, Any]:
    signer = SoftwareSigner.generate()
    return signer, create_vical_signer(pki.iaca_signer, pki.iaca, signer.public_key(), common_name="VICAL",
                                       not_before=pki.not_before, not_after=pki.not_before + dt.timedelta(days=700))
