"""``mobileid issuer ...``: run and manage the issuer service."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.settings import Settings
from specs.io.cli import command_group
from specs.io.files import atomic_write

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from issuer.publish import PublishReport

issuer_app = command_group("Run and manage the issuer service.")
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data folder (default: MOBILEID_DATA_DIR or ./data).")]


def _settings(data_dir: Path | None) -> Settings:
    """The settings every command shares with the running service (one public URL: ``Settings.for_service``)."""
    return Settings.for_service(data_dir)


def _engine(settings: Settings) -> Engine:
    """The issuer's database for a management command; one that ``serve`` has not set up (or migrated) is
    refused with what to do, instead of a database error half-way through the command."""
    from issuer.db import make_engine, schema_problem

    engine = make_engine(settings.sqlalchemy_url)
    problem = schema_problem(engine)
    if problem is not None:
        engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        typer.echo(f"error: the issuer database {where} {problem}: start the issuer once with "
                   "'mobileid issuer serve' (it creates and migrates the database, keys and registers)", err=True)
        raise typer.Exit(2)
    return engine


@contextlib.contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A session on the checked database whose connections are closed afterwards (a CLI process may live on
    inside a test runner or a script)."""
    from sqlalchemy.orm import Session

    engine = _engine(settings)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


@issuer_app.command()
def serve(data_dir: DataDir = None, host: str | None = None, port: int | None = None) -> None:
    """Start the service (first start: data folder, database, keys, registers, a demo clerk)."""
    import socket

    import uvicorn

    from issuer.web.app import bootstrap, create_app

    settings = Settings.for_service(data_dir, host=host, port=port)
    # Take the port first: a busy port is refused before anything is seeded or a password is printed.
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((settings.host, settings.port))
    except OSError as exc:
        listener.close()
        typer.echo(f"error: cannot listen on {settings.host}:{settings.port} ({exc.strerror}); is another "
                   "service running there? Choose another with --port", err=True)
        raise typer.Exit(2) from None
    settings.record_public_url()
    result = bootstrap(settings)
    if result.people_loaded:
        typer.echo(f"Loaded {result.people_loaded} synthetic people into the registers.")
    if result.demo_password:
        typer.echo(f"Demo clerk created. Username: clerk1  Password: {result.demo_password}  (shown only once)")
    typer.echo(f"Clerk console: {settings.public_url}/console")
    from issuer.web.logs import LOG_CONFIG

    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=settings.host, port=settings.port,
                                           log_level="info", log_config=LOG_CONFIG))
    server.run(sockets=[listener])


@issuer_app.command("create-staff")
def create_staff(username: str, role: str = "clerk", office: str = "SEOUL-01", data_dir: DataDir = None) -> None:
    """Add a clerk, supervisor or admin; prints the generated password once (same as 'staff create')."""
    staff_create(username, role, office, data_dir)


staff_app = command_group("Staff administration: list, create, deactivate, reactivate, reset-password, role, "
                          "unlock.")
office_app = command_group("Offices: list, create.")
issuer_app.add_typer(staff_app, name="staff")
issuer_app.add_typer(office_app, name="office")


@contextlib.contextmanager
def _admin(data_dir: Path | None) -> Iterator[Session]:
    """A session for a staff change; a refused change is a usage error naming the rule (exit 2), nothing kept."""
    from issuer.staff import StaffError

    with _session(_settings(data_dir)) as session:
        try:
            yield session
        except StaffError as exc:
            session.rollback()
            raise typer.BadParameter(str(exc)) from None
        session.commit()


def _staff_id(session: Session, username: str) -> int:
    from sqlalchemy import select

    from issuer.db.models import Staff

    found = session.scalars(select(Staff.id).where(Staff.username == username)).first()
    if found is None:
        raise typer.BadParameter(f"no staff member {username}")
    return found


@staff_app.command("list")
def staff_list(data_dir: DataDir = None) -> None:
    """Every member of staff: username, role, office, active, locked, API token."""
    from issuer.staff import list_staff

    with _admin(data_dir) as session:
        rows = list_staff(session, dt.datetime.now(dt.UTC))
    for row in rows:
        typer.echo(json.dumps({"username": row.username, "role": row.role, "office": row.office,
                               "active": row.active, "locked": row.locked, "api_token": row.has_api_token}))


@staff_app.command("create")
def staff_create(username: str, role: str = "clerk", office: str = "SEOUL-01", data_dir: DataDir = None) -> None:
    """Add a clerk, supervisor or admin; prints the generated password once."""
    from issuer.staff import create_staff as create

    with _admin(data_dir) as session:
        password = create(session, actor="cli", username=username, role=role, office_code=office)
    typer.echo(json.dumps({"username": username, "password": password}))


