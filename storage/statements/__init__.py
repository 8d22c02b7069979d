"""xAPI statements: the embedded store, the Statement API's queries, and who may read them.

- `store`: every statement the tool makes, kept as sent, with the agents and activities it
  mentions (the rows and how they are written);
- `queries`: an organisation's statements filtered, ordered and paged as xAPI 1.0.3
  GET /statements says;
- `credentials`: the Statement API's HTTP Basic credentials, one organisation each.

Callers import from `storage.statements`; the names below are the package's.
"""

from storage.statements.credentials import (
    LAST_USED_RESOLUTION,
    NewCredential,
    StatementApiCredential,
    create_credential,
    credential_organisation,
    hash_secret,
    list_credentials,
    remove_credential,
    secret_matches,
    verify_credential,
)
from storage.statements.queries import (
    MAX_LIMIT,
    Cursor,
    Page,
    StatementFilter,
    count_statements,
    find_statements,
    page_size,
    statement,
    stream_statements,
    voided_statement,
)
from storage.statements.store import (
    ACTIVITY,
    AGENT,
    VOIDED,
    XapiStatement,
    XapiStatementRef,
    agent_key,
    insert_statement,
    statement_refs,
    statements_of,
    store_statement,
    write_statements,
)

__all__ = [
    "credential_organisation",
    "ACTIVITY",
    "AGENT",
    "LAST_USED_RESOLUTION",
    "MAX_LIMIT",
    "VOIDED",
    "Cursor",
    "NewCredential",
    "Page",
    "StatementApiCredential",
    "StatementFilter",
    "XapiStatement",
    "XapiStatementRef",
    "agent_key",
    "count_statements",
    "create_credential",
    "find_statements",
    "hash_secret",
    "insert_statement",
    "list_credentials",
    "page_size",
    "remove_credential",
    "secret_matches",
    "statement",
    "statement_refs",
    "statements_of",
    "store_statement",
    "stream_statements",
    "verify_credential",
    "voided_statement",
    "write_statements",
]
