"""A newcomer opens the built-in dev platform and launches into the tool."""

from sqlalchemy import func, select

from storage import Context, Launch, Person
from tests.support.browsing import dev_launch, text_of


def test_learner_lands_in_the_tool_greeted_by_name_told_their_role_in_the_course(browser, tool_url):
    page = dev_launch(browser, tool_url, person="learner")

    assert page.status_code == 200
    assert page.url == tool_url + "/"
    text = text_of(page.text)
    assert "Hej Anna Andersson!" in text
    assert "Du är deltagare i kursen Digital kompetens för alla." in text


def test_the_platforms_locale_chooses_english(browser, tool_url):
    text = text_of(dev_launch(browser, tool_url, person="teacher", locale="en").text)

    assert "Hello, Erik Berg!" in text
    assert "You are a teacher in the course" in text


def test_administrator_is_shown_as_administrator(browser, tool_url):
    text = text_of(dev_launch(browser, tool_url, person="administrator", course="digi201").text)

    assert "Du är administratör i kursen" in text
    assert "Digital kompetens – fördjupning" in text


def test_the_person_can_switch_language(browser, tool_url):
    dev_launch(browser, tool_url)

    assert "You are a participant" in text_of(browser.get(tool_url + "/?lang=en").text)
    assert "You are a participant" in text_of(browser.get(tool_url + "/").text)


def test_launches_are_recorded_and_people_are_not_duplicated(browser, other_browser, tool_url, db):
    dev_launch(browser, tool_url)
    dev_launch(other_browser, tool_url)

    assert db.scalar(select(func.count()).select_from(Person)) == 1
    assert db.scalar(select(func.count()).select_from(Context)) == 1
    person = db.scalar(select(Person))
    assert (person.name, person.email, person.person_sourcedid) == (
        "Anna Andersson",
        "learner@example.invalid",
        "ANNA1001",
    )
    assert db.scalar(select(func.count()).select_from(Launch)) == 2


def test_without_a_launch_the_start_page_points_to_moodle(browser, tool_url):
    text = text_of(browser.get(tool_url + "/").text)

    assert "Öppna verktyget från din kurs i Moodle." in text


def test_the_dev_platform_offers_one_click_launches(browser, tool_url):
    text = text_of(browser.get(tool_url + "/dev-platform/").text)

    for button in (
        "Starta som deltagare",
        "Starta som lärare",
        "Starta som chef",
        "Starta som administratör",
    ):
        assert button in text
