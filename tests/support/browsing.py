"""What a person does in a browser, written as plain HTTP with a cookie jar."""

from __future__ import annotations

import html
import re

import requests


def form_fields(page: str) -> dict[str, str]:
    """Hidden inputs of the first form on a page (e.g. the platform's auto-posting form)."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in fields}


def form_action(page: str) -> str:
    return html.unescape(re.search(r'<form action="([^"]+)" method="post"', page).group(1))


def dev_launch(
    browser: requests.Session,
    tool_url: str,
    person: str = "learner",
    course: str = "digi101",
    locale: str = "sv",
) -> requests.Response:
    """Click "Launch as ..." on the dev platform and let the browser post its form."""
    platform_page = browser.get(
        f"{tool_url}/dev-platform/start",
        params={"person": person, "course": course, "locale": locale},
    )
    assert platform_page.status_code == 200, platform_page.text
    return browser.post(form_action(platform_page.text), data=form_fields(platform_page.text))


def text_of(page: str) -> str:
    """The visible text of a page, whitespace folded, for asserting what a person reads."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()
