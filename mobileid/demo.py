"""``mobileid demo --out DIR``: the whole story in one command, on this machine, with nothing started by hand.

An issuer runs in this process on SQLite (served through an in-process HTTP client, no socket), a clerk
checks a synthetic applicant through the console, the wallet redeems the offer (licence, age attestations,
an e-certificate), shows a one-way age-19 QR code, and a verifier checks that QR offline against the
exported trust bundle. Everything is real (keys, certificates, signatures, status lists) and made fresh
on each run. DIR/README.txt describes every file left behind and how to verify the QR code again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shlex
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from specs.io import symbols
from specs.io.cli import command_group

PIN_FILE = "DEMO_PIN.txt"
SHOP_QUESTION = "age19"  # the shop's question (a verifier.policy preset): may it sell alcohol or tobacco?
ISSUER_URL = "http://localhost"  # in-process (no socket): a loopback address the wallet accepts over http
PEOPLE = 300
ECERT_PREFERRED, ECERT_FALLBACK = "business_registration", "resident_registration_abstract"
ONLINE_DOCS = ("resident_card", "income_certificate")  # what the bank's website asks for (demo_online)
README_MARK = "mobileid demo output"
# Files and folders of an earlier run (this layout and the previous one) that a new run replaces.
_OWNED = ("issuer", "wallet", "trust_bundle", "age_check.png", "README.txt", "iaca.pem", "age_check.cbor",
          "transcript.cbor", "business_registration.txt", "status_list.cwt", "status_list.jwt", "bank")


def command_prefix(executable: str = sys.executable, which: Callable[[str], str | None] = shutil.which,
                   cwd: Path | None = None) -> str:
    """How to call this installation's ``mobileid`` from the shell that ran the demo, so that the commands it
    prints run as printed: ``mobileid`` when PATH finds this one (an activated venv), else its path
    (``.venv/bin/mobileid`` after ``make demo``), else ``python -m mobileid`` with this interpreter."""
    script = Path(os.path.abspath(executable)).parent / "mobileid"
    if not script.is_file():
        return f"{shlex.quote(executable)} -m mobileid"
    found = which("mobileid")
    if found is not None and os.path.samefile(found, script):
        return "mobileid"
    try:
        shown = str(script.relative_to((cwd or Path.cwd()).absolute()))
    except ValueError:
        shown = str(script)
    return shlex.quote(shown)


def verify_command(prefix: str, out: Path) -> str:
    """The shop's check of the demo's QR, asking its question (exit 0: may sell, 1: do not sell)."""
    return (f"{prefix} verify {shlex.quote(str(out / 'age_check.png'))} --trust "
            f"{shlex.quote(str(out / 'trust_bundle'))} --require {SHOP_QUESTION}")


def wallet_present_command(prefix: str, out: Path) -> str:
    """A fresh one-way age check from the demo's wallet (its PIN read from the file the demo left)."""
    wallet = out / "wallet"
    return (f"MOBILEID_WALLET_PIN=$(cat {shlex.quote(str(wallet / PIN_FILE))}) {prefix} wallet present --preset "
            f"age19 --data-dir {shlex.quote(str(wallet))} --out {shlex.quote(str(out / 'age_check.png'))}")


class _Steps:
    """Numbered steps in plain words; on stderr with ``--json`` so stdout stays machine-readable."""

    def __init__(self, as_json: bool) -> None:
        self.console = Console(stderr=as_json, highlight=False, soft_wrap=False)
        self.number = 0

    def say(self, text: str) -> None:
        self.number += 1
        self._row(Text(f"{self.number:>2}. ", style="bold"), text)

    def note(self, text: str) -> None:
        self._row(Text("    "), text)

    def command(self, text: str) -> None:
        self.console.print("    " + escape(text), soft_wrap=True)  # never wrapped, so it can be copied

    def _row(self, head: Text, text: str) -> None:
        for i, line in enumerate(Text.from_markup(text).wrap(self.console, max(self.console.width - 4, 40))):
            line.rstrip()
            self.console.print((head if i == 0 else Text("    ")) + line, soft_wrap=True)


class DemoError(Exception):
    """A step of the demo could not be done; the message says which (printed as ``Error: ...``, exit 1)."""


demo_app = command_group("Run issuer, clerk, wallet and verifier on this machine; leave a verifiable age-check QR.")


