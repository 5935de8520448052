"""``mobileid verify``: check a QR presentation, an mdoc DeviceResponse or an SD-JWT presentation offline;
``mobileid verifier request`` / ``sync``: show a two-way request QR, fetch the trust bundle.

Exit codes: 0 valid (authentic, and accepted by the ``--require`` policy when one is given), 1 invalid or
not accepted (the reasons are printed with their stable codes), 2 bad usage or an unreadable input.
``--json`` prints the ``VerificationResult`` document for scripts (``valid`` = ``authentic`` and
``accepted``). ``sync`` exits 1
when the fetched bundle does not verify (nothing is written).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from specs.errors import InputError, MobileIdError
from specs.io.cli import command_group
from specs.text import safe_text
from verifier.inputs import parse_time, read_binary_or_hex, read_text
from verifier.result import VerificationResult
from verifier.sync import HttpGetter
from verifier.trust import VerifierTrust

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

DEFAULT_REPLAY_CACHE = Path("~/.mobileid/verifier/seen.json")


class Format(StrEnum):
    mdoc = "mdoc"
    sd_jwt = "sd-jwt"


Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
verify_app = command_group("Verify a QR presentation, an mdoc DeviceResponse or an SD-JWT.")


@verify_app.command("verify")
def verify_command(
        presentation: Annotated[list[Path], typer.Argument(
            dir_okay=False, show_default=False, help="PNG/JPEG picture(s) of the QR code(s), a text file of its "
                                                     "MID2 lines, an mdoc DeviceResponse or an SD-JWT.")],
        trust_path: Annotated[Path, typer.Option(
            "--trust", show_default=False,
            help="A trust bundle (folder with bundle.cbor + root.pem), PEM/DER certificates, a folder of them, "
                 "PEM public keys or a JWK/JWKS file.")],
        given_format: Annotated[Format | None, typer.Option(
            "--format", show_default=False,
            help="mdoc (ISO 18013-5 DeviceResponse) or sd-jwt (SD-JWT / SD-JWT VC). Guessed when absent.")] = None,
        at: Annotated[str | None, typer.Option(
            "--at", help="Verification time (RFC 3339 or Unix seconds); default now.")] = None,
        transcript: Annotated[Path | None, typer.Option(
            dir_okay=False, help="mdoc: SessionTranscript or SessionTranscriptBytes (binary or hex).")] = None,
        reader_key: Annotated[Path | None, typer.Option(
            dir_okay=False, help="mdoc: the reader's ephemeral private key (PEM), to check a deviceMac.")] = None,
        nonce: Annotated[str | None, typer.Option(help="sd-jwt: the nonce the KB-JWT must carry.")] = None,
        aud: Annotated[str | None, typer.Option(help="sd-jwt: the audience the KB-JWT must carry.")] = None,
        status_list: Annotated[Path | None, typer.Option(
            "--status-list", dir_okay=False,
            help="A cached status-list token (JWT or CWT) to check the credential's status against.")] = None,
        request_path: Annotated[Path | None, typer.Option(
            "--request", dir_okay=False,
            help="QR two-way: the request this verifier showed (the --state file of 'mobileid verifier request')."
        )] = None,
        replay_cache: Annotated[Path, typer.Option(
            "--replay-cache", dir_okay=False, envvar="MOBILEID_VERIFIER_REPLAY_CACHE",
            help="QR: file of the nonces already accepted, so a code scanned twice is refused across runs.")
        ] = DEFAULT_REPLAY_CACHE,
        require: Annotated[str | None, typer.Option(
            "--require", metavar="POLICY",
            help="What the shop needs: a preset (age19, age65, identity, supplier, licence) or requirements "
                 "such as age_over_19=true or family_name,given_name. Exit 1 when not met.")] = None,
        portrait_out: Annotated[Path | None, typer.Option(
            "--portrait-out", dir_okay=False,
            help="Write the verified portrait (JPEG), when one was shared, to this file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False) -> None:
    """Verify a QR presentation (PNG/JPEG image(s) of its code(s), or a text file of MID2 lines), an mdoc
    DeviceResponse or an SD-JWT presentation, offline; with --require, answer the shop's question."""
    from verifier.cli_tools import is_qr_input
    from verifier.policy import policy_named

    fmt: str | None = given_format.value if given_format is not None else None
    try:
        policy = policy_named(require) if require is not None else None
        qr = fmt is None and is_qr_input(tuple(presentation))
    except InputError as exc:
        _usage_error(exc, as_json)
    out = _Output(policy, portrait_out, as_json)
    if qr:
        _verify_qr(tuple(presentation), trust_path, at, request_path, replay_cache, out)
        return
    from verifier.verify import verify_mdoc, verify_sd_jwt_presentation  # the crypto stack loads only when used

    try:
        if len(presentation) != 1:
            raise InputError("give one presentation file (several files only for QR images)", code="input.usage")
        if request_path is not None:
            raise InputError("--request is for QR answers", code="input.usage")
        now = parse_time(at) if at else None
        try:
            trust = VerifierTrust.from_path(trust_path, now=now)
        except InputError:
            raise
        except MobileIdError as exc:  # a stale or foreign trust bundle: nothing can verify under it
            out.finish(VerificationResult.failure("sd-jwt" if fmt == "sd-jwt" else "mdoc", exc), None, now)
        status_token = read_binary_or_hex(status_list) if status_list else None
        data = read_binary_or_hex(presentation[0])
        fmt = fmt or _guess_format(data)
        if fmt == "mdoc":
            if transcript is None:
                raise InputError("--transcript is required for --format mdoc", code="input.usage")
            result = verify_mdoc(data, trust=trust, transcript=read_binary_or_hex(transcript), now=now,
                                 reader_key_pem=read_binary_or_hex(reader_key) if reader_key else None,
                                 status_token=status_token)
        else:
            if (nonce is None) != (aud is None):
                raise InputError("--nonce and --aud go together", code="input.usage")
            result = verify_sd_jwt_presentation(read_text(presentation[0]), trust=trust, now=now, nonce=nonce,
                                                aud=aud, status_token=status_token)
    except InputError as exc:
        _usage_error(exc, as_json)
    out.finish(result, trust.bundle_issued_at, now)


