"""The JWT forms' decoding steps with and without the C base64url (specs/jose/_b64url.c), interleaved in one run.

    .venv/bin/python benchmarks/jose_steps.py

Each step of the SD-JWT VC and status token cases of ``benchmarks/verify.py`` that base64url touches, timed with
``specs.jose.jws._native`` on and off in alternation (fastest of 7 repeats of each, twice); informative, no goal.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _fixtures import NOW, make_sd_jwt_vc

import specs.jose.jws as jws
from specs.crypto import SoftwareSigner
from specs.jose import Jws, b64url_decode, b64url_encode, b64url_json
from specs.sdjwt import SdJwt
from specs.sdjwt.processing import index_disclosures
from specs.status import StatusList, issue_jwt


def steps() -> list[tuple[str, Callable[[], object]]]:
    rng = random.Random(16)
    size = 131_072  # the status token of benchmarks/verify.py
    updates = {i: 1 for i in rng.sample(range(size), size // 100)}
    updates.update({i: 2 for i in rng.sample(range(size), size // 200) if i not in updates})
    status_list = StatusList.empty(size, bits=2).with_statuses(updates)
    token = issue_jwt(SoftwareSigner.generate(), subject="https://issuer.example.kr/status/1",
                      status_list=status_list, issued_at=NOW, expires_at=NOW + dt.timedelta(days=1), ttl=3600)
    payload = token.split(".")[1]
    lst = Jws.parse(token).payload["status_list"]["lst"]
    presentation = make_sd_jwt_vc().presentation
    sd = SdJwt.parse(presentation)
    disclosure = sd.disclosures[0].encoded
    digest = bytes(32)
    return [
        (f"b64url_decode, the status list's lst ({len(lst)} characters)", lambda: b64url_decode(lst)),
        (f"b64url_json, the status token's payload ({len(payload)} characters)", lambda: b64url_json(payload, "p")),
        ("Jws.parse, the status token", lambda: Jws.parse(token)),
        (f"b64url_json, one disclosure ({len(disclosure)} characters)", lambda: b64url_json(disclosure, "d")),
        ("b64url_encode, a 32-byte digest", lambda: b64url_encode(digest)),
        (f"SdJwt.parse, {len(sd.disclosures)} disclosures + KB-JWT", lambda: SdJwt.parse(presentation)),
        (f"index_disclosures, {len(sd.disclosures)} digests", lambda: index_disclosures(sd.disclosures, "sha-256")),
    ]


def main() -> None:
    native = jws._native
    if native is None:
        raise SystemExit("the C part of specs.jose is not built (pip install -e . with a C compiler)")
    print(f"load average {[round(x, 2) for x in os.getloadavg()]}; us per call, fastest of 7 repeats")
    print("| step | pure Python | C base64url | ratio |\n|---|---|---|---|")
    for name, fn in steps():
        number = 2000
        figures: dict[bool, float] = {True: float("inf"), False: float("inf")}
        for on in (True, False, True, False):
            jws._native = native if on else None
            try:
                best = min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6
            finally:
                jws._native = native
            figures[on] = min(figures[on], best)
        print(f"| {name} | {figures[False]:.2f} | {figures[True]:.2f} | {figures[False] / figures[True]:.1f}x |")


if __name__ == "__main__":
    main()
