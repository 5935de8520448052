"""Fuzz every parser the outside world reaches (issue: fuzz targets), with a pure-Python mutator.

    .venv/bin/python benchmarks/fuzz.py --target all --inputs 1000000 --seconds 600 --jobs 2
    .venv/bin/python benchmarks/fuzz.py --make-seeds        # once: writes fuzz/seeds and fuzz/context

Targets live in ``fuzz/targets.py``, mutators in ``fuzz/mutate.py``. Pass: only ``MobileIdError``
escapes (the HTTP target: no 5xx, JSON error bodies), every input finishes within 50 ms, and the
process stays under its address-space limit (``--memory-gib``, RLIMIT_AS). Findings are written to
``fuzz/crashes/<target>/`` (the input ``.bin`` and a ``.txt`` with the traceback or the timings).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import shutil
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(ROOT)  # ``fuzz`` is the package at the root, not this script
else:
    sys.path.insert(0, str(ROOT))

from fuzz.engine import LIMIT_MS, Stats, run  # noqa: E402
from fuzz.targets import CONTEXT, RFC_KB_IAT, SD_AUD, SD_NONCE, SEEDS, STATUS_SUB, TARGETS, VECTORS  # noqa: E402


# -- seeds ----------------------------------------------------------------------------------------------
def _write(target: str, name: str, data: bytes | str) -> None:
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)


def _issuer_story(ctx: dict[str, Any]) -> None:
    """A real issuer (SQLite, 50 people) -> wallet -> one-way age-check QR; its trust bundle and root."""
    from _fixtures import counter_offer
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine

    from issuer.settings import Settings
    from issuer.web.app import bootstrap, create_app
    from specs.cbor import decode
    from specs.cose import CoseSign1
    from specs.qr import b45encode, encode_message
    from specs.qr.dictionary import DICTIONARIES
    from specs.qr.presentation import QrResponse, decode_qr_message
    from wallet.pin import KdfParams
    from wallet.present import Presenter
    from wallet.wallet import Wallet

    url, pin = "http://localhost", "482913"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", public_url=url, seed_people=50, status_list_size=1024)
        bootstrap(settings)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        engine = create_engine(settings.sqlalchemy_url)
        uri, tx = counter_offer(engine, settings.data_dir, issuer_url=url, now=now,
                                configurations=["mdl", "age_attestation"], ttl_seconds=settings.offer_ttl_seconds)
        with TestClient(create_app(settings, clock=lambda: now), base_url=url) as client:
            wallet = Wallet(Path(tmp) / "phone", kdf=KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1))
            wallet.init(pin, trust_pem=client.get("/trust/root.pem").content)
            wallet.receive(uri, tx, pin, http=client, now=now, batch={"age_attestation": 2})
            presenter = Presenter(wallet, clock=lambda: now)
            age = presenter.present(pin, preset="age19")
            licence = presenter.present(pin, type_id="mdl", elements=("family_name", "age_over_19", "birth_date"))
            _two_way(ctx, wallet, presenter, pin, now)
            _wallet_files(ctx, wallet, pin)
            bundle = client.get("/trust/bundle").content
            root = client.get("/trust/root.pem").content
        engine.dispose()
    (CONTEXT / "bundle.cbor").write_bytes(bundle)
    (CONTEXT / "root.pem").write_bytes(root)
    ctx["qr_now"] = now.isoformat()
    _write("qr_text", "age19_one_way.txt", "\n".join(age.texts))
    _write("qr_text", "age19_one_way_3_frames.txt", "\n".join(encode_message(age.message, frames=3)))
    _write("qr_text", "mdl_one_way.txt", "\n".join(licence.texts))
    for name, shown in (("age19", age), ("mdl", licence)):  # profile version MID1, which decoders still accept
        packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARIES["MID1"].data)
        _write("qr_text", f"mid1_{name}_one_way.txt", "MID1:" + b45encode(packer.compress(shown.message) +
                                                                          packer.flush()))
    for name, shown in (("age19", age), ("mdl", licence)):
        answer = decode_qr_message(shown.message)
        assert isinstance(answer, QrResponse) and isinstance(answer.data, bytes)
        _write("cbor_device_response", f"qr_{name}_device_response.cbor", answer.data)
    _write("trust_bundle", "bundle_signed.cbor", bundle)
    sign1 = CoseSign1.from_cbor(bundle)
    assert sign1.payload is not None
    _write("trust_bundle", "bundle_payload.cbor", sign1.payload)
    vical = decode(sign1.payload, allowed_tags=frozenset({0}))["vical"]
    _write("trust_bundle", "vical_signed.cbor", vical)
    vical_payload = CoseSign1.from_cbor(vical).payload
    assert vical_payload is not None
    _write("trust_bundle", "vical_payload.cbor", vical_payload)
    for i, entry in enumerate(decode(sign1.payload, allowed_tags=frozenset({0}))["statusLists"][:2]):
        if entry.get("jwt"):
            _write("status_token", f"issuer_{i}.jwt", entry["jwt"])
        if entry.get("cwt"):
            _write("status_token", f"issuer_{i}.cwt", entry["cwt"])


def _two_way(ctx: dict[str, Any], wallet: Any, presenter: Any, pin: str, now: dt.datetime) -> None:
    """A verifier's request (kept in the context: the target answers against it), the wallet's answer to it, and
    a modified wallet's answer releasing one element more (refused: qr.elements_not_requested)."""
    from specs.qr import profile_texts
    from specs.qr.presentation import QrRequest

    request = QrRequest.create(nonce=bytes(range(16)), verifier="fuzz corner shop",
                               items={"org.iso.18013.5.1.mDL": ["family_name", "given_name", "age_over_19"]},
                               expires=now + dt.timedelta(minutes=5))
    ctx["qr_request"] = request.to_cbor().hex()
    _write("qr_two_way", "mdl_two_way.txt", "\n".join(presenter.present(pin, request=request).texts))
    master = wallet.unlock(pin)
    doc_type, record = presenter._for_type(wallet.store(master), "org.iso.18013.5.1.mDL")
    signer = wallet.device_keys(pin, master).signer(record.device_key_alias)
    message, _ = presenter._respond(record, doc_type, ("family_name", "given_name", "age_over_19", "birth_date"),
                                    signer, request, now)
    _write("qr_two_way", "mdl_two_way_one_more.txt", "\n".join(profile_texts(message)))


