"""Offline verifier: QR or bytes in, a typed `VerificationResult` out. Fails closed."""
