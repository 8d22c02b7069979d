"""A learner takes the assessment: start, answer, leave, resume, go back, submit, results."""

import re

import pytest
import requests
from sqlalchemy import func, select

from storage import Answer, Attempt, AttemptStatus, CompletionEvent, Delivery
from tests.support.assessing import (
    answer,
    answer_all,
    csrf,
    options_of,
    question_number,
    start,
    submit,
    table_levels,
)
from tests.support.browsing import dev_launch, text_of

SHORT = 21


def on_my_own(options: list[str]) -> str:
    return "on_my_own" if "on_my_own" in options else options[-2]


def test_short_assessment_from_start_to_results(browser, tool_url):
    dev_launch(browser, tool_url, person="learner", course="digi101")
    first = start(browser, tool_url)

    assert question_number(first) == (1, SHORT)
    review = answer_all(browser, first, on_my_own)
    assert f"Du har svarat på {SHORT} av {SHORT} frågor." in text_of(review.text)
    results = submit(browser, review)

    assert results.url.endswith("/results")
    levels = table_levels(results)
    assert len(levels) == 21 and set(levels.values()) == {3}
    assert "<svg" in results.text and 'role="img"' in results.text


def test_leaving_and_resuming_on_another_device(browser, other_browser, tool_url):
    dev_launch(browser, tool_url)
    page = start(browser, tool_url)
    for _ in range(5):
        page = answer(browser, page, "with_help")

    dev_launch(other_browser, tool_url)  # the same person, another device
    overview = text_of(other_browser.get(tool_url + "/").text)
    assert "Du har svarat på 5 av 21 frågor." in overview
    resumed = start(other_browser, tool_url)

    assert question_number(resumed) == (6, SHORT)


def test_going_back_shows_the_answer_given(browser, tool_url):
    dev_launch(browser, tool_url)
    page = answer(browser, start(browser, tool_url), "guide_others")
    back = answer(browser, page, None, direction="back")

    assert question_number(back) == (1, SHORT)
    assert 'value="guide_others" checked' in back.text


def test_a_submitted_attempt_cannot_be_changed(browser, tool_url, db):
    dev_launch(browser, tool_url)
    page = start(browser, tool_url)
    first_url = page.url
    results = submit(browser, answer_all(browser, page, on_my_own))
    token = csrf(results.text) if "csrf_token" in results.text else csrf(browser.get(tool_url).text)

    after = browser.post(first_url, data={"csrf_token": token, "answer": "expert"})

    assert after.url.endswith("/results")
    assert db.scalar(select(Answer.option_id).where(Answer.item_id == "1.1-s")) == "on_my_own"


def test_a_new_attempt_after_submitting_shows_progress_against_the_previous(browser, tool_url):
    dev_launch(browser, tool_url)
    submit(browser, answer_all(browser, start(browser, tool_url), lambda o: "with_help"))
    second = submit(browser, answer_all(browser, start(browser, tool_url), on_my_own))

    assert set(table_levels(second).values()) == {3}
    assert "Förra gången (" in second.text  # the previous line on the chart, dated
    assert "Förra gången: 1 – Grundläggande" in text_of(second.text)  # beside each level


def test_the_link_can_limit_attempts(browser, tool_url, platform):
    custom = {"instrument": "digcomp-2.2-short", "attempts": "1"}
    launched = platform.launch(
        browser, **{"https://purl.imsglobal.org/spec/lti/claim/custom": custom}
    )
    assert launched.status_code == 200
    token = csrf(launched.text)
    submit(browser, answer_all(browser, start(browser, tool_url), on_my_own))

    overview = text_of(browser.get(tool_url + "/").text)
    assert "You have used all the attempts this activity allows." in overview
    refused = browser.post(tool_url + "/assessment/start", data={"csrf_token": token})
    assert refused.status_code == 409


def test_forms_need_their_csrf_token(browser, tool_url):
    dev_launch(browser, tool_url)
    response = browser.post(tool_url + "/assessment/start", data={})

    assert response.status_code == 400
    assert "Formuläret hade gått ut" in text_of(response.text)


def test_full_assessment_in_english_mixes_statements_and_knowledge(browser, tool_url):
    dev_launch(browser, tool_url, person="learner", course="digi201", locale="en")
    first = start(browser, tool_url)

    assert question_number(first) == (1, 68)
    seen_knowledge = False

    def choose(options):
        nonlocal seen_knowledge
        if "on_my_own" in options:
            return "on_my_own"
        seen_knowledge = True
        return options[0]

    results = submit(browser, answer_all(browser, first, choose))
    assert seen_knowledge
    assert "Your result" in text_of(results.text)
    assert all(level is not None for level in table_levels(results).values())


@pytest.mark.parametrize("route", ["items/1", "questions", "review", "results"])
def test_another_persons_attempt_is_not_found(browser, other_browser, tool_url, route, db):
    dev_launch(browser, tool_url, person="learner")
    start(browser, tool_url)
    attempt_id = db.scalar(select(Attempt.id))
    dev_launch(other_browser, tool_url, person="manager")

    assert other_browser.get(f"{tool_url}/attempts/{attempt_id}/{route}").status_code == 404


