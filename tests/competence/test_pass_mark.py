"""An instrument's optional pass mark: a share of the scale's top level, or a clear refusal."""

import copy

import pytest

from competence.frameworks import digcomp
from competence.instruments import instrument_from_document, shipped_documents
from competence.texts import DocumentError


def short_with(**changes) -> dict:
    document = copy.deepcopy(shipped_documents()["digcomp-2.2-short"])
    document.update(changes)
    return document


def test_without_a_pass_mark_an_instrument_has_none():
    assert instrument_from_document(short_with(), digcomp()).pass_mark is None


@pytest.mark.parametrize("value", [0, 0.5, 1, 0.625])
def test_a_share_from_0_to_1_is_the_pass_mark(value):
    assert instrument_from_document(short_with(pass_mark=value), digcomp()).pass_mark == value


@pytest.mark.parametrize("value", [50, -0.1, 1.01, "0.5", True, [0.5], float("nan")])
def test_anything_else_is_refused_with_the_reason(value):
    with pytest.raises(DocumentError) as refused:
        instrument_from_document(short_with(pass_mark=value), digcomp())
    assert str(refused.value).startswith("instrument.pass_mark:")
    assert "share from 0 to 1" in str(refused.value)


def test_the_shipped_self_assessments_have_no_pass_mark():
    # DigComp self-assessments measure; they are not tests to pass.
    assert all("pass_mark" not in document for document in shipped_documents().values())