@staff_app.command("deactivate")
def staff_deactivate(username: str, data_dir: DataDir = None) -> None:
    """No more sign-in or API access for USERNAME (kept for the audit log)."""
    from issuer.staff import set_active

    with _admin(data_dir) as session:
        set_active(session, actor="cli", staff_id=_staff_id(session, username), active=False)
    typer.echo(json.dumps({"username": username, "active": False}))


@staff_app.command("reactivate")
def staff_reactivate(username: str, data_dir: DataDir = None) -> None:
    """Let a deactivated member of staff sign in again."""
    from issuer.staff import set_active

    with _admin(data_dir) as session:
        set_active(session, actor="cli", staff_id=_staff_id(session, username), active=True)
    typer.echo(json.dumps({"username": username, "active": True}))


@staff_app.command("reset-password")
def staff_reset_password(username: str, data_dir: DataDir = None) -> None:
    """A new generated password for USERNAME, printed once (also lifts a lock)."""
    from issuer.staff import reset_password

    with _admin(data_dir) as session:
        password = reset_password(session, actor="cli", staff_id=_staff_id(session, username))
    typer.echo(json.dumps({"username": username, "password": password}))


@staff_app.command("unlock")
def staff_unlock(username: str, data_dir: DataDir = None) -> None:
    """Lift the lock after too many wrong passwords."""
    from issuer.staff import unlock

    with _admin(data_dir) as session:
        unlock(session, actor="cli", staff_id=_staff_id(session, username))
    typer.echo(json.dumps({"username": username, "locked": False}))


@staff_app.command("role")
def staff_role(username: str, role: str, data_dir: DataDir = None) -> None:
    """Give a member of staff another role (clerk, supervisor, admin); their console sessions end."""
    from issuer.staff import set_role

    with _admin(data_dir) as session:
        set_role(session, actor="cli", staff_id=_staff_id(session, username), role=role)
    typer.echo(json.dumps({"username": username, "role": role}))


@office_app.command("list")
def office_list(data_dir: DataDir = None) -> None:
    """Every office: code and name."""
    from issuer.staff import offices

    with _admin(data_dir) as session:
        rows = [(o.code, o.name) for o in offices(session)]
    for code, name in rows:
        typer.echo(json.dumps({"code": code, "name": name}, ensure_ascii=False))


@office_app.command("create")
def office_create(code: str, name: str, data_dir: DataDir = None) -> None:
    """Add an office (CODE like SEOUL-02, NAME as people know it)."""
    from issuer.staff import create_office

    with _admin(data_dir) as session:
        create_office(session, actor="cli", code=code, name=name)
    typer.echo(json.dumps({"code": code, "name": name}, ensure_ascii=False))


@issuer_app.command("api-token")
def api_token(username: str, data_dir: DataDir = None) -> None:
    """Create or rotate a member of staff's API bearer token; prints it once (only its SHA-256 is stored)."""
    from sqlalchemy import select

    from issuer import audit
    from issuer.db.models import Staff
    from issuer.security import new_token, token_hash

    settings = _settings(data_dir)
    token = new_token()  # 256 random bits
    with _session(settings) as session:
        staff = session.scalars(select(Staff).where(Staff.username == username)).first()
        if staff is None:
            raise typer.BadParameter(f"no staff member {username}")
        rotated = staff.api_token_hash is not None
        staff.api_token_hash = token_hash(token)  # the previous token, if any, stops working now
        audit.append(session, actor="cli", action="staff.api_token", target=f"staff:{staff.id}",
                     detail={"rotated": rotated})
        session.commit()
    typer.echo(json.dumps({"username": username, "api_token": token}))


@issuer_app.command()
def enroll(clerk: Annotated[str, typer.Option()], applicant: Annotated[int, typer.Option()],
           doc: Annotated[list[str], typer.Option()], document_kind: str = "id_card",
           document_number: str = "scripted",
           copies: Annotated[list[str] | None, typer.Option(
               "--copies", help="CONFIGURATION=N copies granted (default 5 age attestations, else 1).")] = None,
           data_dir: DataDir = None) -> None:
    """Script form of the counter: record a check and print {"offer_uri", "credential_offer_uri", "tx_code"}."""
    from sqlalchemy import select

    from issuer.db.models import Person, Staff
    from issuer.keys import tx_code_pepper
    from issuer.offers import create_offer, record_check

    granted: dict[str, int] = {}
    for item in copies or []:
        name, _, count = item.partition("=")
        if not name or not (count.isascii() and count.isdigit()):
            raise typer.BadParameter("--copies takes CONFIGURATION=N, e.g. age_attestation=5")
        granted[name] = int(count)
    settings = _settings(data_dir)
    now = dt.datetime.now(dt.UTC)
    with _session(settings) as session:
        staff = session.scalars(select(Staff).where(Staff.username == clerk, Staff.active)).first()
        person = session.get(Person, applicant)
        if staff is None or person is None:
            raise typer.BadParameter("unknown clerk or applicant")
        try:
            check = record_check(session, staff=staff, person=person, document_kind=document_kind,
                                 document_number=document_number, photo_match=True, notes="enrolled by script",
                                 now=now)
            offer = create_offer(session, check=check, staff=staff, configurations=doc,
                                 issuer_url=settings.public_url.rstrip("/"),
                                 ttl_seconds=settings.offer_ttl_seconds, now=now, copies=granted,
                                 pepper=tx_code_pepper(settings.data_dir))
        except ValueError as exc:  # nothing is committed: the check and its offer go together or not at all
            raise typer.BadParameter(str(exc)) from None
        session.commit()
    typer.echo(json.dumps({"offer_uri": offer.offer_uri, "credential_offer_uri": offer.reference_uri,
                           "tx_code": offer.tx_code}))


