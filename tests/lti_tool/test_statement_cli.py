"""An operator hands out Statement API credentials and exports an organisation's statements."""

import json
from datetime import timedelta

import requests

from storage.statements import create_credential
from tests.support.statement_store import T0, XAPI_1, attempt, organisation, store, void


def printed(output: str, label: str) -> str:
    return next(line.split()[-1] for line in output.splitlines() if line.startswith(label))


def test_a_credential_made_on_the_command_line_reads_the_api_until_removed(
    kompetenslyft, db, tool_url
):
    store(db, organisation(db, "umea"), attempt())
    organisation(db, "lulea")

    added = kompetenslyft("xapi", "credentials", "add", "--organisation", "umea", "--label", "BI")
    kompetenslyft("xapi", "credentials", "add", "--organisation", "lulea")
    key, secret = printed(added.output, "key:"), printed(added.output, "secret:")
    listed = kompetenslyft("xapi", "credentials", "list")

    assert added.exit_code == 0, added.output
    answer = requests.get(
        tool_url + "/xapi/statements", auth=(key, secret), headers=XAPI_1, timeout=10
    )
    assert len(answer.json()["statements"]) == 4
    lines = listed.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{key}\tumea\tBI\t")
    assert secret not in listed.output

    removed = kompetenslyft("xapi", "credentials", "remove", key)
    again = kompetenslyft("xapi", "credentials", "remove", key)

    assert removed.exit_code == 0
    assert again.exit_code != 0 and "no credential" in again.output
    refused = requests.get(
        tool_url + "/xapi/statements", auth=(key, secret), headers=XAPI_1, timeout=10
    )
    assert refused.status_code == 401


def test_every_key_can_be_typed_as_a_command_argument(db, monkeypatch):
    """A key starting with "-" would be taken for an option by `credentials remove KEY`."""
    # The secret's deliberately slow hash is not what is tested here (300 of them took 20 s).
    monkeypatch.setattr("storage.statements.credentials.hash_secret", lambda secret: "not-hashed")
    org = organisation(db, "key-shapes")
    keys = [create_credential(db, org.id).key for _ in range(300)]
    assert all(key.startswith("xapi-") and len(key) <= 64 for key in keys)
    assert len(set(keys)) == 300


def test_credentials_for_an_unknown_organisation_are_refused(kompetenslyft):
    result = kompetenslyft("xapi", "credentials", "add", "--organisation", "nowhere")

    assert result.exit_code != 0 and "no organisation 'nowhere'" in result.output


def test_export_writes_ndjson_oldest_first_between_since_and_until(kompetenslyft, db, tmp_path):
    umea = organisation(db, "umea")
    rows = store(db, umea, attempt(answers=4))  # stored at T0 + 0..5 s
    voiding = void(db, umea, rows[0], at=T0 + timedelta(minutes=1))
    store(db, organisation(db, "lulea"), attempt(), first_stored=T0 + timedelta(seconds=2))
    out = tmp_path / "umea.ndjson"

    everything = kompetenslyft("xapi", "export", "--organisation", "umea", "-o", str(out))
    all_lines = out.read_text(encoding="utf-8").splitlines()
    window = kompetenslyft(
        "xapi",
        "export",
        "--organisation",
        "umea",
        "--since",
        (T0 + timedelta(seconds=1)).isoformat(),
        "--until",
        (T0 + timedelta(seconds=3)).isoformat(),
    )

    assert everything.exit_code == 0, everything.output
    exported = [json.loads(line) for line in all_lines]
    # The voided statement is left out; the statement voiding it is kept.
    assert [s["id"] for s in exported] == [row.id for row in rows[1:]] + [voiding["id"]]
    assert exported[0]["stored"] == "2026-03-02T09:00:01.000000Z"
    assert exported[0]["authority"]["account"]["name"] == "kompetenslyft"
    assert "exported 6 statement(s)" in everything.output
    assert window.exit_code == 0, window.output
    streamed = [json.loads(line) for line in window.stdout.splitlines()]
    assert [s["id"] for s in streamed] == [row.id for row in rows[2:4]]


def test_export_refuses_a_bad_timestamp(kompetenslyft, db):
    organisation(db, "umea")

    result = kompetenslyft("xapi", "export", "--organisation", "umea", "--since", "igår")

    assert result.exit_code == 2 and "ISO 8601" in result.output
