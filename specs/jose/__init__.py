"""JOSE pieces mobileid needs: compact JWS with pinned algorithms, strict JSON, JWK <-> key."""

from specs.jose.jwk import jwk_from_key, jwk_thumbprint, key_from_jwk
from specs.jose.jws import MAX_JWS_SIZE, Jws, b64url_decode, b64url_encode, b64url_json, parse_json, sign_compact

__all__ = ["MAX_JWS_SIZE", "Jws", "b64url_decode", "b64url_encode", "b64url_json", "jwk_from_key", "jwk_thumbprint",
           "key_from_jwk", "parse_json", "sign_compact"]