@issuer_app.command("verify-audit")
def verify_audit(data_dir: DataDir = None) -> None:
    """Walk the whole audit hash chain (and move the console's checkpoint); exit 1 naming the first broken entry."""

    from issuer.audit_view import check

    with _session(_settings(data_dir)) as session:
        broken = check(session, dt.datetime.now(dt.UTC), full=True).broken
    if broken is not None:
        typer.echo(f"audit chain broken at entry {broken}")
        raise typer.Exit(1)
    typer.echo("audit chain verified")


@issuer_app.command("sweep")
def sweep_expired(data_dir: DataDir = None) -> None:
    """Delete expired nonces, challenges, never-redeemed offers, ended rate-limit windows and old refusal
    counts now (the service also does this every MOBILEID_SWEEP_INTERVAL_SECONDS); prints what went, as JSON."""
    from issuer.sweep import sweep

    settings = _settings(data_dir)
    with _session(settings) as session:
        deleted = sweep(session, settings, dt.datetime.now(dt.UTC))
    typer.echo(json.dumps({"deleted": deleted}))


@issuer_app.command("rotate-keys")
def rotate_keys(data_dir: DataDir = None) -> None:
    """Make a new document-signer key and certificate (the old certificate stays trusted until it expires)."""

    from issuer.keys import KeyPolicy, rotate_document_signer

    settings = _settings(data_dir)
    with _session(settings) as session:
        cert = rotate_document_signer(session, settings.data_dir, policy=KeyPolicy.from_settings(settings), actor="cli")
        session.commit()
    typer.echo(f"new document signer valid until {cert.not_valid_after_utc:%Y-%m-%d}")


def _published(settings: Settings) -> tuple[PublishReport, bytes]:
    """``DATA_DIR/publish`` brought up to date (keys created on first use), and the root PEM."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from issuer.keys import KeyPolicy, Pkcs11Config, ensure_keys, load_keys
    from issuer.status import current_list
    from issuer.trust_bundle import publish_from_db

    with _session(settings) as session:
        ensure_keys(session, settings.data_dir, policy=KeyPolicy.from_settings(settings))
        current_list(session, settings.public_url, settings.status_list_size)  # what the next credential goes on
        session.commit()
        keys = load_keys(session, settings.data_dir, pkcs11=Pkcs11Config.from_settings(settings))
        try:
            report = publish_from_db(session, keys, data_dir=settings.data_dir, public_url=settings.public_url,
                                     now=dt.datetime.now(dt.UTC))
        finally:
            keys.close()
    return report, keys.iaca.public_bytes(Encoding.PEM)


@issuer_app.command("publish")
def publish_command(data_dir: DataDir = None) -> None:
    """Bring DATA_DIR/publish up to date: status lists (JWT, CWT) and the trust bundle (whole, base, index) as
    static signed files for any static server or CDN; only what changed is signed again (docs/publishing.md)."""
    report, _ = _published(_settings(data_dir))
    typer.echo(json.dumps({"folder": str(report.folder), "sequence": report.sequence, "lists": report.lists,
                           "signed": list(report.signed), "bytes": report.total_bytes}))


@issuer_app.command("export-trust")
def export_trust(out: Annotated[Path, typer.Argument(help="Where to write the signed trust bundle (CBOR).")],
                 root_out: Annotated[Path | None, typer.Option(help="Also write the pinned root (IACA) PEM.")] = None,
                 data_dir: DataDir = None) -> None:
    """Write the signed trust bundle for offline verifiers (VICAL, document signers, status lists)."""
    from issuer.publish import BUNDLE_PATH

    report, root = _published(_settings(data_dir))
    data = (report.folder / BUNDLE_PATH).read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, data, mode=0o644)  # public: what verifiers download
    if root_out is not None:
        atomic_write(root_out, root, mode=0o644)
    typer.echo(json.dumps({"bundle": str(out), "bytes": len(data), "root": str(root_out) if root_out else None}))
