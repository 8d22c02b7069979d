"""A new organisation: one rule for its name and slug, whichever page or command makes it."""

import pytest
from sqlalchemy import select

from storage import Organisation
from storage.organisations import OrganisationRefused, add_organisation, slugify
from tests.conftest import _empty_tables


@pytest.fixture
def session(database):
    with database.sessions() as session:
        yield session
    _empty_tables(database)


def test_a_name_makes_the_slug_and_a_taken_slug_gets_a_number(session):
    first = add_organisation(session, "Umeå kommun")
    second = add_organisation(session, "  Umeå Kommun ")

    assert (first.slug, first.name) == ("umea-kommun", "Umeå kommun")
    assert (second.slug, second.name) == ("umea-kommun-2", "Umeå Kommun")


def test_a_name_of_only_signs_still_makes_an_organisation(session):
    assert add_organisation(session, "???").slug == "organisation"


def test_an_operators_slug_is_used_as_given(session):
    organisation = add_organisation(session, "Region Västerbotten", "rvb")

    assert session.scalar(select(Organisation.slug).where(Organisation.id == organisation.id)) == (
        "rvb"
    )


@pytest.mark.parametrize("slug", ["Umeå kommun", "UMEA", "umea--kommun", "-umea", "x" * 65, ""])
def test_a_slug_that_is_not_one_is_refused_with_an_example(session, slug):
    with pytest.raises(OrganisationRefused, match="is not a slug"):
        add_organisation(session, "Umeå kommun", slug)


def test_a_taken_slug_is_refused(session):
    add_organisation(session, "Umeå kommun", "umea")

    with pytest.raises(OrganisationRefused, match="'umea' is taken"):
        add_organisation(session, "Umeå igen", "umea")


def test_an_empty_name_is_refused_and_a_long_one_is_cut(session):
    with pytest.raises(OrganisationRefused, match="needs a name"):
        add_organisation(session, "   ")

    long = add_organisation(session, "Kommun " + "a" * 300)
    assert len(long.name) == 255 and len(long.slug) <= 64 and not long.slug.endswith("-")


def test_slugs_are_plain_ascii_words():
    assert slugify("Örnsköldsviks kommun") == "ornskoldsviks-kommun"
    assert slugify("Region  Jämtland/Härjedalen") == "region-jamtland-harjedalen"
