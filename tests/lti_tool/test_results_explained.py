"""The result a person understands (issue 19): the chart's spokes named in plain words, every
level explained, what the result means at work, the previous attempt in words, the next step
to the development dialogue, and the personal report as a tagged PDF in the page's language.

Over plain HTTP, short instrument; the answers are chosen so that the levels are known:
every "I can" statement of the short instrument gives levels [0, 1, 3, 5, 7].
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from competence.frameworks import digcomp
from competence.plain_language import level_words, short_name, without_soft_hyphens
from lti import claims as c
from storage import DevelopmentPlan, PlanVersion
from storage.audit import AuditEvent
from tests.support import staff
from tests.support.assessing import answer_all, csrf, start, submit
from tests.support.browsing import dev_launch, text_of
from tests.support.pdf_checks import read_tagged_pdf

CUSTOM = {c.CUSTOM: {"instrument": "digcomp-2.2-short"}}
ANNA = staff.person_claims(
    "11", "Anna Andersson", "anna@example.invalid", **CUSTOM,
    **{c.LAUNCH_PRESENTATION: {"locale": "sv"}},
)  # fmt: skip


def choosing(option: str):
    return lambda options: option if option in options else options[0]


def take(browser, tool_url, option: str):
    """Answer every question of the short instrument with `option`; the results page."""
    results = submit(browser, answer_all(browser, start(browser, tool_url), choosing(option)))
    assert "/results" in results.url, results.url
    return results


def axis_labels(page: str, chart: str) -> list[str]:
    """The spokes' names of one of the page's two charts ("wide" or "phone"), lines joined
    again as a person reads them ("Skydda person-" + "uppgifter": "Skydda personuppgifter")."""
    svg = re.search(
        rf'<svg[^>]*aria-labelledby="competence-radar-{chart}-title.*?</svg>', page, re.S
    )
    labels = re.findall(r'<text class="radar-axis-label"[^>]*>(.*?)</text>', svg[0], re.S)
    names = []
    for label in labels:
        lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", label) or [label]
        names.append(html.unescape(" ".join(lines)).replace("- ", ""))
    return names


# --- the chart ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_radar_spokes_say_competence_names_in_the_page_language(browser, tool_url, lang):
    dev_launch(browser, tool_url, locale=lang)
    page = take(browser, tool_url, "on_my_own").text

    framework = digcomp()
    expected = [
        without_soft_hyphens(short_name(framework, x.id, lang)) for x in framework.competences
    ]
    assert axis_labels(page, "wide") == expected
    assert axis_labels(page, "phone") == expected  # the phone's chart says the same
    assert "1.1" not in axis_labels(page, "wide")
    if lang == "sv":
        assert expected[:3] == ["Söka information", "Värdera information", "Ordna filer"]
    else:
        assert expected[:3] == ["Finding information", "Judging information", "Organising files"]
    # Still one image with a text alternative, and the table beside it.
    assert page.count('role="img" aria-labelledby="competence-radar-') == 2
    assert 'data-testid="results-table"' in page


def test_radar_spokes_say_competence_names_in_swedish(browser, tool_url):
    dev_launch(browser, tool_url)
    page = take(browser, tool_url, "on_my_own").text

    names = axis_labels(page, "phone")
    assert "Skydda personuppgifter" in names and "Lösa tekniska problem" in names
    # On the phone a long word breaks at its soft hyphen rather than shrinking the chart.
    assert re.search(r">person-</tspan><tspan[^>]*>uppgifter<", page)


# --- levels in plain words ------------------------------------------------------------------


def test_every_level_is_explained_in_plain_words_and_the_persons_own_is_marked(browser, tool_url):
    dev_launch(browser, tool_url)
    text = text_of(take(browser, tool_url, "on_my_own").text)  # level 3 everywhere

    assert "Din nivå totalt: Nivå 3 – Medel" in text
    assert "Det betyder att du klarar vanliga uppgifter på egen hand." in text
    for value in range(9):
        words = level_words(digcomp(), value, "sv")
        assert f"Nivå {value} – {words.name}: {words.description}" in text
    assert (
        "Nivå 2 – Grundläggande: du klarar enkla uppgifter, mest på egen hand och ibland med stöd."
        in text
    )
    assert "Nivå 3 – Medel: du klarar vanliga uppgifter på egen hand. (din nivå totalt)" in text
    # The table says the level in words too, not only "Medel 3".
    assert (
        "1.1 Söka information Söka, hitta och filtrera data, information och digitalt "
        "innehåll 3 – Medel" in text
    )


def test_the_result_says_what_it_means_at_work_in_english(browser, tool_url):
    dev_launch(browser, tool_url, locale="en")
    text = text_of(take(browser, tool_url, "with_help").text)  # level 1 everywhere

    assert "Your overall level: Level 1 – Foundation" in text
    assert "What your result means at work" in text
    assert "You have a foundation to build on." in text
    assert (
        "Level 0 – Not yet: you have not started with this yet, or only tried it a little." in text
    )


# --- the previous attempt -------------------------------------------------------------------


def test_a_retake_shows_the_previous_result_and_says_which_line_is_which(browser, tool_url):
    dev_launch(browser, tool_url)
    take(browser, tool_url, "with_help")  # level 1
    page = take(browser, tool_url, "guide_others").text  # level 5
    text = text_of(page)

    assert re.search(r"Förra gången, den \d+ \w+ \d{4}: Nivå 1 – Grundläggande\.", text)
    assert "Ditt resultat nu är den blå heldragna linjen med fyllda prickar." in text
    assert re.search(
        r"Ditt resultat förra gången, den \d+ \w+ \d{4}, "
        r"är den grå streckade linjen med ofyllda ringar\.",
        text,
    )
    legend = re.findall(r'class="radar-legend-label"[^>]*>([^<]*)<', page)
    assert [label.split(" (")[0] for label in legend] == ["Förra gången", "Nu"] * 2
    assert "5 – Avancerad Förra gången: 1 – Grundläggande" in text  # in the table too
    # The chart still draws the earlier result.
    assert page.count('class="radar-series radar-series--previous"') == 2


# --- the next step --------------------------------------------------------------------------


def test_the_next_step_links_to_the_persons_plan_when_there_is_one(db, platform, browser, tool_url):
    org = staff.organisation(db, "test-org")
    anna = staff.employee(db, org, "E11", "Anna Andersson", email="anna@example.invalid")
    plan = DevelopmentPlan(organisation_id=org.id, employee_id=anna.id, period="2026")
    plan.versions.append(PlanVersion(number=1, targets={"2.1": 4}, items=[]))
    db.add(plan)
    db.commit()
    platform.launch(browser, **ANNA)
    page = take(browser, tool_url, "on_my_own").text

    text = text_of(page)
    assert "Ta med resultatet till ditt utvecklingssamtal." in text
    link = re.search(r'<a href="([^"]+)" data-testid="plan-link">([^<]+)</a>', page)
    assert link[1].endswith("/my/plan") and link[2] == "Se din utvecklingsplan"
    assert browser.get(tool_url + link[1]).status_code == 200


def test_without_a_plan_the_next_step_says_it_is_made_at_the_dialogue(
    db, platform, browser, tool_url
):
    org = staff.organisation(db, "test-org")
    staff.employee(db, org, "E11", "Anna Andersson", email="anna@example.invalid")
    platform.launch(browser, **ANNA)
    page = take(browser, tool_url, "on_my_own").text

    assert 'data-testid="plan-link"' not in page
    assert (
        "Du har ingen utvecklingsplan än. Den gör du och din chef tillsammans vid samtalet."
        in text_of(page)
    )


def test_someone_not_in_the_staff_list_is_told_to_show_the_result_to_their_manager(
    browser, tool_url
):
    dev_launch(browser, tool_url)
    text = text_of(take(browser, tool_url, "on_my_own").text)

    assert "Ta med resultatet till ditt utvecklingssamtal." in text
    assert "Visa resultatet för din chef när ni pratar nästa gång, till exempel som PDF." in text


# --- no leave button once submitted ---------------------------------------------------------


def test_submitted_result_offers_no_leave_button(browser, tool_url):
    dev_launch(browser, tool_url)
    question = start(browser, tool_url)
    assert 'data-testid="leave"' in question.text  # an unfinished attempt offers it
    page = take(browser, tool_url, "on_my_own").text

    assert 'data-testid="leave"' not in page
    assert "Lämna självskattningen" not in text_of(page)
    # Leaving the page still tells the tool (the beacon's form, with no button).
    form = re.search(r"<form [^>]*data-leave[^>]*>(.*?)</form>", page, re.S)
    assert "hidden" in form[0] and "<button" not in form[1]


# --- the personal report --------------------------------------------------------------------


def pdf_link(page: str) -> str:
    return html.unescape(re.search(r'<a href="([^"]+)" data-testid="pdf-link"', page)[1])


def test_result_pdf_is_tagged_and_holds_every_level(browser, tool_url, db):
    dev_launch(browser, tool_url)
    take(browser, tool_url, "with_help")
    page = take(browser, tool_url, "on_my_own").text

    document = browser.get(tool_url + pdf_link(page))

    assert document.status_code == 200
    assert document.headers["Content-Type"] == "application/pdf"
    assert document.headers["Content-Disposition"].startswith('attachment; filename="resultat-')
    reader, text = read_tagged_pdf(document.content)  # PDF/UA-1: tagged, with a language
    assert str(reader.trailer["/Root"]["/Lang"]) == "sv"
    flat = re.sub(r"\s+", " ", text)
    assert "Digital kompetens – kort självskattning" in flat
    assert "Nivå 3 – Medel: du klarar vanliga uppgifter på egen hand." in flat  # overall
    assert re.search(r"Förra gången \d+ \w+ \d{4}: Nivå 1 – Grundläggande", flat)
    for competence in digcomp().competences:
        assert competence.name["sv"] in flat
    assert flat.count("Nivå 3 – Medel") >= 22  # the overall and every competence's level
    assert flat.count("Du klarar vanliga uppgifter på egen hand.") >= 21  # each one's meaning
    for value in range(9):  # and what every level means
        assert f"Nivå {value} – {level_words(digcomp(), value, 'sv').name}" in flat
    assert "Ta med resultatet till ditt utvecklingssamtal." in flat
    # Only the person sees it, so nobody else's look is in the audit log.
    assert db.scalars(select(AuditEvent)).all() == []


def test_result_pdf_speaks_the_pages_language(browser, tool_url):
    dev_launch(browser, tool_url)
    results = take(browser, tool_url, "on_my_own")
    page = browser.get(results.url, params={"lang": "en"}).text

    reader, text = read_tagged_pdf(browser.get(tool_url + pdf_link(page)).content)

    assert str(reader.trailer["/Root"]["/Lang"]) == "en"
    flat = re.sub(r"\s+", " ", text)
    assert "Level 3 – Intermediate: you can do everyday tasks on your own." in flat
    assert "Bring your result to your development dialogue." in flat


def test_only_the_person_gets_their_result_pdf(browser, other_browser, tool_url):
    dev_launch(browser, tool_url)
    results = take(browser, tool_url, "on_my_own")
    address = tool_url + pdf_link(results.text)
    dev_launch(other_browser, tool_url, person="teacher")

    assert other_browser.get(address).status_code == 404  # as if it did not exist
    assert other_browser.__class__().get(address).status_code in (400, 401)  # no launch


def test_an_unfinished_attempt_has_no_pdf_yet(browser, tool_url):
    dev_launch(browser, tool_url)
    question = start(browser, tool_url)
    attempt_id = re.search(r"/attempts/([0-9a-f-]{36})/", question.url)[1]

    response = browser.get(f"{tool_url}/attempts/{attempt_id}/results/pdf", allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"].endswith("/review")
    assert csrf(question.text)  # the attempt itself is untouched


# --- the other shipped instrument (the organisation's example of work systems is imported,
# not launched: tests/competence/test_plain_language.py covers its words) -------------------


@pytest.mark.parametrize(
    ("instrument", "option", "says"),
    [
        (
            "digital-maturity",
            "partly",
            [
                "Din nivå totalt: Nivå 2 – Delvis",
                "Det betyder att arbetsplatsen gör det ibland eller i vissa delar.",
                "Din arbetsplats är på väg.",
                "Nivå 0 – Inte alls: arbetsplatsen har inte kommit i gång med det här än.",
            ],
        ),
    ],
)
def test_the_yearly_maturity_survey_explains_its_levels_about_the_workplace(
    platform, browser, tool_url, instrument, option, says
):
    claims = staff.person_claims(
        "31", "Bo Berg", "bo@example.invalid",
        **{c.CUSTOM: {"instrument": instrument}, c.LAUNCH_PRESENTATION: {"locale": "sv"}},
    )  # fmt: skip
    platform.launch(browser, **claims)
    page = take(browser, tool_url, option).text

    text = text_of(page).replace("\u00ad", "")
    for sentence in says:
        assert sentence in text
    assert 'class="area-row"' not in page  # an area per question: no rows for the areas
