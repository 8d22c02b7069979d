"""LTI 1.3 protocol pieces around pylti1p3, free of any web framework.

pylti1p3 parses and routes LTI messages; this package closes its security gaps
(nonce consumption, browser-bound state, JWKS refetch, typed failures) and
connects it to the tool's database.  `lti_tool` adapts it to Flask.
"""
