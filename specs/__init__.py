"""mobileid's shared core: the credential standards, executable (no I/O, no web, no UI)."""