@demo_app.command("demo")
def demo_command(
        out: Annotated[Path, typer.Option(
            "--out", file_okay=False, help="Folder for the files the demo leaves behind.")] = Path("demo-out"),
        as_json: Annotated[bool, typer.Option(
            "--json", help="Print a machine-readable summary on stdout.")] = False) -> None:
    """Run an issuer, a clerk, a wallet and a verifier on this machine and leave a verifiable age-check QR."""
    started = time.monotonic()
    steps = _Steps(as_json)
    try:
        _prepare(out, steps)
        summary = _run(out, steps)
    except DemoError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    summary["seconds"] = round(time.monotonic() - started, 1)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    if not summary["verification"]["valid"] or not summary["online"]["accepted"]:
        raise SystemExit(1)


def _prepare(out: Path, steps: _Steps) -> None:
    readme = out / "README.txt"
    earlier = [name for name in _OWNED if (out / name).exists()]
    if earlier and not (readme.is_file() and readme.read_text(errors="replace").startswith(README_MARK)):
        raise DemoError(f"{out} already holds {', '.join(earlier)} not made by `mobileid demo`; "
                                   "choose another --out folder")
    if earlier:
        steps.console.print(f"Removing the previous demo run in {escape(str(out))}/ (issuer, wallet and files).")
        for name in earlier:
            path = out / name
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _run(out: Path, steps: _Steps) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from issuer.settings import Settings
    from issuer.web.app import bootstrap, create_app
    from specs.messages import language_from_env
    from verifier.cli_verdict import print_verdict
    from verifier.policy import preset
    from verifier.qr import Verifier
    from verifier.trust import VerifierTrust
    from verifier.verdict import headline
    from wallet.passcode import is_trivial_pin
    from wallet.present import Presenter
    from wallet.wallet import Wallet

    settings = Settings(data_dir=out / "issuer", database_url=None, public_url=ISSUER_URL, seed_people=PEOPLE,
                        status_list_size=4096)
    boot = bootstrap(settings)
    assert boot.demo_password is not None  # a fresh data folder always gets the demo clerk
    steps.say(f"Started an issuer in this process: SQLite database in {escape(str(settings.data_dir))}/, a fresh "
              f"IACA root and signing keys, and {boot.people_loaded} synthetic people in its registers.")

    with TestClient(create_app(settings), base_url=ISSUER_URL) as client:
        person_id, name, ecert = _pick_applicant(settings.sqlalchemy_url)
        csrf = _login(client, boot.demo_password)
        steps.say("Clerk clerk1 logged in to the issuer's console.")
        offer_uri, tx_code = _clerk_check(client, csrf, person_id, ["mdl", "age_attestation", ecert, *ONLINE_DOCS])
        steps.say(f"The clerk checked the synthetic applicant {escape(name)} in person (ID card, photo matches) "
                  f"and issued an offer for a driver's licence, age attestations, a {_label(ecert)}, the mobile "
                  "resident card and an income certificate.")

        wallet_dir = out / "wallet"
        pin = f"{secrets.randbelow(10**6):06d}"
        while is_trivial_pin(pin):  # the wallet refuses those (wallet.passcode)
            pin = f"{secrets.randbelow(10**6):06d}"
        wallet = Wallet(wallet_dir)
        root_pem = client.get("/trust/root.pem").raise_for_status().content
        wallet.init(pin, trust_pem=root_pem)
        pin_file = wallet_dir / PIN_FILE
        pin_file.write_text(pin + "\n")
        pin_file.chmod(0o600)
        steps.say(f"Set up a new wallet in {escape(str(wallet_dir))}/ that trusts the issuer's root; its random "
                  f"6-digit PIN is in {PIN_FILE} there.")

        http: Any = client  # TestClient speaks httpx over ASGI, no socket
        records = wallet.receive(offer_uri, tx_code, pin, http=http, batch={"age_attestation": 5})
        held = Counter(_type_label(r.type_id) for r in records)
        steps.say("The wallet scanned the offer QR on the clerk's screen, entered the 6-digit code shown "
                  "beside it and received: " + ", ".join(f"{n} × {t}" for t, n in held.items()) + ".")

        bundle_dir = out / "trust_bundle"
        bundle_dir.mkdir()
        (bundle_dir / "bundle.cbor").write_bytes(client.get("/trust/bundle").raise_for_status().content)
        (bundle_dir / "root.pem").write_bytes(root_pem)
        steps.say(f"Exported the issuer's trust bundle (signed keys and status lists) to "
                  f"{escape(str(bundle_dir))}/; the issuer is stopped now.")

    shown = Presenter(wallet).present(pin, preset="age19")
    made_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    (text,) = shown.texts
    (png,) = symbols.write_pngs(shown.texts, out / "age_check.png")
    sizes: dict[str, Any] = {"message_bytes": len(shown.message), "qr_text_chars": len(text),
                             "qr_version": symbols.version(text), "png_bytes": png.stat().st_size}
    steps.say(f"The wallet showed a one-way age check releasing only {', '.join(shown.elements)}, signed "
              f"with a fresh single-use age attestation: {escape(str(png))}.")
    steps.note(f"{sizes['message_bytes']}-byte signed message, {sizes['qr_text_chars']} characters in the QR, "
               f"QR version {sizes['qr_version']}, PNG {sizes['png_bytes']} bytes. Valid for 60 seconds.")

    trust = VerifierTrust.from_path(bundle_dir)
    checked_at = dt.datetime.now(dt.UTC)
    shop = preset(SHOP_QUESTION)
    result = shop.apply(Verifier(trust, clock=lambda: checked_at).verify_qr(png.read_bytes()), now=checked_at)
    steps.say(f"A shop's verifier read the PNG and checked it offline, using only the trust bundle, for its "
              f"question {SHOP_QUESTION} (may it sell alcohol or tobacco?). Its verdict, as `verify "
              f"--require {SHOP_QUESTION}` prints it:")
    print_verdict(result, policy=shop, bundle_issued_at=trust.bundle_issued_at, now=checked_at,
                  lang=language_from_env(os.environ), file=steps.console.file, width=steps.console.width)
    claims = {ns: dict(values) for ns, values in result.claims.items()}
    answer = headline(result, shop, now=checked_at)

    from mobileid.demo_online import online_step

    online = online_step(out, steps, wallet, pin, bundle_dir)
    prefix = command_prefix()
    (out / "README.txt").write_text(_readme(out, made_at, name, ecert, sizes, prefix))
    steps.say(f"Files are described in {escape(str(out / 'README.txt'))}. Verify the QR yourself within 60 s:")
    steps.command(verify_command(prefix, out))
    steps.note("After that it reports qr.expired; ask the demo's wallet for a fresh one, then verify it again:")
    steps.command(wallet_present_command(prefix, out))
    return {
        "out": str(out), "applicant": name, "ecertificate": ecert,
        "credentials": dict(Counter(r.type_id for r in records)),
        "age_check": {"file": str(png), "elements": list(shown.elements), "made_at": made_at.isoformat(),
                      "valid_seconds": 60, **sizes},
        "trust_bundle": str(bundle_dir), "wallet": str(wallet_dir), "pin_file": str(wallet_dir / PIN_FILE),
        "verification": {"valid": result.valid, "authentic": result.authentic, "accepted": result.accepted,
                         "policy": result.policy,
                         "answer": {"tone": answer.tone, "ko": answer.text("ko"), "en": answer.text("en")},
                         "status": result.status, "claims": _jsonable(claims),
                         "errors": [e.code for e in result.errors]},
        "online": online,
    }


