"""The demo's online step: a bank's "open an account" page asks for the resident card and the income
certificate over OpenID4VP 1.0, the wallet answers, and the page shows the verified claims.

The bank runs ``mobileid verifier serve``'s app in this process (an in-process HTTP client, no socket),
trusting the issuer's exported trust bundle and signing its requests with a reader certificate made on
its first start. The wallet fetches the request behind the page's QR code, checks who signed it against
the bank's reader root, says in plain words what is asked, consents and posts the encrypted answer.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from rich.markup import escape

BANK_URL = "http://bank.demo"


def online_step(out: Path, steps: Any, wallet: Any, pin: str, bundle_dir: Path) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from specs.x509 import TrustStore
    from verifier.trust import VerifierTrust
    from verifier.web.app import create_app
    from verifier.web.settings import VerifierSettings
    from wallet.oid4vp import OnlinePresenter, fetch_request
    from wallet.oid4vp_words import describe_plan

    settings = VerifierSettings(data_dir=out / "bank", public_url=BANK_URL, business_name="Hana Bank")
    app = create_app(settings, trust=VerifierTrust.from_path(bundle_dir))
    with TestClient(app, base_url=BANK_URL) as bank:
        page = bank.post("/bank/start", follow_redirects=True)
        link = re.search(r'id="same-device" href="([^"]+)"', page.text)
        assert page.status_code == 200 and link is not None, "the bank's page shows no request"
        uri = link.group(1).replace("&amp;", "&")
        steps.say(f"A bank's website ({BANK_URL}/bank, run by `mobileid verifier serve` in this process) opened "
                  "an account application and showed a QR code asking over OpenID4VP for the resident card and "
                  "the income certificate.")
        roots = TrustStore.from_path(settings.data_dir / "reader" / "reader_root.pem")
        received = fetch_request(uri, http=bank, reader_roots=roots, now=dt.datetime.now(dt.UTC))
        presenter = OnlinePresenter(wallet)
        plan = presenter.plan(pin, received)
        steps.say("The wallet scanned it, checked the bank's signed request and showed the holder:")
        for line in describe_plan(plan, "en"):
            steps.note(escape(line))
        outcome = presenter.respond(pin, plan, http=bank)
        transaction = uri.rsplit("%2F", 1)[-1]
        shown = bank.get(f"/bank/{transaction}/status").json()
    steps.say("The holder consented; the wallet sent fresh single-use copies, encrypted to the bank's key. The "
              "bank's page now shows: " + _page_verdict(shown))
    for document in shown["documents"]:
        rows = ", ".join(f"{r['label'].split(' · ')[-1]}: {r['value']}" for r in document["rows"])
        steps.note(escape(f"{document['title'].split(' · ')[-1]} — {rows}"))
    return {"delivered": outcome.delivered, "accepted": shown["accepted"], "status": shown["status"],
            "documents": [d["title"] for d in shown["documents"]]}


def _page_verdict(shown: dict[str, Any]) -> str:
    """The headline the bank's page shows (``verifier/web/static/rp.js``): its answer to the bank's question
    (were the documents asked for shown and verified?), and each refusal in plain words with its code."""
    from specs.messages import message

    if shown["accepted"]:
        return "[bold green]본인 확인 완료 · Verified[/bold green]"
    why = "; ".join(f"{message(str(code), 'en')} [{code}]" for code in shown["problems"])
    return "[bold red]확인 실패 · Not verified[/bold red] " + escape(why)
