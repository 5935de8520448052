"""``mobileid verifier serve``: the online verifier (OpenID4VP 1.0) beside a business's website.

Settings come from ``MOBILEID_VERIFIER_*`` (``verifier/web/settings.py``) or these options. The first
start creates the data folder: the SQLite database (or ``--database-url postgresql+psycopg://...``), the
business API token in ``api.token`` and the webhook key in ``webhook.key`` (both owner-only; their paths
are printed, never their contents), and a reader certificate unless ``--reader-cert``/``--reader-key`` name
one (``mobileid verifier reader-cert``; give wallets its ``reader_root.pem``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from verifier.cli import verifier_group

__all__ = ["serve_command"]

_FILE = click.Path(path_type=Path, dir_okay=False, exists=True)


@verifier_group.command("serve")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for the database, api.token, webhook.key (default: verifier-data).")
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8100).")
@click.option("--public-url", default=None, help="Where wallets reach this service (request_uri, response_uri).")
@click.option("--database-url", default=None, help="SQLAlchemy URL; default SQLite in the data folder.")
@click.option("--trust", "trust", type=click.Path(path_type=Path, exists=True), default=None,
              help="The trust bundle folder kept fresh by 'mobileid verifier sync' (re-read when it changes).")
@click.option("--reader-cert", type=_FILE, default=None, help="reader.pem from 'mobileid verifier reader-cert'.")
@click.option("--reader-key", type=_FILE, default=None, help="reader_key.pem from 'mobileid verifier reader-cert'.")
@click.option("--dns-name", default=None, help="Sign as x509_san_dns:NAME (a DNS name of the reader certificate); "
                                               "default x509_hash.")
@click.option("--business-name", default=None, help="The name the relying-party page shows.")
def serve_command(data_dir: Path | None, host: str | None, port: int | None, public_url: str | None,
                  database_url: str | None, trust: Path | None, reader_cert: Path | None, reader_key: Path | None,
                  dns_name: str | None, business_name: str | None) -> None:
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
        raise click.UsageError(f"{exc.plain('en')} [{exc.code}] ({exc.message})") from None
    st = app.state.mobileid
    click.echo(f"Client identifier: {st.reader.client_id}")
    click.echo(f"Business API token: {settings.data_dir / 'api.token'} (Authorization: Bearer ...)")
    click.echo(f"Webhook signing key: {settings.data_dir / 'webhook.key'}")
    click.echo(f"Relying-party page: {settings.public_url.rstrip('/')}/bank")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
