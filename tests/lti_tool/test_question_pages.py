"""The question pages as a person meets them: a plain name above each question, the list of
all questions (answered or not, each a link), "Continue where you left off" back to where
the person stopped, focus on the question, and an attempt started before the full
instrument's double statements were split still answered, submitted and read on its own
version. Accessibility (axe, 375 px, keyboard) of these pages: test_question_pages_access.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests
from sqlalchemy import select

from competence.frameworks import digcomp
from competence.instruments import instrument_from_document, shipped_instruments
from storage import Attempt, AttemptStatus
from storage.attempts import store_instrument
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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instruments"
SHORT = 21


def questions_page(browser: requests.Session, page: requests.Response) -> requests.Response:
    """Press "Show all questions" on a question page (saving nothing chosen)."""
    return answer(browser, page, None, direction="overview")


def test_question_label_matches_what_is_asked(browser, tool_url):
    number = [item.id for item in shipped_instruments()["digcomp-2.2-full"].items].index("3.4-a")
    dev_launch(browser, tool_url, course="digi201")
    page = start(browser, tool_url)
    for _ in range(number):  # on to the question about an e-mail rule
        page = answer(browser, page, None)

    assert question_number(page) == (number + 1, 68)
    shown = text_of(page.text)
    assert "Regler i e-posten" in shown and "e-posten" in shown
    assert "Programmering" not in shown  # the official name misled here


def test_resume_returns_to_the_question_where_the_person_stopped(browser, other_browser, tool_url):
    dev_launch(browser, tool_url)
    page = start(browser, tool_url)
    page = answer(browser, page, "on_my_own")  # 1
    page = answer(browser, page, None)  # 2 skipped
    for _ in range(5):  # 3..7
        page = answer(browser, page, "with_help")
    assert question_number(page) == (8, SHORT)  # and here the person stops

    dev_launch(other_browser, tool_url)
    resumed = start(other_browser, tool_url)
    assert question_number(resumed) == (8, SHORT)  # not 2, the first skipped one

    # Jumping ahead and answering there: they continue after that question.
    overview = questions_page(other_browser, resumed)
    jumped = other_browser.get(tool_url + link_to(overview, 15))
    answer(other_browser, jumped, "expert")
    assert question_number(start(browser, tool_url)) == (16, SHORT)


def link_to(page: requests.Response, number: int) -> str:
    """The overview's link to question `number`."""
    link = rf'href="([^"]+/items/{number})"[^>]*data-testid="question-{number}"'
    return re.search(link, page.text).group(1)


def test_overview_jumps_to_an_unanswered_question(browser, tool_url):
    dev_launch(browser, tool_url, locale="en")
    page = start(browser, tool_url)
    page = answer(browser, page, "on_my_own")  # 1
    page = answer(browser, page, None)  # 2, no answer
    page = answer(browser, page, "on_my_own")  # 3

    # "Show all questions" saves what is chosen first, then lists every question.
    data = {"csrf_token": csrf(page.text), "answer": "expert", "direction": "overview"}
    overview = browser.post(page.url, data=data)
    shown = text_of(overview.text)
    assert "All questions" in shown
    assert "You have answered 3 of 21 questions." in shown
    assert "Question 1: Searching for information – answered" in shown
    assert "Question 2: Trusting information – not answered" in shown
    assert "Question 4: E-mail, chat and video meetings – answered (you were here)" in shown
    assert 'aria-current="step"' in overview.text and "<nav" in overview.text
    assert "Go to the first question without an answer (question 2)" in shown

    jumped = browser.get(tool_url + link_to(overview, 2))
    assert question_number(jumped) == (2, SHORT)
    assert "Trusting information" in text_of(jumped.text)
    assert "checked" not in jumped.text


def test_each_question_page_leads_to_the_list_of_all_questions(browser, tool_url):
    dev_launch(browser, tool_url)
    page = start(browser, tool_url)
    assert 'value="overview"' in page.text  # 21 questions: listed
    assert "Visa alla frågor" in text_of(page.text)


def test_question_says_that_arrow_keys_choose(browser, tool_url):
    dev_launch(browser, tool_url)
    page = start(browser, tool_url)
    assert 'aria-describedby="keys-hint"' in page.text
    assert "Välj ett svar. Med tangentbordet flyttar du mellan svaren med piltangenterna." in (
        text_of(page.text)
    )
    assert 'id="question" tabindex="-1" autofocus' in page.text


def test_an_attempt_from_before_the_split_is_answered_submitted_and_read(browser, tool_url, db):
    """Someone who began the 63-question version keeps it: its questions (the double ones
    too), answers, scoring and result; a new attempt gets the 68 questions."""
    document = json.loads((FIXTURES / "digcomp-2.2-full-v1.json").read_text(encoding="utf-8"))
    old = instrument_from_document(document, digcomp())
    row_id = store_instrument(db, old, digcomp(), document).id
    db.commit()
    dev_launch(browser, tool_url, course="digi201")
    start(browser, tool_url)
    attempt = db.scalar(select(Attempt))
    attempt.instrument_id = row_id  # as if started before this version shipped
    db.commit()

    page = start(browser, tool_url)  # "Continue where you left off"
    assert question_number(page) == (1, 63)
    for _ in range(7):
        page = answer(browser, page, None)
    assert question_number(page) == (8, 63)
    assert "och sortera och filtrera" in text_of(page.text)  # version 1's question 8
    assert "Ordna information för kollegor" not in text_of(page.text)

    def choose(options):
        return "on_my_own" if "on_my_own" in options else options[0]

    results = submit(browser, answer_all(browser, page, choose))
    assert results.url.endswith("/results")
    assert len(table_levels(results)) == 21
    db.expire_all()
    assert db.get(Attempt, attempt.id).status is AttemptStatus.SUBMITTED
    assert db.get(Attempt, attempt.id).result["competences"]["1.3"]["level"] is not None

    # A new attempt is on the new version.
    fresh = start(browser, tool_url)
    assert question_number(fresh) == (1, 68)
    assert options_of(fresh)