def _wallet_files(ctx: dict[str, Any], wallet: Any, pin: str) -> None:
    """The wallet's own files as seeds (kind byte + file): pin.json, credentials.json (records and history), a
    device key file, and an older wallet's separate history.json sealed as those were."""
    from wallet._files import b64e

    master = wallet.unlock(pin)
    alias = wallet.store(master).list()[0].device_key_alias
    key_file = wallet.keys._path(alias, master)
    entries = json.dumps([{"at": "2026-11-30T09:00:00+00:00", "verifier": "one-way QR", "type_id": "age_attestation",
                           "elements": ["age_over_19"], "mode": "one-way"}]).encode()
    legacy = json.dumps({"v": 1, "entries": b64e(master.seal(entries, b"mobileid.wallet.history.v1"))})
    for kind, name, data in ((b"P", "pin.bin", (wallet.folder / "pin.json").read_bytes()),
                             (b"C", "credentials.bin", (wallet.folder / "credentials" / "credentials.json")
                              .read_bytes()),
                             (b"K", "device_key.bin", key_file.read_bytes()), (b"H", "history.bin", legacy.encode())):
        _write("wallet_files", name, kind + data)
    ctx.update(wallet_pin=pin, wallet_key_alias=alias, wallet_key_file=key_file.name)


def _mdoc(ctx: dict[str, Any]) -> None:
    from benchmarks_fixtures import make_mdoc

    iso = VECTORS / "iso18013-5"
    _write("cbor_device_response", "annex_d_device_response.cbor", bytes.fromhex((iso / "device_response.hex")
                                                                                  .read_text().strip()))
    fixture = make_mdoc()
    _write("cbor_device_response", "mdl_8_elements.cbor", fixture.response)
    ctx["mdoc_iaca_pem"] = fixture.iaca_pem.decode()
    ctx["mdoc_transcript"] = fixture.transcript.encoded.hex()
    ctx["mdoc_now"] = dt.datetime(2026, 6, 1, tzinfo=dt.UTC).isoformat()

    from specs.mdoc.request import DeviceRequest, DocRequest, ItemsRequest

    _write("cbor_device_request", "annex_d_device_request.cbor",
           bytes.fromhex((iso / "device_request.hex").read_text().strip()))
    items = ItemsRequest.from_cbor_value({"docType": "org.iso.18013.5.1.mDL", "nameSpaces": {
        "org.iso.18013.5.1": {"family_name": True, "age_over_19": False}}})
    _write("cbor_device_request", "plain_request.cbor", DeviceRequest((DocRequest.build(items),)).to_cbor())


