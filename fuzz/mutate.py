"""A structure-aware mutator in pure Python: bytes, CBOR trees, JOSE / SD-JWT text, MID1 QR frames, JSON."""

from __future__ import annotations

import base64
import gc
import json
import random
import struct
import sys
import zlib
from typing import Any

import cbor2

INTERESTING = (b"\x00", b"\xff", b"\x7f", b"\x80", b"\x17", b"\x18", b"\x19", b"\x1a", b"\x1b", b"\x1f",
               b"\x5f", b"\x7f", b"\x9f", b"\xbf", b"\xf4", b"\xf5", b"\xf6", b"\xf7", b"\xf9\x7e\x00",
               b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00")
# tag heads: 2/3 bignums, 24 embedded CBOR, 28/29 shared refs, 258 sets, 1 epoch, 0 tdate, 1004 full-date, 18
TAGS = (b"\xc2", b"\xc3", b"\xd8\x18", b"\xd8\x1c", b"\xd8\x1d", b"\xd9\x01\x02", b"\xc1", b"\xc0",
        b"\xd9\x03\xec", b"\xd2", b"\xdb\xff\xff\xff\xff\xff\xff\xff\xff")
HUGE_HEADS = (b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", b"\x7b\x7f\xff\xff\xff\xff\xff\xff\xff",
              b"\x9b\x00\x00\x00\x01\x00\x00\x00\x00", b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff",
              b"\x5a\xff\xff\xff\xff", b"\x9a\x7f\xff\xff\xff", b"\xba\x00\x10\x00\x00",
              b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff",
              b"\x3b\xff\xff\xff\xff\xff\xff\xff\xff")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
MAX_SIZE = 64 * 1024


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- bytes ----------------------------------------------------------------------------------------------
def mutate_bytes(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(1 + int(rng.expovariate(0.7))):
        op = rng.randrange(10)
        n = len(buf)
        if op == 0 and n:  # bit flip
            i = rng.randrange(n)
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:  # random byte
            buf[rng.randrange(n)] = rng.randrange(256)
        elif op == 2:  # insert random bytes
            i = rng.randrange(n + 1)
            buf[i:i] = rng.randbytes(rng.choice((1, 1, 2, 4, 8, 32)))
        elif op == 3 and n:  # delete a range
            i = rng.randrange(n)
            del buf[i : i + rng.choice((1, 1, 2, 4, 16, 64, n))]
        elif op == 4 and n:  # duplicate a range
            i = rng.randrange(n)
            j = min(n, i + rng.choice((1, 2, 4, 16, 64, 256)))
            buf[j:j] = buf[i:j] * rng.choice((1, 2, 8))
        elif op == 5 and pool:  # splice with another seed
            other = rng.choice(pool)
            i, j = rng.randrange(n + 1), rng.randrange(len(other) + 1)
            buf = buf[:i] + other[j:] if rng.random() < 0.5 else bytearray(other[:j]) + buf[i:]
        elif op == 6:  # an interesting byte
            i = rng.randrange(n + 1)
            buf[i : i + rng.randrange(2)] = rng.choice(INTERESTING)
        elif op == 7 and n:  # truncate
            del buf[rng.randrange(n) :]
        elif op == 8 and n >= 2:  # swap two bytes
            i, j = rng.randrange(n), rng.randrange(n)
            buf[i], buf[j] = buf[j], buf[i]
        elif op == 9 and n >= 4:  # arithmetic on a 16/32-bit window
            i = rng.randrange(n - 3)
            (v,) = struct.unpack_from(">I", buf, i)
            struct.pack_into(">I", buf, i, (v + rng.choice((1, -1, 0x100, 0x7FFFFFFF))) & 0xFFFFFFFF)
    return bytes(buf[:MAX_SIZE])


# -- CBOR -----------------------------------------------------------------------------------------------
def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    raise ValueError(n)


def _encode(obj: Any, dup: Any = None) -> bytes:
    """cbor2 for leaves; maps, arrays and tags by hand so a map can carry a duplicate key (``dup``)."""
    if isinstance(obj, dict):
        items = list(obj.items())
        if obj is dup and items:
            items.append(items[0])
        return _head(5, len(items)) + b"".join(_encode(k, dup) + _encode(v, dup) for k, v in items)
    if isinstance(obj, list | tuple):
        return _head(4, len(obj)) + b"".join(_encode(v, dup) for v in obj)
    if isinstance(obj, cbor2.CBORTag):
        return _head(6, obj.tag) + _encode(obj.value, dup)
    return cbor2.dumps(obj)


def _nodes(obj: Any, out: list[tuple[Any, Any, Any]], parent: Any = None, key: Any = None, depth: int = 0) -> None:
    out.append((parent, key, obj))
    if depth > 40 or len(out) > 2000:
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            _nodes(v, out, obj, k, depth + 1)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _nodes(v, out, obj, i, depth + 1)
    elif isinstance(obj, cbor2.CBORTag):
        _nodes(obj.value, out, obj, None, depth + 1)


def _replacement(rng: random.Random, node: Any, pool_leaves: list[Any]) -> Any:
    choice = rng.randrange(16)
    if choice == 0:
        return rng.choice((0, -1, 1, 23, 24, 255, 256, 65535, 2**32, 2**63 - 1, -(2**63), 2**64 - 1, -(2**64)))
    if choice == 1:
        return rng.choice(("", "a", "\x00", "org.iso.18013.5.1", "x" * 300, "\ud800"[:0] + "é", "1.0"))
    if choice == 2:
        return rng.choice((b"", b"\x00", rng.randbytes(33), rng.randbytes(rng.randrange(1, 200))))
    if choice == 3:
        return rng.choice((None, True, False, cbor2.undefined, 1.5, float("nan"), float("inf"), -0.0))
    if choice == 4:
        return [] if rng.random() < 0.5 else [node]
    if choice == 5:
        return {} if rng.random() < 0.5 else {node if isinstance(node, str | int | bytes) else 0: node}
    if choice == 6:
        tag = rng.choice((2, 3, 24, 28, 29, 258, 0, 1, 1004, 18, 55799, 2**40))
        value = node
        if tag == 24 and not isinstance(node, bytes):
            try:
                value = cbor2.dumps(node)
            except Exception:
                value = b"\xa0"
        return cbor2.CBORTag(tag, value)
    if choice == 7 and isinstance(node, cbor2.CBORTag) and node.tag == 24 and isinstance(node.value, bytes):
        return cbor2.CBORTag(24, mutate_cbor(rng, node.value, []))  # mutate the embedded CBOR
    if choice == 8 and isinstance(node, bytes) and node[:1] and node[0] >> 5 in (4, 5, 6):
        return mutate_cbor(rng, node, [])  # bstr holding CBOR (payloads, protected headers)
    if choice == 9:
        deep: Any = node
        for _ in range(rng.choice((10, 100, 300, 1000))):
            deep = [deep]
        return deep
    if choice == 10 and isinstance(node, bytes | str):
        return node * rng.choice((2, 16, 256))
    if choice == 11 and pool_leaves:
        return rng.choice(pool_leaves)
    if choice == 12 and isinstance(node, int) and not isinstance(node, bool):
        return node + rng.choice((-1, 1, 2**32, -(2**32)))
    if choice == 13 and isinstance(node, bytes) and len(node) > 1:
        i = rng.randrange(len(node))
        return node[:i] + bytes([node[i] ^ 1 << rng.randrange(8)]) + node[i + 1 :]
    if choice == 14 and isinstance(node, str):
        return str(node.encode("utf-8", "replace")) if rng.random() < 0.3 else node.encode()
    return cbor2.CBORTag(24, b"")


def mutate_cbor(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    roll = rng.random()
    if roll < 0.3:
        return mutate_bytes(rng, data, pool)
    if roll < 0.4:  # raw structural attacks
        op = rng.randrange(4)
        i = rng.randrange(len(data) + 1)
        if op == 0:
            return data[:i] + rng.choice(TAGS) + data[i:]
        if op == 1:
            return data[:i] + rng.choice(HUGE_HEADS) + data[i + rng.randrange(2):]
        if op == 2:
            depth = rng.choice((50, 200, 1000, 5000))
            return (rng.choice((b"\x81", b"\xa1\x00", b"\xd8\x18\x41", b"\x9f")) * depth + data)[:MAX_SIZE]
        return data + rng.choice((b"\x00", b"\xff", data[:8]))
    if data[:1] * 32 == data[:32]:  # a deep-nesting input: cbor2's own recursion would hit Python's limit
        return mutate_bytes(rng, data, pool)
    try:
        tree = cbor2.loads(data)
    except Exception:
        return mutate_bytes(rng, data, pool)
    nodes: list[tuple[Any, Any, Any]] = []
    _nodes(tree, nodes)
    dup = None
    for _ in range(1 + int(rng.expovariate(1.2))):
        parent, key, node = rng.choice(nodes)
        if rng.random() < 0.15:
            maps = [n for _, _, n in nodes if isinstance(n, dict) and n]
            if maps:
                dup = rng.choice(maps)
                continue
        leaves = [n for _, _, n in rng.sample(nodes, min(8, len(nodes)))]
        new = _replacement(rng, node, leaves)
        if parent is None:
            tree = new
        elif isinstance(parent, cbor2.CBORTag):
            parent.value = new
        elif isinstance(parent, dict) and rng.random() < 0.2:
            del parent[key]
            if rng.random() < 0.5:
                parent[_replacement(rng, key, []) if not isinstance(key, dict | list) else key] = node
        else:
            parent[key] = new
    try:
        return _encode(tree, dup)[:MAX_SIZE]
    except Exception:
        return mutate_bytes(rng, data, pool)


# -- JOSE / SD-JWT text ---------------------------------------------------------------------------------
HEADERS: tuple[object, ...] = ({"alg": "none"}, {"alg": "HS256", "typ": "dc+sd-jwt"}, {"alg": "ES256", "crit": ["exp"]},
           {"alg": "ES256", "typ": "dc+sd-jwt", "x5c": ["AAAA", "!!"]}, {"alg": "ES256", "kid": 1},
           {"alg": "EdDSA", "typ": "kb+jwt"}, {"alg": "ES256", "typ": "statuslist+jwt", "x5c": "x"},
           {"alg": "ES512", "jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}, {"alg": ["ES256"]}, [])
JSON_VALUES: tuple[Any, ...] = (None, True, 0, -1, 2**64, 1e308, "", "x" * 500, [], {}, [1, [2, [3]]],
                                {"_sd": 1}, {"...": "x"}, ["a"], ["s", "n"], ["s", "_sd", 1], ["s", "...", 1],
                                {"_sd": ["AAAA"], "_sd_alg": "md5"}, {"cnf": {"jwk": {"kty": "oct"}}})


def _mutate_json_value(rng: random.Random, value: Any) -> Any:
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        if rng.random() < 0.2:
            del value[key]
        else:
            value[key] = _mutate_json_value(rng, value[key]) if rng.random() < 0.5 else rng.choice(JSON_VALUES)
        return value
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = rng.randrange(len(value))
        value[i] = _mutate_json_value(rng, value[i]) if rng.random() < 0.5 else rng.choice(JSON_VALUES)
        return value
    return rng.choice(JSON_VALUES)


def _mutate_b64_json(rng: random.Random, part: str) -> str:
    try:
        value = json.loads(b64u_decode(part))
    except Exception:
        return part
    return b64u(json.dumps(_mutate_json_value(rng, value)).encode())


def _flip_b64(rng: random.Random, part: str) -> str:
    if not part:
        return rng.choice(B64) * rng.randrange(1, 5)
    i = rng.randrange(len(part))
    return part[:i] + rng.choice(B64 + "=+/. ~\x00é") + part[i + 1 :]


def mutate_jwt(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    if rng.random() < 0.15:
        return mutate_bytes(rng, data, pool)
    text = data.decode("utf-8", "replace")
    segments = text.split("~")
    for _ in range(1 + int(rng.expovariate(1.0))):
        op = rng.randrange(9)
        i = rng.randrange(len(segments))
        if op == 0 and len(segments) > 1:
            del segments[i]
        elif op == 1:
            segments.insert(i, segments[i] if rng.random() < 0.7 else "")
        elif op == 2:  # flip a base64 char in one dot-part
            parts = segments[i].split(".")
            j = rng.randrange(len(parts))
            parts[j] = _flip_b64(rng, parts[j])
            segments[i] = ".".join(parts)
        elif op == 3:  # replace a JWS header
            parts = segments[i].split(".")
            if len(parts) == 3:
                parts[0] = b64u(json.dumps(rng.choice(HEADERS)).encode())
                if rng.random() < 0.5:
                    parts[2] = ""
                segments[i] = ".".join(parts)
        elif op == 4:  # mutate a JSON part (header, payload or a disclosure)
            parts = segments[i].split(".")
            j = rng.randrange(len(parts))
            parts[j] = _mutate_b64_json(rng, parts[j])
            segments[i] = ".".join(parts)
        elif op == 5:  # a crafted disclosure
            segments.insert(max(1, i), b64u(json.dumps(rng.choice(JSON_VALUES)).encode()))
        elif op == 6 and pool:  # splice a segment of another seed
            other = rng.choice(pool).decode("utf-8", "replace").split("~")
            segments.insert(i, rng.choice(other))
        elif op == 7:  # change the dot structure
            parts = segments[i].split(".")
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(("", "e30", parts[0])))
            segments[i] = ".".join(parts) if rng.random() < 0.5 else ".".join(parts[:-2])
        else:
            segments = segments * 2 if rng.random() < 0.2 else segments[: rng.randrange(1, len(segments) + 1)]
    return "~".join(segments).encode("utf-8", "surrogatepass")[:MAX_SIZE]


def mutate_status(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    return mutate_jwt(rng, data, pool) if data[:2] == b"ey" else mutate_cbor(rng, data, pool)


# -- MID QR frames (any profile version) -----------------------------------------------------------------
def _qr_encode(message: bytes, frames: int) -> str:
    from specs.qr import encode_message

    return "\n".join(encode_message(message, frames=frames))


def mutate_qr(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    from specs.qr import b45decode, b45encode
    from specs.qr.dictionary import DICTIONARIES, DICTIONARY

    text = data.decode("utf-8", "replace")
    roll = rng.random()
    if roll < 0.5:  # decode -> mutate the CBOR message -> re-encode as valid frames (or with another dictionary)
        try:
            frames = text.split("\n")
            compressed = b"".join(b45decode(f.split(":", 1)[1]) for f in frames)
            version = frames[0].split(":", 1)[0].split("/")[0]
            inflater = zlib.decompressobj(15, DICTIONARIES[version].data if version in DICTIONARIES else DICTIONARY)
            message = inflater.decompress(compressed, 1 << 17)
            message = mutate_cbor(rng, message, []) if roll < 0.4 else message
            if roll < 0.45:
                return _qr_encode(message, rng.choice((1, 1, 1, 2, 3, 16))).encode()
            # the profile's dictionary games: another version's dictionary, none, or a stranger's, any prefix
            other = rng.choice((*(d.data for d in DICTIONARIES.values()), b"", b"resp documents docType"))
            packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, other) if other else \
                zlib.compressobj(rng.randrange(10))
            prefix = rng.choice((*DICTIONARIES, "MID3"))
            return f"{prefix}:{b45encode(packer.compress(message) + packer.flush())}".encode()
        except Exception:
            return mutate_bytes(rng, data, pool)
    frames = text.split("\n")
    i = rng.randrange(len(frames))
    head, _, body = frames[i].partition(":")
    op = rng.randrange(9)
    if op == 0:  # frame header fields
        head = rng.choice(("MID1", "MID2", "MID3", "MID", "MID2/1/1/ABCDEF", "MID1/1/1/ABCDEF", "MID1/0/1/ABCDEF",
                           "MID2/2/1/ABCDEF", "MID2/2/2/ABCDEF",
                           "MID1/1/17/ABCDEF", "MID1/1/2/ABCDE", "MID1/1/2/ABCDEFG", "MID1/١/2/ABCDEF",
                           "MID1/1/99999999999999999999/ABCDEF", "MID1//", "mid1", "MID1/1/2/" + "ZZZZZZ"))
    elif op == 1 and body:  # a base45 char
        j = rng.randrange(len(body))
        body = body[:j] + rng.choice(B45 + "a~\x00") + body[j + 1 :]
    elif op == 2:  # base45 length games
        cut = body[: rng.randrange(len(body) + 1)]
        body = cut if rng.random() < 0.5 else body + rng.choice(("0", "00", ":::", "GGW"))
    elif op == 3:
        frames.insert(i, frames[i])
    elif op == 4 and len(frames) > 1:
        del frames[i]
        return "\n".join(frames).encode()
    elif op == 5:  # zlib bombs and raw deflate
        payload = _bomb(rng.choice((1 << 16, 1 << 20, 1 << 24)), rng.choice((b"", DICTIONARY)))
        body = b45encode(payload if rng.random() < 0.7 else rng.randbytes(40))
    elif op == 6:
        frames[i] = frames[i] * rng.choice((2, 50))
        return "\n".join(frames).encode()[:MAX_SIZE]
    elif op == 7:
        body = b45encode(mutate_bytes(rng, b45decode_safe(body), []))
    else:
        return mutate_bytes(rng, data, pool)
    frames[i] = f"{head}:{body}"
    return "\n".join(frames).encode()[:MAX_SIZE]


_BOMBS: dict[tuple[int, bytes], bytes] = {}


def _bomb(size: int, dictionary: bytes) -> bytes:
    """Zeros deflated, with the profile's dictionary (so that the inflation limit is reached) or none."""
    if (size, dictionary) not in _BOMBS:
        packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary) if dictionary \
            else zlib.compressobj(9)
        _BOMBS[size, dictionary] = packer.compress(b"\x00" * size) + packer.flush()
    return _BOMBS[size, dictionary]


def b45decode_safe(body: str) -> bytes:
    from specs.qr import b45decode

    try:
        return b45decode(body)
    except Exception:
        return body.encode("utf-8", "replace")


# -- JSON / form bodies (OpenID4VCI) --------------------------------------------------------------------
def mutate_json(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    roll = rng.random()
    if roll < 0.25:
        return mutate_bytes(rng, data, pool)
    try:
        value = json.loads(data)
    except Exception:
        return mutate_bytes(rng, data, pool)
    if roll < 0.55:  # mutate the proof JWTs inside
        proofs = (value.get("proofs") or {}).get("jwt") if isinstance(value, dict) and isinstance(
            value.get("proofs"), dict) else None
        if isinstance(proofs, list) and proofs and isinstance(proofs[0], str):
            j = rng.randrange(len(proofs))
            proofs[j] = mutate_jwt(rng, proofs[j].encode(), []).decode("utf-8", "replace")
            if rng.random() < 0.1:
                proofs.extend(proofs * rng.choice((1, 10, 100)))
            return json.dumps(value).encode()
    return json.dumps(_mutate_json_value(rng, value)).encode()


# What breaks a service behind its parsers (issue: never a 5xx from input): NUL and control characters, lone
# surrogates (as JSON escapes and as undecodable UTF-8), digits that no 32- or 64-bit column holds.
HOSTILE_TEXT = ("\x00", "a\x00b", "\ud800", "x\udfffy", "\x1b[0m", "\u202e", "¹²³", "%_\\", "9" * 25, str(2**63),
                str(2**31), "-" + "9" * 40)
HOSTILE_NUMBERS = (2**64, -(2**63) - 1, 2**31, 10**40, 1e308 * 10, -0.0)
HOSTILE_FORM = (b"%00", b"a%00b", b"%ED%A0%80", b"%ff%fe", b"%1b", b"%C2%B9%C2%B2", b"9" * 25, b"%" + b"9")


def _hostile_json(rng: random.Random, value: Any) -> Any:
    """``value`` with one string or number replaced by a hostile one, or nested in a deep array."""
    roll = rng.random()
    if roll < 0.1:
        for _ in range(rng.choice((17, 100, 3000))):
            value = [value]
        return value
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        value[key] = rng.choice(HOSTILE_TEXT + HOSTILE_NUMBERS) if rng.random() < 0.7 else _hostile_json(
            rng, value[key])
        return value
    if isinstance(value, list) and value:
        i = rng.randrange(len(value))
        value[i] = _hostile_json(rng, value[i])
        return value
    return rng.choice(HOSTILE_TEXT + HOSTILE_NUMBERS)


def mutate_http(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    route, body = data[:1], data[1:]
    if rng.random() < 0.05 and pool:
        route = rng.choice(pool)[:1]  # one route's body sent to another
    if rng.random() < 0.3:
        if route in (b"T", b"Q", b"P"):
            fields = body.split(b"&")
            i = rng.randrange(len(fields))
            name = fields[i].split(b"=", 1)[0]
            fields[i] = rng.choice((name + b"=" + rng.choice(HOSTILE_FORM), rng.choice(HOSTILE_FORM) + b"=x"))
            return route + b"&".join(fields)
        try:
            return route + json.dumps(_hostile_json(rng, json.loads(body)), ensure_ascii=True).encode()
        except (ValueError, RecursionError):
            pass
    if route in (b"Q", b"P"):
        return route + mutate_bytes(rng, body, [])
    if route == b"T":
        if rng.random() < 0.5:
            return route + mutate_bytes(rng, body, [])
        fields = body.split(b"&")
        i = rng.randrange(len(fields))
        fields[i] = rng.choice((b"", b"grant_type", b"tx_code=" + rng.randbytes(6), b"pre-authorized_code=%00",
                                b"grant_type=authorization_code", b"tx_code=" + b"9" * 5000, fields[i] * 2,
                                b"%ff%fe=%80", b"grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code"))
        return route + b"&".join(fields)
    return route + mutate_json(rng, body, [p[1:] for p in pool])


# -- wallet files (a kind byte, then the file's JSON) ---------------------------------------------------------
def mutate_wallet_file(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """Damage as disks and interrupted writes make it (bytes flipped, cut short, a base64 character changed in a
    sealed field), and structure changes (types, values, missing members), of one wallet file."""
    kind, body = data[:1], data[1:]
    roll = rng.random()
    if roll < 0.05 and pool:
        kind = rng.choice(pool)[:1]  # one kind of file where another belongs
    if roll < 0.35:
        return kind + mutate_bytes(rng, body, [p[1:] for p in pool])
    try:
        value = json.loads(body)
    except Exception:
        return kind + mutate_bytes(rng, body, [])
    texts = [k for k, v in value.items() if isinstance(v, str) and v] if isinstance(value, dict) else []
    if roll < 0.7 and texts:
        name = rng.choice(texts)
        text = value[name]
        i = rng.randrange(len(text))
        value[name] = rng.choice((text[:i] + rng.choice(B45 + "+/=") + text[i + 1:], text[:i], text + text[i:]))
        return kind + json.dumps(value).encode()
    return kind + json.dumps(_mutate_json_value(rng, value)).encode()


# -- pictures (PNG chunks with their CRCs mended, so the header parser sees what the mutation says) ---------
def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, i = [], 8
    while i + 8 <= len(data):
        (size,) = struct.unpack_from(">I", data, i)
        chunks.append((data[i + 4:i + 8], data[i + 8:i + 8 + size]))
        i += 12 + size
    return chunks


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(struct.pack(">I", len(body)) + kind + body
                                          + struct.pack(">I", zlib.crc32(kind + body)) for kind, body in chunks)


def mutate_picture(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """Byte mutation, or for a PNG: a header that declares other sizes (up to 2^31 - 1 a side), depths
    and colour types, a chunk dropped, repeated or changed, all with valid CRCs."""
    if not data.startswith(b"\x89PNG") or rng.random() < 0.3:
        return mutate_bytes(rng, data, pool)
    chunks = _png_chunks(data)
    if not chunks:
        return mutate_bytes(rng, data, pool)
    op = rng.randrange(4)
    if op == 0 and chunks[0][0] == b"IHDR" and len(chunks[0][1]) == 13:
        width, height, depth, colour, *rest = struct.unpack(">IIBBBBB", chunks[0][1])
        side = rng.choice((0, 1, 4097, 13000, 20000, 65535, 2**31 - 1))
        width, height = rng.choice(((side, height), (width, side), (side, side)))
        depth, colour = rng.choice(((depth, colour), (16, 6), (16, 2), (1, 0), (8, 3), (rng.randrange(256), colour)))
        chunks[0] = (b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, *rest))
    elif op == 1:
        i = rng.randrange(len(chunks))
        chunks[i:i + 1] = rng.choice(([], [chunks[i]] * rng.choice((2, 16))))
    else:
        i = rng.randrange(len(chunks))
        chunks[i] = (chunks[i][0], mutate_bytes(rng, chunks[i][1], []))
    return _png(chunks)


def guarded(mutator: Any) -> Any:
    """A mutator bug must not stop the run: fall back to plain byte mutation."""

    def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
        # cbor2 (used here, in the fuzzer, without depth limits) reports recursion on deep inputs as an
        # "unraisable" exception; that is the mutator's noise, not a finding about the code under test.
        hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
        try:
            out = mutator(rng, data, pool)
            gc.collect(0)  # let objects the mutator dropped die while the quiet hook is in place
        except Exception:
            out = mutate_bytes(rng, data, pool)
        finally:
            sys.unraisablehook = hook
        return out if isinstance(out, bytes) else bytes(out)

    return mutate


MUTATORS = {"cbor": mutate_cbor, "jwt": mutate_jwt, "qr": mutate_qr, "json": mutate_json, "status": mutate_status,
            "http": mutate_http, "bytes": mutate_bytes, "wallet": mutate_wallet_file, "picture": mutate_picture}
