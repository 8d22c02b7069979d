"""`kompetenslyft xapi actor`: an operator shows and chooses how statements name learners."""

from sqlalchemy import select

from storage import Organisation


def add_organisation(db, slug: str) -> None:
    db.add(Organisation(slug=slug, name=slug.title()))
    db.commit()


def stored(db, slug: str) -> Organisation:
    db.expire_all()
    return db.scalar(select(Organisation).where(Organisation.slug == slug))


def test_shows_the_default_then_switches_to_pseudonyms_with_a_key_of_its_own(kompetenslyft, db):
    add_organisation(db, "umea")
    add_organisation(db, "lulea")

    shown = kompetenslyft("xapi", "actor", "--organisation", "umea")
    chosen = kompetenslyft("xapi", "actor", "--organisation", "umea", "pseudonym")
    kompetenslyft("xapi", "actor", "--organisation", "lulea", "pseudonym")
    again = kompetenslyft("xapi", "actor", "--organisation", "umea", "pseudonym")

    assert shown.exit_code == 0 and shown.output == "umea: xapi actor lti\n"
    assert chosen.output == "umea: xapi actor pseudonym (was lti)\n"
    umea, lulea = stored(db, "umea"), stored(db, "lulea")
    assert umea.xapi_actor == "pseudonym" and len(umea.xapi_pseudonym_key) == 64
    assert lulea.xapi_pseudonym_key != umea.xapi_pseudonym_key
    assert again.exit_code == 0
    assert stored(db, "umea").xapi_pseudonym_key == umea.xapi_pseudonym_key  # kept for good


def test_identified_and_back_keeps_the_pseudonym_key(kompetenslyft, db):
    add_organisation(db, "umea")
    kompetenslyft("xapi", "actor", "--organisation", "umea", "pseudonym")
    key = stored(db, "umea").xapi_pseudonym_key

    kompetenslyft("xapi", "actor", "--organisation", "umea", "identified")
    assert kompetenslyft("xapi", "actor", "--organisation", "umea").output == (
        "umea: xapi actor identified\n"
    )
    kompetenslyft("xapi", "actor", "--organisation", "umea", "pseudonym")
    assert stored(db, "umea").xapi_pseudonym_key == key


def test_unknown_modes_and_organisations_are_refused(kompetenslyft, db):
    add_organisation(db, "umea")

    bad_mode = kompetenslyft("xapi", "actor", "--organisation", "umea", "everything")
    no_such = kompetenslyft("xapi", "actor", "--organisation", "nowhere", "lti")

    assert bad_mode.exit_code == 2 and "lti" in bad_mode.output
    assert no_such.exit_code == 1 and "no organisation 'nowhere'" in no_such.output
    assert stored(db, "umea").xapi_actor == "lti"


def test_the_help_says_identified_needs_a_legal_basis(kompetenslyft):
    help_text = kompetenslyft("xapi", "actor", "--help").output
    assert "legal basis" in help_text
    assert "pseudonym" in help_text and "identified" in help_text
