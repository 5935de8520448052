"""``mobileid verifier serve``: the online verifier a business runs beside its website (OpenID4VP 1.0)."""
