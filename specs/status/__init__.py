"""IETF Token Status List (draft-ietf-oauth-status-list): lists, tokens, references."""