class _Output:
    """The end of every ``verify``: the policy applied, the portrait written, the verdict printed, the exit."""

    def __init__(self, policy: Any, portrait_out: Path | None, as_json: bool) -> None:
        self.policy, self.portrait_out, self.as_json = policy, portrait_out, as_json

    def finish(self, result: VerificationResult, bundle_issued_at: Any, now: Any) -> NoReturn:
        import datetime as dt

        from specs.io.files import atomic_write
        from verifier.cli_verdict import print_verdict
        from verifier.verdict import headline

        when = now or dt.datetime.now(dt.UTC)
        if self.policy is not None:
            result = self.policy.apply(result, now=when)
        written = False
        if self.portrait_out is not None and result.portrait is not None:
            try:
                atomic_write(self.portrait_out.expanduser(), result.portrait)
            except OSError as exc:
                _usage_error(InputError(f"cannot write the portrait ({exc.strerror})", code="input.unwritable"),
                             self.as_json)
            written = True
        lang = _language()
        if self.as_json:
            document = result.to_json(lang)
            head = headline(result, self.policy, now=when)
            document["answer"] = {"tone": head.tone, "ko": head.text("ko"), "en": head.text("en")}
            if bundle_issued_at is not None:
                document["bundle_issued_at"] = bundle_issued_at.isoformat()
            if written:
                document["portrait_file"] = str(self.portrait_out)
            typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            print_verdict(result, policy=self.policy, bundle_issued_at=bundle_issued_at, now=when, lang=lang,
                          portrait_out=self.portrait_out, portrait_written=written)
        sys.exit(EXIT_VALID if result.valid else EXIT_INVALID)


def _verify_qr(paths: tuple[Path, ...], trust_path: Path, at: str | None, request_path: Path | None,
               replay_cache: Path, out: _Output) -> None:
    """The QR profile: one-way or two-way answers, with replays refused across runs (``--replay-cache``)."""
    import datetime as dt

    from verifier.cli_tools import FileReplayCache, load_request, qr_texts
    from verifier.qr import Verifier

    trust: VerifierTrust | None = None
    try:
        now = parse_time(at) if at else dt.datetime.now(dt.UTC)
        request = load_request(request_path) if request_path else None
        try:
            # The trust first: a wrong --trust path is bad usage whatever the picture holds.
            trust = VerifierTrust.from_path(trust_path, now=now)
            texts = qr_texts(paths)
        except InputError:
            raise
        except MobileIdError as exc:  # no QR code in the picture, or a stale/foreign bundle: an invalid scan
            result = VerificationResult.failure("mdoc", exc)
        else:
            with FileReplayCache.locked(replay_cache.expanduser()) as cache:
                result = Verifier(trust, clock=lambda: now, replays=cache).verify_qr(texts, request=request)
    except InputError as exc:
        _usage_error(exc, out.as_json)
    out.finish(result, trust.bundle_issued_at if trust else None, now)


def _guess_format(data: bytes) -> str:
    """A compact SD-JWT is ASCII base64url starting with a JOSE header (``ey``); an mdoc DeviceResponse is a
    CBOR map (major type 5). Anything else is named as unreadable rather than failing later as a wrong mdoc."""
    stripped = data.lstrip()
    if stripped.startswith(b"ey"):
        return "sd-jwt"
    if data[:1] and 0xA0 <= data[0] <= 0xBF:
        return "mdoc"
    raise InputError("not a QR image, mobileid QR text, mdoc DeviceResponse (CBOR map, binary or hex) or SD-JWT; "
                     "pass --format to say which", code="input.unreadable")


