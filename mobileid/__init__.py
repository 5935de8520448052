"""The one ``mobileid`` command line, fronting the issuer, wallet and verifier."""
