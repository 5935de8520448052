"""``mobileid verifier reader-cert --dns-name`` and the reader identity the online verifier signs with."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509

from mobileid.cli import cli
from specs.errors import InputError
from verifier.oid4vp import ReaderIdentity


def test_reader_cert_with_a_dns_name(tmp_path: Path) -> None:
    out = tmp_path / "reader"
    result = CliRunner().invoke(cli, ["verifier", "reader-cert", "--out", str(out), "--name", "Hana Bank",
                                      "--dns-name", "bank.example"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cert = x509.load_pem_x509_certificate((out / "reader.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["bank.example"]
    identity = ReaderIdentity.load(out / "reader.pem", out / "reader_key.pem", dns_name="bank.example")
    assert identity.client_id == "x509_san_dns:bank.example" and identity.name == "Hana Bank"
    assert ReaderIdentity.load(out / "reader.pem", out / "reader_key.pem").client_id.startswith("x509_hash:")
    with pytest.raises(InputError):
        ReaderIdentity.load(out / "reader.pem", out / "reader_key.pem", dns_name="other.example")
    with pytest.raises(InputError):  # a key that is not the certificate's
        other = tmp_path / "other"
        CliRunner().invoke(cli, ["verifier", "reader-cert", "--out", str(other), "--name", "x"])
        ReaderIdentity.load(out / "reader.pem", other / "reader_key.pem")


def test_serve_help_names_its_settings() -> None:
    result = CliRunner().invoke(cli, ["verifier", "serve", "--help"])
    assert result.exit_code == 0 and "--trust" in result.output and "--dns-name" in result.output