def _language() -> str:
    """Korean or English for the plain words: ``MOBILEID_LANG``, else the locale (``specs.messages``)."""
    import os

    from specs.messages import language_from_env

    return language_from_env(os.environ)


def _usage_error(exc: MobileIdError, as_json: bool) -> NoReturn:
    _error(exc, as_json)
    sys.exit(EXIT_USAGE)


def _error(exc: MobileIdError, as_json: bool) -> None:
    """An error in plain words with its stable code (and the technical detail, which may quote input), or
    as JSON."""
    lang = _language()
    if as_json:
        typer.echo(json.dumps({"error": exc.to_json(lang)}, ensure_ascii=False))
    else:
        typer.echo(f"error: {exc.plain(lang)} [{exc.code}]\n  ({safe_text(exc.message)})", err=True)


# -- mobileid verifier request / sync --------------------------------------------------------------------
@contextmanager
def _default_http() -> Iterator[HttpGetter]:
    from specs.io.http import client

    with client() as http:
        yield http


# The injection point tests swap: a context manager yielding an httpx-like client (``.get(url)``).
http_factory: Callable[[], AbstractContextManager[HttpGetter]] = _default_http


verifier_app = command_group("The verifier's counter: request QR codes (two-way), the trust bundle sync, and the "
                             "online verifier service (serve, OpenID4VP).")


def _reader_signer(key_path: Path | None, cert_path: Path | None) -> tuple[Any, tuple[bytes, ...]]:
    """The reader's signing key and certificate chain, when the request is to be signed."""
    if key_path is None and cert_path is None:
        return None, ()
    if key_path is None or cert_path is None:
        raise InputError("--reader-key and --reader-cert go together", code="input.usage")
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from specs.crypto import SoftwareSigner

    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        signer = SoftwareSigner(key)  # type: ignore[arg-type]
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"cannot read the reader key or certificate ({type(exc).__name__})",
                         code="input.unreadable") from None
    return signer, (cert.public_bytes(serialization.Encoding.DER),)


@verifier_app.command("reader-cert")
def reader_cert_command(
        out: Annotated[Path, typer.Option(
            file_okay=False, show_default=False,
            help="Folder for reader_root.pem, reader.pem and reader_key.pem (must not hold them yet).")],
        name: Annotated[str, typer.Option(
            show_default=False, help="The business, as wallets will show it (the certificate's CN).")],
        dns_names: Annotated[list[str] | None, typer.Option(
            "--dns-name", show_default=False,
            help="A DNS name of the business's website, for OpenID4VP x509_san_dns (repeatable).")] = None
) -> None:
    """Make a reader root and a reader certificate (Annex B.1.7) to sign two-way requests with."""
    import datetime as dt

    from verifier.reader_pki import make_reader_files

    try:
        files = make_reader_files(out.expanduser(), name, now=dt.datetime.now(dt.UTC),
                                  dns_names=tuple(dns_names or ()))
    except InputError as exc:
        _usage_error(exc, False)
    typer.echo(f"reader root (give it to wallets, --reader-roots): {files.root}")
    typer.echo(f"reader certificate and key (verifier request --reader-cert/--reader-key): {files.certificate}, "
               f"{files.key}")