def _sd_jwt(ctx: dict[str, Any]) -> None:
    from specs.crypto import SoftwareSigner
    from specs.jose import jwk_from_key
    from specs.sdjwt import SD, issue_sd_jwt_vc, present

    for name in ("simple_sd_jwt_kb_presentation.txt", "sd_jwt_vc_pid_kb_presentation.txt",
                 "vcdraft_identity_credential_kb_presentation.txt", "simple_sd_jwt_issuance.txt"):
        _write("sd_jwt", name, (VECTORS / "sd-jwt" / name).read_text().strip())
    at = dt.datetime.fromtimestamp(RFC_KB_IAT, dt.UTC)
    issuer, holder = SoftwareSigner.generate(), SoftwareSigner.generate()
    claims = {"family_name": SD("Kim"), "given_name": SD("Minjun"), "birth_date": SD("1990-03-15"),
              "address": {"locality": SD("Seoul"), "country": "KR"}, "nationalities": [SD("KR"), "US"]}
    vc = issue_sd_jwt_vc(issuer, vct="urn:mobileid:kr:resident_card:1", claims=claims,
                         holder_key=holder.public_key(), issued_at=at - dt.timedelta(days=1),
                         expires_at=at + dt.timedelta(days=90), issuer="https://issuer.example.kr")
    shown = present(vc, [("family_name",), ("birth_date",), ("address", "locality")], holder=holder, aud=SD_AUD,
                    nonce=SD_NONCE, iat=at)
    _write("sd_jwt", "own_vc_kb_presentation.txt", shown.serialize())
    ctx["sd_jwt_issuer_jwk"] = jwk_from_key(issuer.public_key())


def _status() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from specs.crypto import SoftwareSigner
    from specs.jose.jws import b64url_decode
    from specs.status import StatusList
    from specs.status.token import issue_cwt, issue_jwt

    folder = VECTORS / "status-list"
    _write("status_token", "draft_token.jwt", (folder / "status_list_token.jwt").read_text().strip())
    _write("status_token", "draft_token.cwt", bytes.fromhex((folder / "status_list_token.cwt.hex").read_text()))
    jwk = json.loads((folder / "status_list_issuer_key.jwk.json").read_text())
    signer = SoftwareSigner(ec.derive_private_key(int.from_bytes(b64url_decode(jwk["d"])), ec.SECP256R1()))
    at = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    lst = StatusList.empty(64, bits=2).with_statuses({0: 1, 5: 2, 63: 3})
    _write("status_token", "own_2bit.jwt", issue_jwt(signer, subject=STATUS_SUB, status_list=lst, issued_at=at,
                                                     expires_at=at + dt.timedelta(days=7), ttl=3600, kid="12"))
    _write("status_token", "own_2bit.cwt", issue_cwt(signer, subject=STATUS_SUB, status_list=lst, issued_at=at,
                                                     expires_at=at + dt.timedelta(days=7), ttl=3600, kid=b"12"))


def _oid4vci() -> None:
    from specs.crypto import SoftwareSigner
    from specs.jose import jwk_from_key, sign_compact

    proofs = []
    for _ in range(2):
        signer = SoftwareSigner.generate()
        header = {"typ": "openid4vci-proof+jwt", "jwk": jwk_from_key(signer.public_key())}
        proofs.append(sign_compact(signer, header, {"aud": "http://localhost", "iat": 1780000000,
                                                    "nonce": "n0nce-from-the-issuer"}))
    batch = json.dumps({"credential_configuration_id": "age_attestation", "proofs": {"jwt": proofs}})
    single = json.dumps({"credential_configuration_id": "mdl", "proof": {"proof_type": "jwt", "jwt": proofs[0]}})
    _write("oid4vci", "batch.json", batch)
    _write("oid4vci", "single.json", single)
    _write("oid4vci_http", "credential_batch.bin", "C" + batch)
    _write("oid4vci_http", "credential_single.bin", "C" + single)
    _write("oid4vci_http", "token.bin", "Tgrant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"
                                        "&pre-authorized_code=abcdefghijklmnopqrstuvwxyz012345&tx_code=123456")


def _pictures() -> None:
    """Pictures of QR codes: PNG (grey, palette, RGBA, two codes), JPEG, GIF, BMP, and a few-KiB PNG that
    declares 13000x13000 pixels (issue 13 item 4)."""
    import io
    import struct
    import zlib

    from PIL import Image

    from specs.io.symbols import png
    from specs.qr import encode_message

    texts = encode_message(bytes(range(200)), frames=2)
    code = Image.open(io.BytesIO(png(texts[0], scale=2)))
    two = Image.new("L", (code.width * 2 + 10, code.height), 255)
    two.paste(code, (0, 0))
    two.paste(Image.open(io.BytesIO(png(texts[1], scale=2))), (code.width + 10, 0))
    for name, image, fmt in (("grey.png", code, "PNG"), ("palette.png", code.convert("P"), "PNG"),
                             ("rgba.png", code.convert("RGBA"), "PNG"), ("two.png", two, "PNG"),
                             ("photo.jpg", code.convert("RGB"), "JPEG"), ("code.gif", code, "GIF"),
                             ("code.bmp", code, "BMP")):
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
        _write("picture", name, buffer.getvalue())

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress((b"\x00" + b"\xff" * 13000) * 64, 9)  # the first rows only: the header is the attack
    header = struct.pack(">IIBBBBB", 13000, 13000, 8, 0, 0, 0, 0)  # 8-bit grey
    _write("picture", "bomb.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)
           + chunk(b"IEND", b""))