def _pick_applicant(url: str) -> tuple[int, str, str]:
    """A person with a licence, preferably one who also represents a business (for the e-certificate)."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from issuer.db.models import Business, Licence, Person

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            licensed = select(Licence.person_id)
            both = session.scalars(select(Business.representative_id)
                                   .where(Business.representative_id.in_(licensed))
                                   .order_by(Business.id)).first()
            person_id = both if both is not None else session.scalars(licensed.order_by(Licence.id)).first()
            if person_id is None:
                raise DemoError("the synthetic registers hold no licence holder")
            person = session.get(Person, person_id)
            assert person is not None
            name = f"{person.given_name_latin} {person.family_name_latin} ({person.family_name}{person.given_name})"
    finally:
        engine.dispose()
    return person_id, name, ECERT_PREFERRED if both is not None else ECERT_FALLBACK


def _login(client: Any, password: str) -> str:
    page = client.post("/console/login", data={"username": "clerk1", "password": password}, follow_redirects=True)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if page.status_code != 200 or match is None:
        raise DemoError(f"the clerk could not log in to the console (HTTP {page.status_code})")
    return match.group(1)


def _clerk_check(client: Any, csrf: str, person_id: int, configurations: list[str]) -> tuple[str, str]:
    """Record the in-person check through the console; read the offer QR and code off the clerk's screen."""
    client.get(f"/console/applicants/{person_id}").raise_for_status()
    page = client.post(f"/console/applicants/{person_id}/check",
                       data={"csrf": csrf, "document_kind": "id_card", "document_number": "DEMO-0001",
                             "photo_match": "yes", "notes": "mobileid demo", "configuration": configurations})
    code = re.search(r'id="tx-code">(\d+)<', page.text)
    if page.status_code != 200 or code is None:
        raise DemoError(f"the console refused the in-person check (HTTP {page.status_code})")
    return _scan_svg_qr(page.text), code.group(1)


