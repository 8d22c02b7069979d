"""Assignment and Grade Services: put a score in the platform's gradebook.

Scores go to the line item the launch named.  When it named none but granted
the `lineitem` scope, the tool uses the platform's line item of that resource
link (GET lineitems?resource_link_id=...), or creates one column for it, once,
and remembers it.  The column it creates carries the launch's `resourceLinkId`:
Moodle ties such a line item to the activity (without it, a hand-added activity
with "Accept grades from the tool" off got a free-standing column and no grade;
issue 17).  Moodle's "grade sync only" mode grants no `lineitem` scope; the tool
then never tries to create line items.  Sending a score twice is harmless: the
platform keeps the one with the latest timestamp.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti.grades import AGS_ENDPOINT, LINEITEM_SCOPE, SCORE_SCOPE
from lti.service_tokens import ServiceTokens
from outbound.delivery import DeliveryFailed, failure_from_status
from storage import LineItem, PlatformRegistration
from storage.courses import ResourceLink
from storage.database import get_or_create

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM_TAG = "kompetenslyft-overall"


def scores_url(lineitem_url: str) -> str:
    """The scores endpoint of a line item: /scores after its path, before its query."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def grades_cannot_flow(claims: dict) -> bool:
    """True when a launch leaves the tool no way to put a grade in the platform's gradebook:
    no AGS claim or no score scope (Moodle's tool configuration does not use "IMS LTI
    Assignment and Grade Services"), or no line item named and none it may create."""
    endpoint = claims.get(AGS_ENDPOINT) if isinstance(claims, dict) else None
    scopes = endpoint.get("scope") if isinstance(endpoint, dict) else None
    if not isinstance(scopes, list) or SCORE_SCOPE not in scopes:
        return True
    if endpoint.get("lineitem"):
        return False
    return LINEITEM_SCOPE not in scopes or not endpoint.get("lineitems")


def with_query(url: str, **params: str) -> str:
    """`url` with these query parameters added to the ones it has (Moodle's ?type_id=1)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def line_item_of_link(items: object, link: str) -> str | None:
    """From a line item container: ours for the resource link, else any tied to it."""
    tied = [
        item
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
        and item.get("id")
        and str(item.get("resourceLinkId") or item.get("ltiLinkId") or "") == link
    ]
    tied.sort(key=lambda item: item.get("tag") != LINEITEM_TAG)
    return tied[0]["id"] if tied else None


class AgsScoreSender:
    """Delivers an `ags.score` outbox payload (see `lti.grades.queue_score`)."""

    def __init__(self, http: requests.Session, tokens: ServiceTokens) -> None:
        self._http = http
        self._tokens = tokens

    def __call__(self, session: Session, payload: dict) -> None:
        registration = session.get(PlatformRegistration, payload["registration_id"])
        if registration is None or not registration.enabled:
            raise DeliveryFailed(
                "the platform registration is removed or disabled", retryable=False
            )
        scopes = set(payload.get("scopes") or [])
        lineitem = payload.get("lineitem") or self._own_line_item(session, registration, payload)
        token = self._tokens.token(session, registration, sorted(scopes & {SCORE_SCOPE}))
        self._post(registration, scores_url(lineitem), payload["score"], SCORE_TYPE, token)

    def _own_line_item(
        self, session: Session, registration: PlatformRegistration, payload: dict
    ) -> str:
        if LINEITEM_SCOPE not in (payload.get("scopes") or []) or not payload.get("lineitems"):
            raise DeliveryFailed(
                "the launch named no line item and the platform does not let the tool create one",
                retryable=False,
            )
        link_id = payload.get("resource_link_id")
        existing = session.scalar(
            select(LineItem.url).where(
                LineItem.resource_link_id == link_id, LineItem.tag == LINEITEM_TAG
            )
        )
        if existing:
            return existing
        link = session.get(ResourceLink, link_id) if link_id is not None else None
        platform_link = link.lti_resource_link_id if link is not None else None
        token = self._tokens.token(session, registration, [LINEITEM_SCOPE])
        url = None
        if platform_link:
            # A column the platform already has for this activity (its own, or one the tool
            # made before an answer got lost) is used rather than a second one.
            found = self._get(
                registration,
                with_query(payload["lineitems"], resource_link_id=platform_link),
                CONTAINER_TYPE,
                token,
            )
            url = line_item_of_link(found, platform_link)
        if not url:
            body = {
                "scoreMaximum": payload["score"]["scoreMaximum"],
                "label": payload.get("label") or "Kompetenslyft",
                "tag": LINEITEM_TAG,
                "resourceId": f"kompetenslyft-{link_id}",
            }
            if platform_link:
                body["resourceLinkId"] = platform_link
            created = self._post(registration, payload["lineitems"], body, LINEITEM_TYPE, token)
            url = created.get("id") if isinstance(created, dict) else None
        if not url:
            raise DeliveryFailed("the platform created a line item without an id", retryable=True)
        row = get_or_create(
            session,
            lambda: session.scalar(
                select(LineItem).where(
                    LineItem.resource_link_id == link_id, LineItem.tag == LINEITEM_TAG
                )
            ),
            lambda: LineItem(resource_link_id=link_id, tag=LINEITEM_TAG, url=url),
        )
        session.commit()  # the column exists at the platform now; remember it even if scoring fails
        return row.url

    def _get(self, registration: PlatformRegistration, url: str, accept: str, token: str) -> object:
        headers = {"Authorization": f"Bearer {token}", "Accept": accept}
        return self._answer(registration, url, lambda: self._http.get(url, headers=headers))

    def _post(
        self,
        registration: PlatformRegistration,
        url: str,
        body: dict,
        content_type: str,
        token: str,
    ) -> object:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": content_type,
            "Accept": "application/json",
        }
        return self._answer(
            registration, url, lambda: self._http.post(url, json=body, headers=headers)
        )

    def _answer(self, registration: PlatformRegistration, url: str, send) -> object:
        try:
            response = send()
        except requests.RequestException as error:
            raise DeliveryFailed(f"{url}: {error}", retryable=True) from error
        if response.status_code == 401:
            # The token may have been revoked early; the next try fetches a new one.
            self._tokens.forget(registration.id)
            raise DeliveryFailed(f"HTTP 401 from {url}", retryable=True)
        if not 200 <= response.status_code < 300:
            raise failure_from_status(
                response.status_code, response.text, response.headers.get("Retry-After")
            )
        try:
            return response.json() if response.text.strip() else None
        except ValueError:
            return None  # Moodle answers a score with 200 and an empty or non-JSON body