def _terminal() -> None:
    """Outside text as an attacker writes it: markup, a forged line, terminal escapes, direction overrides."""
    _write("terminal_text", "markup_close.txt", "[/]")
    _write("terminal_text", "markup_fake_valid.txt", "[bold green]VALID[/] \\[x] a\\\\")
    _write("terminal_text", "newline_verifier.txt", "Shop\n  (signed by Police, verified)")
    _write("terminal_text", "escapes.txt", "\x1b[2J\x1b[32mVALID\x1b[0m \x1b]0;title\x07 \x9b")
    _write("terminal_text", "bidi_and_korean.txt", "\u202egpj.exe \u200b \ufeff \u4e2d 한빛마트")


def make_seeds() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.modules.setdefault("benchmarks_fixtures", __import__("_fixtures"))
    shutil.rmtree(SEEDS, ignore_errors=True)
    CONTEXT.mkdir(parents=True, exist_ok=True)
    ctx: dict[str, Any] = {}
    _issuer_story(ctx)
    _mdoc(ctx)
    _sd_jwt(ctx)
    _status()
    _oid4vci()
    _terminal()
    _pictures()
    (CONTEXT / "context.json").write_text(json.dumps(ctx, indent=1, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in (*SEEDS.rglob("*"), *CONTEXT.rglob("*")) if p.is_file())
    print(f"seeds and context written: {total / 1024:.1f} KB")


# -- running --------------------------------------------------------------------------------------------
def _limit_memory(gib: float) -> None:
    limit = int(gib * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(args: tuple[str, int, float, int, float]) -> Stats:
    name, inputs, seconds, rng_seed, gib = args
    _limit_memory(gib)
    stats = run(name, inputs=inputs, seconds=seconds, rng_seed=rng_seed)
    stats.max_input = stats.max_input[:256]
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="all", help=f"all or one of: {', '.join(TARGETS)}")
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs per target (default 1,000,000)")
    parser.add_argument("--seconds", type=float, default=3600.0, help="time budget per target")
    parser.add_argument("--jobs", type=int, default=1, help="processes (one target per process)")
    parser.add_argument("--seed", type=int, default=1, help="RNG seed")
    parser.add_argument("--memory-gib", type=float, default=2.0, help="RLIMIT_AS per fuzz process")
    parser.add_argument("--make-seeds", action="store_true", help="(re)generate fuzz/seeds and fuzz/context")
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()
    if opts.make_seeds:
        make_seeds()
        return 0
    names = list(TARGETS) if opts.target == "all" else opts.target.split(",")
    work = [(n, opts.inputs, opts.seconds, opts.seed, opts.memory_gib) for n in names]
    if opts.jobs > 1:
        with multiprocessing.get_context("spawn").Pool(opts.jobs, maxtasksperchild=1) as pool:
            results = pool.map(_worker, work, chunksize=1)
    else:
        results = [_worker(w) for w in work]
    if opts.json:
        print(json.dumps([{"target": s.target, "inputs": s.inputs, "seconds": round(s.seconds, 1),
                           "rate": round(s.rate), "max_ms": round(s.max_ms, 2),
                           "max_retimed_ms": round(s.max_retimed_ms, 2), "crashes": s.crashes,
                           "slow": s.slow, "peak_rss_mb": round(s.peak_rss_mb),
                           "findings": [f.summary for f in s.findings]} for s in results], indent=1))
    else:
        print(f"{'target':<22}{'inputs':>10}{'inputs/s':>10}{'max ms':>9}{'re-timed':>9}{'crashes':>9}"
              f"{'slow>' + str(int(LIMIT_MS)):>8}{'peak RSS':>10}")
        for s in results:
            print(f"{s.target:<22}{s.inputs:>10,}{s.rate:>10,.0f}{s.max_ms:>9.1f}{s.max_retimed_ms:>9.1f}"
                  f"{s.crashes:>9}{s.slow:>8}"
                  f"{s.peak_rss_mb:>8.0f}MB")
        for s in results:
            for f in s.findings:
                print(f"  {f.target} {f.kind}: {f.summary} -> {f.path}")
    return 1 if any(s.findings for s in results) else 0


if __name__ == "__main__":
    sys.exit(main())