@verifier_app.command("request")
def request_command(
        elements: Annotated[str, typer.Option(
            show_default=False, help="Comma-separated element names, e.g. family_name,given_name,portrait.")],
        doctype: Annotated[str, typer.Option(
            help="The document type (mdoc docType or SD-JWT VC vct) asked for.")] = "org.iso.18013.5.1.mDL",
        name: Annotated[str, typer.Option(
            help="Who asks: shown to the holder and bound into the answer.")] = "mobileid verifier",
        out: Annotated[Path, typer.Option(
            dir_okay=False, help="The request QR (PNG); several frames become NAME-1.png, ...")] = Path("request.png"),
        state: Annotated[Path | None, typer.Option(
            dir_okay=False,
            help="Where to save the request for 'mobileid verify --request' (default: beside --out, .cbor).")
        ] = None,
        at: Annotated[str | None, typer.Option(
            help="Creation time (RFC 3339 or Unix seconds); default now.")] = None,
        reader_key: Annotated[Path | None, typer.Option(
            dir_okay=False, help="Sign the request (readerAuth) with this PEM private key of a reader certificate."
        )] = None,
        reader_cert: Annotated[Path | None, typer.Option(
            dir_okay=False,
            help="The reader certificate (PEM) that goes with --reader-key (ISO 18013-5 Annex B.1.7).")] = None,
        as_json: Json = False) -> None:
    """Show a request QR asking for ELEMENTS of one document type; keep its state to check the answer."""
    import datetime as dt
    import secrets

    from specs.catalogue import Catalogue
    from specs.claims import claim_name
    from specs.errors import CatalogueError
    from specs.io.files import atomic_write
    from specs.io.symbols import write_pngs
    from specs.qr import profile_texts
    from specs.qr.presentation import QrRequest
    from verifier.qr import Policy

    try:
        names = tuple(dict.fromkeys(e.strip() for e in elements.split(",") if e.strip()))
        if not names:
            raise InputError("--elements names at least one element", code="input.usage")
        catalogue = Catalogue.load_default()
        try:
            doc_type = catalogue.find(doctype)
        except CatalogueError:
            raise InputError(f"unknown document type {doctype!r}", code="input.usage") from None
        if doctype == doc_type.id:  # a catalogue id: the request names the docType (or the vct)
            doctype = doc_type.doctype or doc_type.vct or doctype
        for element in names:
            try:
                doc_type.claim(None, element)
            except CatalogueError:
                raise InputError(f"{doc_type.id} has no element {element!r}", code="input.usage") from None
        now = parse_time(at) if at else dt.datetime.now(dt.UTC)
        signer, chain = _reader_signer(reader_key, reader_cert)
        try:
            request = QrRequest.create(nonce=secrets.token_bytes(16), verifier=name, items={doctype: names},
                                       expires=now + Policy().request_lifetime, reader_signer=signer,
                                       reader_chain=chain)
        except MobileIdError as exc:
            raise InputError(exc.message, code="input.usage") from None
        out = out.expanduser()
        state_path = (state or out.with_suffix(".cbor")).expanduser()
        files = write_pngs(profile_texts(request.to_cbor()), out)
        try:
            atomic_write(state_path, request.to_cbor())
        except OSError as exc:
            raise InputError(f"cannot write {state_path} ({exc.strerror})", code="input.unwritable") from None
    except InputError as exc:
        _usage_error(exc, as_json)
    document = {"verifier": name, "items": {doctype: list(names)}, "expires": request.expires.isoformat(),
                "files": [str(f) for f in files], "state": str(state_path)}
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    shown = ", ".join(f"{claim_name(doc_type, e, 'en')} ({e})" for e in names)
    typer.echo(f"{name} asks for {doc_type.display_name('en')}: {shown}")
    typer.echo(f"  request QR written to {', '.join(document['files'])}; expires {document['expires']}")
    typer.echo(f"  state saved to {state_path}: verify the answer with --request {state_path}")


@verifier_app.command("sync")
def sync_command(
        url: Annotated[str, typer.Argument(show_default=False, help="The issuer's URL.")],
        folder: Annotated[Path, typer.Option(
            "--out", file_okay=False, show_default=False,
            help="Trust folder to keep the copy (and the pinned root.pem) in; use it as 'verify --trust'.")],
        pin_new_root: Annotated[bool, typer.Option(
            "--pin-new-root", help="Replace the root already pinned in the folder by the one the server offers.")
        ] = False,
        root_sha256: Annotated[str | None, typer.Option(
            "--root-sha256", metavar="HEX",
            help="The SHA-256 of the root certificate, checked out of band: a root to pin that differs is refused.")
        ] = None,
        max_bytes: Annotated[int | None, typer.Option(
            "--max-bytes", min=1, help="Refuse a trust bundle larger than this (default 256 MiB).")] = None,
        as_json: Json = False) -> None:
    """Fetch what changed of URL's trust bundle (URL/trust/index, then its files), verify it all under the pinned
    root, then switch to it; on any error the old copy stays."""
    from verifier.sync import DEFAULT_MAX_BYTES, sync

    try:
        with http_factory() as http:
            report = sync(http, url, folder.expanduser(), pin_new_root=pin_new_root, root_sha256=root_sha256,
                          max_bytes=max_bytes or DEFAULT_MAX_BYTES)
    except InputError as exc:
        _usage_error(exc, as_json)
    except MobileIdError as exc:
        _error(exc, as_json)
        sys.exit(EXIT_INVALID)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"Trust bundle saved to {report.folder} (sequence {report.sequence}; fetched {report.fetched} "
               f"file(s), {report.fetched_bytes} bytes, by {report.by})")
    typer.echo(f"  issued {report.issued_at.isoformat()}, next update {report.next_update.isoformat()}")
    typer.echo(f"  {report.iaca} IACA, {report.document_signers} document signer(s), "
               f"{report.status_lists} status list(s)")
    typer.echo(f"  root {report.pinned}: sha256 {report.root_fingerprint[:16]}...")


# ``serve`` (the online verifier) lives in its own module; importing it registers the command.
from verifier import cli_serve  # noqa: E402, F401