def _scan_svg_qr(html: str) -> str:
    """Decode the offer QR the console draws as inline SVG (segno's one-path form): rasterise, then scan."""
    from PIL import Image, ImageDraw

    from specs.io.symbols import read_texts

    match = re.search(r'<svg width="(\d+)" height="(\d+)"[^>]*><g transform="scale\((\d+)\)">.*?'
                      r'<path class="qrline"[^>]* d="([^"]+)"', html, re.S)
    if match is None:
        raise DemoError("no offer QR code on the console page")
    width, height, scale, path = int(match[1]), int(match[2]), int(match[3]), match[4]
    image = Image.new("L", (width // scale * 4, height // scale * 4), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for op, a, b in re.findall(r"([MmHhVv])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if op in "Mm":
            x, y = (float(a), float(b)) if op == "M" else (x + float(a), y + float(b))
        elif op in "Hh":
            end = float(a) if op == "H" else x + float(a)
            draw.rectangle([min(x, end) * 4, (y - 0.5) * 4, max(x, end) * 4 - 1, (y + 0.5) * 4 - 1], fill=0)
            x = end
        else:
            raise DemoError("the offer QR code uses an unexpected drawing")
    texts = [t for t in read_texts(image) if t.startswith("openid-credential-offer://")]
    if not texts:
        raise DemoError("could not read the offer QR code on the console page")
    return texts[0]


def _label(config: str) -> str:
    return {"business_registration": "business-registration e-certificate",
            "resident_registration_abstract": "resident-registration e-certificate"}.get(config, config)


def _type_label(type_id: str) -> str:
    for key, label in (("mDL", "driver's licence"), ("age", "age attestation"),
                       ("business_registration", "business-registration certificate"),
                       ("resident_card", "mobile resident card"), ("income", "income certificate"),
                       ("resident_registration", "resident-registration certificate")):
        if key in type_id:
            return label
    return type_id


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _readme(out: Path, made_at: dt.datetime, name: str, ecert: str, sizes: dict[str, Any], prefix: str) -> str:
    at = made_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (made_at + dt.timedelta(seconds=60)).strftime("%H:%M:%SZ")
    return f"""{README_MARK} (made {at}; every key, person and credential is synthetic)

`mobileid demo` ran an issuer in process on SQLite, a clerk checked the synthetic applicant
{name} through the console, the wallet received a driver's licence, five single-use
age attestations, a {_label(ecert)}, the mobile resident card and an income certificate,
showed a one-way age-19 QR code, and a verifier checked it offline against the trust bundle
below. Then a bank's website asked for the resident card and the income certificate online
(OpenID4VP), the wallet answered, and the bank's page showed the verified claims.

Files
-----
age_check.png            one-way age check as a QR code: releases only age_over_19 from a single-use
                         age attestation, signed by a key held in the wallet. {sizes['message_bytes']}-byte message,
                         QR version {sizes['qr_version']}. Valid for 60 seconds only (until {until}).
trust_bundle/bundle.cbor the issuer's signed trust bundle: document-signer certificates and status lists,
                         everything a verifier needs offline
trust_bundle/root.pem    the issuer's IACA root certificate, the anchor the bundle is checked against
wallet/                  the holder's wallet (encrypted credentials, device keys, sharing history)
wallet/{PIN_FILE:<16} the wallet's random 6-digit PIN, so you can use the wallet commands
                         (a real PIN is never written down; this one protects synthetic data only)
issuer/                  the issuer's data: SQLite database, keys, synthetic registers
bank/                    the bank's online verifier (mobileid verifier serve): its SQLite database of
                         OpenID4VP transactions, its reader certificate (reader/reader_root.pem is what
                         wallets trust), api.token and webhook.key
README.txt               this file

Verify the QR code
------------------
  {verify_command(prefix, out)}

--require {SHOP_QUESTION} asks the shop's question, may it sell alcohol or tobacco. Exit code 0 = genuine
and aged 19 or over ("19세 이상 확인 / 판매 가능": may sell), 1 = do not sell (the reasons are printed
with stable codes); add --json for scripts.
The code is valid for 60 seconds after it was made: later `mobileid verify` reports qr.expired.
Make a fresh one by running the demo again:

  {prefix} demo --out {shlex.quote(str(out))}

or by asking this wallet for a new age check (it asks for the PIN in wallet/{PIN_FILE}, or reads
it from MOBILEID_WALLET_PIN); the wallet holds five single-use age attestations, one per check:

  {wallet_present_command(prefix, out)}

(`mobileid` here is this installation's command; `. .venv/bin/activate` puts it on PATH.)
"""
