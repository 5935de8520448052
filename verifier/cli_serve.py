"""``mobileid verifier serve``: the online verifier (OpenID4VP 1.0) beside a business's website.

Settings come from ``MOBILEID_VERIFIER_*`` (``verifier/web/settings.py``) or these options. The first
start creates the data folder: the SQLite database (or ``--database-url postgresql+psycopg://...``), the
business API token in ``api.token`` and the webhook key in ``webhook.key`` (both owner-only; their paths
are printed, never their contents), and a reader certificate unless ``--reader-cert``/``--reader-key`` name
one (``mobileid verifier reader-cert``; give wallets its ``reader_root.pem``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from verifier.cli import EXIT_USAGE, verifier_app

__all__ = ["serve_command"]


@verifier_app.command("serve")
def serve_command(
        data_dir: Annotated[Path | None, typer.Option(
            file_okay=False, help="Folder for the database, api.token, webhook.key (default: verifier-data).")
        ] = None,
        host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default 8100).")] = None,
        public_url: Annotated[str | None, typer.Option(
            help="Where wallets reach this service (request_uri, response_uri).")] = None,
        database_url: Annotated[str | None, typer.Option(
            help="SQLAlchemy URL; default SQLite in the data folder.")] = None,
        trust: Annotated[Path | None, typer.Option(
            exists=True, help="The trust bundle folder kept fresh by 'mobileid verifier sync' (re-read when it "
                              "changes).")] = None,
        reader_cert: Annotated[Path | None, typer.Option(
            dir_okay=False, exists=True, help="reader.pem from 'mobileid verifier reader-cert'.")] = None,
        reader_key: Annotated[Path | None, typer.Option(
            dir_okay=False, exists=True, help="reader_key.pem from 'mobileid verifier reader-cert'.")] = None,
        dns_name: Annotated[str | None, typer.Option(
            help="Sign as x509_san_dns:NAME (a DNS name of the reader certificate); default x509_hash.")] = None,
        business_name: Annotated[str | None, typer.Option(help="The name the relying-party page shows.")] = None
) -> None:
    """Run the online verifier: transactions API, request objects, encrypted responses, the /bank page."""
    import uvicorn

    from specs.errors import MobileIdError
    from verifier.web.app import create_app
    from verifier.web.settings import VerifierSettings

    given: dict[str, Any] = {"data_dir": data_dir, "host": host, "port": port, "public_url": public_url,
                             "database_url": database_url, "trust": trust, "reader_cert": reader_cert,
                             "reader_key": reader_key, "dns_name": dns_name,
                             "business_name": business_name}
    settings = VerifierSettings(**{k: v for k, v in given.items() if v is not None})
    try:
        app = create_app(settings)
    except MobileIdError as exc:
        typer.echo(f"error: {exc.plain('en')} [{exc.code}] ({exc.message})", err=True)
        sys.exit(EXIT_USAGE)
    st = app.state.mobileid
    typer.echo(f"Client identifier: {st.reader.client_id}")
    typer.echo(f"Business API token: {settings.data_dir / 'api.token'} (Authorization: Bearer ...)")
    typer.echo(f"Webhook signing key: {settings.data_dir / 'webhook.key'}")
    typer.echo(f"Relying-party page: {settings.public_url.rstrip('/')}/bank")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
