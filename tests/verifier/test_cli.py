"""``mobileid verify``: the CLI contract (exit 0 valid, 1 invalid, 2 bad usage) on public vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mobileid.cli import cli

ROOT = Path(__file__).parents[1] / "vectors"
ISO, SD, STATUS = ROOT / "iso18013-5", ROOT / "sd-jwt", ROOT / "status-list"


def run(*args: str, lang: str = "en") -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", *args], catch_exceptions=False, env={"MOBILEID_LANG": lang})
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def reader_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = json.loads((ISO / "keys.json").read_text())["ephemeral_reader_key"]["d"]
    key = ec.derive_private_key(int(d, 16), ec.SECP256R1())
    path = ISO / "e_reader_key.pem"  # the README's example uses this derived file: it must be this key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey) and loaded.private_numbers() == key.private_numbers()
    return path


MDOC = ["--format", "mdoc", "--trust", str(ISO / "iaca_root_cert.pem"), "--transcript",
        str(ISO / "session_transcript_bytes.hex")]


def test_annex_d_valid(reader_pem: Path) -> None:
    code, out = run(*MDOC, "--at", "2021-01-01T00:00:00Z", "--reader-key", str(reader_pem), "--json",
                    str(ISO / "device_response.hex"))
    doc = json.loads(out)
    assert code == 0 and doc["valid"] and doc["doctype"] == "org.iso.18013.5.1.mDL" and doc["holder_bound"]
    assert doc["claims"]["org.iso.18013.5.1"]["family_name"] == "Doe" and doc["errors"] == []


def test_annex_d_today_is_expired(reader_pem: Path) -> None:
    code, out = run(*MDOC, "--reader-key", str(reader_pem), "--json", str(ISO / "device_response.hex"))
    doc = json.loads(out)
    assert code == 1 and not doc["valid"] and doc["claims"] == {}
    assert doc["errors"][0]["code"] == "x509.expired"


def test_annex_d_without_reader_key_cannot_check_mac() -> None:
    code, out = run(*MDOC, "--at", "2021-01-01T00:00:00Z", "--json", str(ISO / "device_response.hex"))
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "mdoc.device_mac_unverifiable"


def test_human_output(reader_pem: Path) -> None:
    code, out = run(*MDOC, "--at", "2021-01-01T00:00:00Z", "--reader-key", str(reader_pem),
                    str(ISO / "device_response.hex"))
    assert code == 0 and "Genuine" in out and "진위 확인됨" in out and "document_number" in out
    assert "Family name (family_name)" in out and "Doe" in out  # catalogue labels, one claims model
    code, out = run(*MDOC, "--at", "2021-01-01T00:00:00Z", "--reader-key", str(reader_pem),
                    str(ISO / "device_response.hex"), lang="ko")
    assert code == 0 and "성 (family_name)" in out


SD_ARGS = ["--format", "sd-jwt", "--trust", str(SD / "issuer_public_jwk.json"), "--at", "1748537243"]


def test_sd_jwt_presentation_with_key_binding() -> None:
    code, out = run(*SD_ARGS, "--nonce", "1234567890", "--aud", "https://verifier.example.org", "--json",
                    str(SD / "simple_sd_jwt_kb_presentation.txt"))
    doc = json.loads(out)
    assert code == 0 and doc["valid"] and doc["holder_bound"] and doc["vct"] is None
    assert doc["claims"] == json.loads((SD / "simple_expected_processed_payload.json").read_text())


def test_sd_jwt_vc_presentation() -> None:
    code, out = run(*SD_ARGS, "--nonce", "1234567890", "--aud", "https://verifier.example.org", "--json",
                    str(SD / "sd_jwt_vc_pid_kb_presentation.txt"))
    doc = json.loads(out)
    assert code == 0 and doc["vct"] == "urn:eudi:pid:de:1"


def test_sd_jwt_wrong_nonce_is_invalid() -> None:
    code, out = run(*SD_ARGS, "--nonce", "other", "--aud", "https://verifier.example.org", "--json",
                    str(SD / "simple_sd_jwt_kb_presentation.txt"))
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "sdjwt.kb_nonce"


def test_sd_jwt_without_binding_passes_only_without_nonce() -> None:
    code, _ = run(*SD_ARGS, "--json", str(SD / "simple_sd_jwt_issuance.txt"))
    assert code == 0
    code, out = run(*SD_ARGS, "--nonce", "1234567890", "--aud", "x", "--json", str(SD / "simple_sd_jwt_issuance.txt"))
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "sdjwt.kb_missing"


def test_status_list_revoked(tmp_path: Path) -> None:
    shutil.copy(SD / "issuer_public_jwk.json", tmp_path / "issuer.jwk.json")
    shutil.copy(STATUS / "status_list_issuer_key.jwk.json", tmp_path / "status.jwk.json")
    for token in ("status_list_token.jwt", "status_list_token.cwt.hex"):
        code, out = run("--trust", str(tmp_path), "--at", "1700000000", "--status-list", str(STATUS / token),
                        "--json", str(STATUS / "referenced_token_sd_jwt.txt"))
        doc = json.loads(out)
        assert code == 1 and doc["status"] == "revoked" and doc["errors"][0]["code"] == "status.revoked"
        assert doc["errors"][0]["message"] == "This ID has been revoked by its issuer. Do not accept it."
        assert doc["errors"][0]["detail"]  # the technical cause stays, beside the plain words
    args = ["--trust", str(tmp_path), "--at", "1700000000", "--status-list", str(STATUS / "status_list_token.jwt"),
            str(STATUS / "referenced_token_sd_jwt.txt")]
    code, out = run(*args)
    assert code == 1 and "status: revoked" in out and "revoked by its issuer" in out and "status.revoked" in out
    code, out = run(*args, lang="ko")
    assert code == 1 and "발급기관이 취소(폐기)한 신분증입니다" in out


@pytest.mark.parametrize("args", [
    ["--format", "mdoc", "--trust", str(ISO / "iaca_root_cert.pem"), str(ISO / "device_response.hex")],
    [*SD_ARGS, "--nonce", "n", str(SD / "simple_sd_jwt_kb_presentation.txt")],
    [*SD_ARGS, str(SD / "missing-file.txt")],
    ["--trust", str(SD / "simple_sd_jwt_issuance.txt"), str(SD / "simple_sd_jwt_issuance.txt")],
    [*SD_ARGS[:4], "--at", "yesterday", str(SD / "simple_sd_jwt_issuance.txt")],
    [*MDOC[:4], "--transcript", str(SD / "issuer_public_jwk.json"), str(ISO / "device_response.hex")],
    ["--trust", str(ISO / "iaca_root_cert.pem"), str(ISO / "README.md")],  # neither QR, CBOR map nor SD-JWT
])
def test_bad_usage_exits_2(args: list[str]) -> None:
    code, _ = run(*args)
    assert code == 2
