"""Where the shared core meets the outside: files, HTTP and pictures.

The rest of ``specs`` is pure (bytes in, typed values out). The few primitives every part needs for the
outside world live here once, so the wallet, the verifier, the issuer's CLI and the app do not each keep
a copy that drifts: ``specs.io.files`` (atomic, durable file writes), ``specs.io.http`` (the HTTP seam that
maps the client's failures to typed errors once) and ``specs.io.symbols`` (QR symbols in both directions,
with bounded pictures).
"""
