"""Security-suite fixtures: reused from the unit suites so the attacks run on the same builders."""

from tests.issuer.conftest import live_url, service  # noqa: F401  (the real issuer service: SQLite, and PostgreSQL if set)
from tests.specs.mdoc.conftest import annex_d  # noqa: F401  (the ISO 18013-5 Annex D response)
