"""Status lists on the issuer side (issuer/status.py): a list filled to ``max_fill`` makes way for the next one,
workers opening it at the same moment open it once, and a fill limit outside (0, 0.9] is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from issuer.db.models import Credential, StatusListRow
from issuer.status import CurrentList, ListRef, current_list, open_next_list
from specs.crypto import SoftwareSigner
from specs.status import StatusList

from .conftest import ISSUER_URL, Service
from .test_oid4vci import _credential, _nonce, _offer, _proof, _redeemable


def _small_list(service: Service, size: int) -> None:
    with service.session() as session:
        current_list(session, ISSUER_URL, service.settings.status_list_size)
        session.add(StatusListRow(uri=f"{ISSUER_URL}/status/2", bits=2, size=size,
                                  data=StatusList.empty(size, 2).data))
        session.commit()


def _per_list(service: Service) -> dict[str, int]:
    with service.session() as session:
        rows = session.execute(select(StatusListRow.uri, func.count(Credential.id))
                               .join(Credential, Credential.status_list_id == StatusListRow.id)
                               .group_by(StatusListRow.uri)).all()
    return {uri.rsplit("/", 1)[1]: count for uri, count in rows}


def test_a_list_filled_to_max_fill_makes_way_for_the_next(service: Service) -> None:
    _small_list(service, 16)
    state = service.client.app.state.mobileid  # type: ignore[attr-defined]
    state.lists = CurrentList(0.75)  # as a worker started now would: list 2 (16 entries) is the newest
    tokens = [_redeemable(service, *_offer(service, copies={"mdl": 10})) for _ in range(2)]
    for batch in range(7):  # 7 batches of 2: 12 (= 0.75 x 16) fill list 2, the 7th goes on list 3
        nonce = _nonce(service)
        proofs = [_proof(service, SoftwareSigner.generate(), nonce) for _ in range(2)]
        answer = _credential(service, tokens[batch // 5], proofs)
        assert answer.status_code == 200, answer.text
    assert _per_list(service) == {"2": 12, "3": 2}
    with service.session() as session:
        newest = session.scalars(select(StatusListRow).order_by(StatusListRow.id.desc())).first()
    assert newest is not None and newest.uri == f"{ISSUER_URL}/status/3"
    assert newest.size == service.settings.status_list_size  # the next list has the configured size


def test_workers_opening_the_next_list_together_open_it_once(service: Service) -> None:
    _small_list(service, 16)
    with service.session() as session:
        row = session.scalars(select(StatusListRow).where(StatusListRow.uri == f"{ISSUER_URL}/status/2")).one()
        full = ListRef(row.id, row.uri, row.size)
    first, second = service.session(), service.session()
    open_next_list(first, full, 64)
    first.commit()
    open_next_list(second, full, 64)  # found full at the same moment: its insert loses, its transaction goes on
    second.commit()
    first.close()
    second.close()
    with service.session() as session:
        uris = session.scalars(select(StatusListRow.uri).order_by(StatusListRow.id)).all()
    assert uris == [f"{ISSUER_URL}/status/1", f"{ISSUER_URL}/status/2", f"{ISSUER_URL}/status/3"]


@pytest.mark.parametrize("max_fill", [0.0, -0.5, 0.91, 1.0])
def test_a_fill_limit_outside_its_range_is_refused(max_fill: float) -> None:
    with pytest.raises(ValueError, match="max_fill"):
        CurrentList(max_fill)
