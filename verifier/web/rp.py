"""The relying party's page: a bank's "open an account" step, served by the verifier for demos and tests.

``/bank`` -> "Open an account" -> a transaction for ``bank_account_opening`` -> ``/bank/{id}`` shows the QR
code (cross device) and the wallet link (same device), and polls ``/bank/{id}/status`` until the wallet has
answered; then it shows the verified claims with their names in Korean and English. Every value reaches
the page as JSON and is inserted as text (``textContent``), so nothing a wallet sends can become markup;
the Content-Security-Policy allows this site's own script and style only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from specs.catalogue import Catalogue, DocumentType
from specs.claims import Claim, build_claims
from specs.errors import CatalogueError
from verifier.dcql_presets import preset

__all__ = ["router"]

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)
CSP = "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'"
_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_STATIC = {"rp.js": "text/javascript", "rp.css": "text/css"}


def _state(request: Request) -> Any:
    return request.app.state.mobileid


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/bank", status_code=307)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in _STATIC:
        raise HTTPException(404)
    return Response((HERE / "static" / name).read_bytes(), media_type=_STATIC[name], headers=_HEADERS)


@router.get("/bank", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "bank.html", {"bank": _state(request).settings.business_name},
                                      headers=_HEADERS)


@router.post("/bank/start")
def start(request: Request) -> RedirectResponse:
    from verifier.web.app import new_transaction

    created = new_transaction(_state(request), preset_name="bank_account_opening", dcql=preset("bank_account_opening"))
    return RedirectResponse(f"/bank/{created['transaction_id']}", status_code=303)


@router.get("/bank/{transaction_id}", response_class=HTMLResponse)
def waiting(request: Request, transaction_id: str) -> HTMLResponse:
    from specs.oid4vp import AuthorizationRequestUri

    st = _state(request)
    row = st.store.get(transaction_id)
    if row is None:
        raise HTTPException(404, "no such application")
    link = AuthorizationRequestUri(row.client_id, st.request_uri(transaction_id)).to_uri()
    return templates.TemplateResponse(request, "bank_wait.html", {
        "bank": st.settings.business_name, "transaction_id": transaction_id, "link": link}, headers=_HEADERS)


@router.get("/bank/{transaction_id}/status")
def status(request: Request, transaction_id: str) -> JSONResponse:
    from verifier.web.app import transaction_view

    view = transaction_view(_state(request), transaction_id)
    result = view["result"] or {}
    return JSONResponse({"status": view["status"], "accepted": bool(result.get("accepted")),
                         "documents": [_document(c) for c in result.get("credentials", []) if c.get("valid")],
                         "problems": [e["code"] for e in result.get("errors", [])]}, headers=_HEADERS)


def _document(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The verified document as the page shows it: the one claims model (``specs.claims``), each label and
    value in Korean and English, in the catalogue's order (name, birth date, address, ...)."""
    doc_type = _type(credential)
    title = f"{doc_type.display_name('ko')} · {doc_type.display_name('en')}" if doc_type else "?"
    claims = credential.get("claims", {})
    triples: list[tuple[str | None, str, Any]] = [(str(ns), str(k), v) for ns, values in claims.items()
                                                  if isinstance(values, Mapping) for k, v in values.items()]  # mdoc
    triples += [(None, str(k), v) for k, v in claims.items() if not isinstance(v, Mapping)]
    shown = [_row(claim) for claim in build_claims(doc_type, triples)
             if claim.kind not in ("jpeg", "bytes") and not isinstance(claim.value, Mapping | list)]
    if doc_type is not None:
        definitions = doc_type.claims
        shown.sort(key=lambda row: next((i for i, c in enumerate(definitions) if c.matches(row["id"])),
                                        len(definitions)))
    return {"title": title, "rows": [{"label": r["label"], "value": r["value"]} for r in shown]}


def _type(credential: Mapping[str, Any]) -> DocumentType | None:
    try:
        return Catalogue.load_default().find(str(credential.get("doctype") or credential.get("vct")))
    except CatalogueError:
        return None


def _row(claim: Claim) -> dict[str, str]:
    """Pictures and structures are for the bank's back office, not this page (the caller leaves them out)."""
    if isinstance(claim.value, int) and not isinstance(claim.value, bool) and claim.identifier.endswith("_krw"):
        text = f"{claim.value:,} 원"
    else:
        ko, en = claim.render("ko"), claim.render("en")
        text = ko if ko == en else f"{ko} · {en}"
    return {"id": claim.identifier, "label": f"{claim.name('ko')} · {claim.name('en')}", "value": text[:200]}
