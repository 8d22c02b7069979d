"""A person answering an assessment, through the tool's own forms (plain HTTP)."""

from __future__ import annotations

import re

import requests

from tests.support.browsing import text_of


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def start(browser: requests.Session, tool_url: str) -> requests.Response:
    """Press Start (or Continue) on the overview page."""
    overview = browser.get(tool_url + "/")
    return browser.post(tool_url + "/assessment/start", data={"csrf_token": csrf(overview.text)})


def question_number(page: requests.Response) -> tuple[int, int]:
    found = re.search(r"(?:Fråga|Question) (\d+) (?:av|of) (\d+)", text_of(page.text))
    return int(found.group(1)), int(found.group(2))


def options_of(page: requests.Response) -> list[str]:
    return re.findall(r'type="radio" name="answer" id="[^"]+" value="([^"]+)"', page.text)


def answer(
    browser: requests.Session, page: requests.Response, option: str | None, direction: str = "next"
) -> requests.Response:
    data = {"csrf_token": csrf(page.text), "direction": direction}
    if option is not None:
        data["answer"] = option
    return browser.post(page.url, data=data)


def answer_all(browser: requests.Session, page: requests.Response, choose) -> requests.Response:
    """Answer every question from here on; `choose(options)` picks one. Returns the review page."""
    while "/items/" in page.url:
        page = answer(browser, page, choose(options_of(page)))
    return page


def submit(browser: requests.Session, review: requests.Response) -> requests.Response:
    """Press the review page's submit button ("Submit anyway" when questions are unanswered),
    sending the form's hidden fields as the browser would."""
    form = re.search(r'<form method="post" action="([^"]+/submit)">(.*?)</form>', review.text, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[2]))
    return browser.post(review.url.split("/attempts/")[0] + form[1], data=fields)


def table_levels(results: requests.Response) -> dict[str, int | None]:
    rows = re.findall(r'<tr data-competence="([^"]+)">.*?data-level="(\d*)"', results.text, re.S)
    return {competence: int(level) if level else None for competence, level in rows}