def test_another_persons_attempt_cannot_be_answered_or_submitted(
    browser, other_browser, tool_url, db
):
    dev_launch(browser, tool_url, person="learner")
    start(browser, tool_url)
    attempt_id = db.scalar(select(Attempt.id))
    dev_launch(other_browser, tool_url, person="teacher")
    token = csrf(other_browser.get(tool_url + "/").text)

    answered = other_browser.post(
        f"{tool_url}/attempts/{attempt_id}/items/1",
        data={"csrf_token": token, "answer": "expert"},
    )
    submitted = other_browser.post(
        f"{tool_url}/attempts/{attempt_id}/submit", data={"csrf_token": token}
    )

    assert (answered.status_code, submitted.status_code) == (404, 404)
    db.expire_all()
    assert db.scalar(select(Answer)) is None
    assert db.scalar(select(Attempt.status)) is AttemptStatus.IN_PROGRESS


def test_attempt_routes_need_a_launch(browser, tool_url):
    response = browser.get(tool_url + "/attempts/anything/review")

    assert response.status_code == 401
    assert "Öppna verktyget från din kurs i Moodle." in text_of(response.text)


def test_an_unknown_option_is_refused_and_nothing_is_stored(browser, tool_url, db):
    dev_launch(browser, tool_url)
    page = start(browser, tool_url)

    response = answer(browser, page, "not-an-option")

    assert response.status_code == 400
    assert db.scalar(select(Answer)) is None
    assert options_of(browser.get(page.url))  # the question is still there to answer


# --- an incomplete assessment: asked first, and nothing assessed is not "done" --------------


def skip_to_review(browser, page: requests.Response) -> requests.Response:
    """Press Save and continue without choosing, to the end: the review."""
    while "/items/" in page.url:
        page = answer(browser, page, None)
    return page


def test_submitting_with_unanswered_questions_lists_them_and_submits_nothing_until_confirmed(
    browser, tool_url, db
):
    dev_launch(browser, tool_url)
    page = start(browser, tool_url)
    for option in ("on_my_own", "with_help", "expert", "on_my_own"):
        page = answer(browser, page, option)
    review = skip_to_review(browser, page)
    outbox_before = db.scalar(select(func.count()).select_from(Delivery))
    attempt_id = db.scalar(select(Attempt.id))

    # The submit button of the page as it was (no confirmation): asked first, nothing stored.
    asked = browser.post(
        f"{tool_url}/attempts/{attempt_id}/submit", data={"csrf_token": csrf(review.text)}
    )

    shown = text_of(asked.text)
    assert asked.url.endswith("/review?unanswered=1")
    assert "Några frågor saknar svar" in shown
    assert "Din bedömning är inte inskickad än." in shown
    assert "Du har svarat på 4 av 21 frågor. 17 saknar svar." in shown
    links = re.findall(r'<li><a href="[^"]*/items/(\d+)">Fråga \d+: ([^<]+)</a>', asked.text)
    assert [int(number) for number, _ in links] == list(range(5, 22))
    assert links[0][1].startswith("Jag kan")  # the question itself, in plain words
    # "Svara på dem" first (to question 5), then "Skicka in ändå".
    assert shown.index("Svara på dem") < shown.index("Skicka in ändå")
    assert re.search(r'class="button-primary" href="[^"]*/items/5"', asked.text)
    assert "Om du skickar in nu får 17 av 21 kompetenser ingen nivå." in shown
    db.expire_all()
    attempt = db.get(Attempt, attempt_id)
    assert (attempt.status, attempt.submitted_at, attempt.result) == (
        AttemptStatus.IN_PROGRESS,
        None,
        None,
    )
    assert db.scalar(select(func.count()).select_from(Delivery)) == outbox_before

    results = submit(browser, asked)  # "Skicka in ändå"

    assert results.url.endswith("/results")
    db.expire_all()
    assert db.get(Attempt, attempt_id).status is AttemptStatus.SUBMITTED


def test_the_confirmation_needs_its_csrf_token(browser, tool_url, db):
    dev_launch(browser, tool_url)
    start(browser, tool_url)
    attempt_id = db.scalar(select(Attempt.id))

    refused = browser.post(
        f"{tool_url}/attempts/{attempt_id}/submit", data={"unanswered": "submit-anyway"}
    )

    assert refused.status_code == 400
    db.expire_all()
    assert db.get(Attempt, attempt_id).status is AttemptStatus.IN_PROGRESS


def test_an_assessment_with_nothing_answered_uses_up_no_attempt(browser, tool_url, platform, db):
    custom = {"instrument": "digcomp-2.2-short", "attempts": "1"}
    platform.launch(browser, **{"https://purl.imsglobal.org/spec/lti/claim/custom": custom})
    review = skip_to_review(browser, start(browser, tool_url))
    assert "If you submit now, you get no level" in text_of(review.text)

    results = submit(browser, review)  # "Submit anyway", with nothing answered

    assert "No competence was assessed" in text_of(results.text)
    assert set(table_levels(results).values()) == {None}
    assert db.scalar(select(func.count()).select_from(CompletionEvent)) == 0  # HR hears nothing
    overview = text_of(browser.get(tool_url + "/").text)
    assert "You have used all the attempts this activity allows." not in overview
    again = start(browser, tool_url)
    assert question_number(again) == (1, SHORT)
    assert db.scalar(select(func.count()).select_from(Attempt)) == 2

    # One with a competence assessed counts: that was the link's one attempt.
    submit(browser, answer_all(browser, again, on_my_own))
    overview = text_of(browser.get(tool_url + "/").text)
    assert "You have used all the attempts this activity allows." in overview
