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
    doc_type = _type(credential)
    title = f"{doc_type.display_name('ko')} · {doc_type.display_name('en')}" if doc_type else "?"
    rows: list[dict[str, str] | None] = []
    for name, value in credential.get("claims", {}).items():
        if isinstance(value, Mapping):  # an mdoc namespace
            rows.extend(_row(doc_type, str(name), str(k), v) for k, v in value.items())
        else:
            rows.append(_row(doc_type, None, str(name), value))
    shown = [r for r in rows if r is not None]
    if doc_type is not None:  # the catalogue's order (name, birth date, address, ...), not the wallet's
        order = {f"{c.display.name('ko')} · {c.display.name('en')}": i for i, c in enumerate(doc_type.claims)}
        shown.sort(key=lambda r: order.get(r["label"], len(order)))
    return {"title": title, "rows": shown}


def _type(credential: Mapping[str, Any]) -> DocumentType | None:
    catalogue = Catalogue.load_default()
    try:
        if credential.get("doctype"):
            return catalogue.by_doctype(str(credential["doctype"]))
        return catalogue.by_vct(str(credential.get("vct")))
    except CatalogueError:
        return None


def _row(doc_type: DocumentType | None, namespace: str | None, name: str, value: Any) -> dict[str, str] | None:
    label = name
    kind = None
    if doc_type is not None:
        try:
            claim = doc_type.claim(namespace, name)
            label, kind = f"{claim.display.name('ko')} · {claim.display.name('en')}", claim.type
        except CatalogueError:
            pass
    if kind in ("jpeg", "bytes") or isinstance(value, Mapping | list):
        return None  # pictures and structures are for the bank's back office, not this page
    if isinstance(value, bool):
        text = "예 · yes" if value else "아니오 · no"
    elif isinstance(value, int) and name.endswith("_krw"):
        text = f"{value:,} 원"
    else:
        text = str(value)
    return {"label": label, "value": text[:200]}
