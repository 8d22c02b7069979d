"""Catalogue entries: one set of checks for the admin form and the CSV import."""

from __future__ import annotations

import pytest

from competence.catalogue import (
    Build,
    Problem,
    Rejected,
    describe,
    entries_from_csv,
    entry_from_fields,
    format_builds,
    parse_builds,
)
from competence.frameworks import digcomp


def find(key):
    return digcomp() if key == "digcomp-2.2" else None


def codes(problems):
    return sorted(p.code for p in problems)


def test_a_complete_entry_is_read_with_defaults():
    entry, problems = entry_from_fields(
        {"title": " Teams ", "kind": "Course", "builds": "2.1:1-3;2.4:2-4", "roles": "A; B; A"},
        find,
    )
    assert problems == []
    assert (entry.title, entry.kind, entry.language, entry.framework_key) == (
        "Teams",
        "course",
        "sv",
        "digcomp-2.2",
    )
    assert entry.builds == (Build("2.1", 1, 3), Build("2.4", 2, 4))
    assert entry.roles == ("A", "B")


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"title": ""}, "missing_title"),
        ({"kind": "webinar"}, "bad_kind"),
        ({"url": "javascript:alert(1)"}, "bad_url"),
        ({"url": "ftp://x.example/a"}, "bad_url"),
        ({"language": "de"}, "bad_language"),
        ({"duration_minutes": "1,5"}, "bad_duration"),
        ({"framework": "nope"}, "unknown_framework"),
        ({"builds": "1.1"}, "bad_builds"),
        ({"builds": "9.9:1-2"}, "unknown_competence"),
        ({"builds": "1.1:4-2"}, "bad_levels"),
        ({"builds": "1.1:1-9"}, "bad_levels"),
    ],
)
def test_each_bad_field_is_named(fields, code):
    good = {"title": "T", "kind": "course", "builds": "1.1:1-2"}
    entry, problems = entry_from_fields({**good, **fields}, find)
    assert entry is None
    assert code in codes(problems)


def test_builds_round_trip():
    builds = parse_builds("1.1:1-3; 2.4:2-4")
    assert format_builds([b.to_document() for b in builds]) == "1.1:1-3; 2.4:2-4"


def test_a_csv_is_all_or_nothing_with_every_line_named():
    content = b"title;kind;builds\nBra;course;1.1:1-2\nFel;webinar;1.1:1-2\n;lecture;1.1:x\n"
    with pytest.raises(Rejected) as rejected:
        entries_from_csv(content, find)
    assert [(p.line, p.code) for p in rejected.value.problems] == [
        (3, "bad_kind"),
        (4, "missing_title"),
        (4, "bad_builds"),
    ]
    assert describe(rejected.value.problems[0]) == (
        "line 3: kind 'webinar' is not one of course, self-study, lecture, network"
    )


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "empty"),
        (b"title,kind,builds\n", "empty"),
        (b"title,kind\nA,course\n", "missing_columns"),
        ("title,kind,builds\nÅ,course,1.1:1-2\n".encode("latin-1"), "not_csv"),
    ],
)
def test_unusable_files_are_refused(content, code):
    with pytest.raises(Rejected) as rejected:
        entries_from_csv(content, find)
    assert rejected.value.problems[0].code == code


def test_a_good_csv_with_a_byte_order_mark_and_blank_lines_is_read():
    content = "\ufefftitle,kind,builds\nA,course,1.1:1-2\n,,\nB,network,2.1:0-2\n".encode()
    assert [e.title for e in entries_from_csv(content, find)] == ["A", "B"]
    assert Problem("x").line is None
