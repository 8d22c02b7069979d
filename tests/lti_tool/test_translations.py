"""Every text a person can meet exists in Swedish, with the same placeholders."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "lti_tool" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def test_every_message_has_a_swedish_translation(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(template),
            "lti_tool",
            "lti",
            "templates",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    with CATALOG.open("rb") as handle:
        swedish = {m.id: m for m in read_po(handle) if m.id and m.string and not m.fuzzy}

    assert sorted(map(str, wanted - set(swedish))) == []
    for msgid in wanted:
        # A text with plural forms ("1 delivered", "3 delivered") is a tuple of forms.
        english = msgid if isinstance(msgid, tuple) else (msgid,)
        forms = swedish[msgid].string
        forms = forms if isinstance(forms, tuple) else (forms,)
        placeholders = {p for text in english for p in re.findall(r"%\(\w+\)[sd]", text)}
        for form in forms:
            assert form, msgid
            assert placeholders == set(re.findall(r"%\(\w+\)[sd]", form)), msgid
