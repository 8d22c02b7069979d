"""xAPI 1.0.3 statements about what learners do in the tool.

`model` is a small typed statement model (no xAPI client library), `vocabulary`
the verbs, activity types and extensions the tool uses (all documented in
`profile.jsonld`), `statements` builds one statement per event, and `record`
writes it into the caller's transaction, next to the event that caused it;
`statement_query` reads a Statement API request's parameters into a typed query.

The statements follow xAPI 1.0.3; the tool does not claim cmi5 conformance.
"""
