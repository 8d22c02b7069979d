"""A platform's Names and Role Provisioning Service on loopback, strict like a real one.

Extends the platform-services double (token endpoint, AGS) with NRPS v2
membership containers: the bearer token must carry the contextmembership
scope and the Accept header must ask for the membership container type.
Rosters are served in pages linked by `Link: <...>; rel="next"`; the last page
offers `rel="differences"`, which lists only the members changed since (those
who left as `Deleted`), as the specification describes.  Tests can make the
paging loop, or make the service fail.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.platform_services import PlatformServices
from tests.support.stub_server import Reply, Request

MEMBERSHIP_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
COURSE_PATH = re.compile(r"^/mod/lti/services\.php/CourseSection/([^/]+)/bindings/1/memberships$")


class NrpsServices(PlatformServices):
    def __init__(
        self,
        tool_url: str,
        client_id: str,
        granted_scopes: set[str] | None = None,
        page_size: int = 100,
    ) -> None:
        super().__init__(tool_url, client_id, granted_scopes or {MEMBERSHIP_SCOPE})
        self.page_size = page_size
        self.rosters: dict[str, dict[str, dict]] = {}  # course -> user_id -> member, in order
        self.change_log: dict[str, list[tuple[int, dict]]] = {}  # course -> (version, member)
        self.version = 0
        self.offer_differences = True
        self.loop_back: tuple[int, int] | None = None  # page N's `next` points back to page M
        self.fail_memberships_with: int | None = None
        self.membership_requests: list[str] = []  # every GET, path and query

    # -- what the platform's roster holds -----------------------------------------------------

    def memberships_url(self, course: str = "2") -> str:
        return f"{self.url}/mod/lti/services.php/CourseSection/{course}/bindings/1/memberships"

    def enrol(self, course: str, member: dict) -> None:
        """Add a member or change one (matched by user_id)."""
        with self._lock:
            member = {"status": "Active", **member}
            self.rosters.setdefault(course, {})[member["user_id"]] = member
            self._changed(course, member)

    def unenrol(self, course: str, user_id: str) -> None:
        """Moodle's way: the person is simply no longer listed; a differences listing says so."""
        with self._lock:
            member = self.rosters.get(course, {}).pop(user_id)
            self._changed(course, {**member, "status": "Deleted"})

    def _changed(self, course: str, member: dict) -> None:
        self.version += 1
        self.change_log.setdefault(course, []).append((self.version, dict(member)))

    # -- the exchange -----------------------------------------------------------------------

    def _handle(self, request: Request) -> Reply:
        path = urlsplit(request.target)
        course = COURSE_PATH.match(path.path)
        if request.method != "GET" or course is None:
            return super()._handle(request)
        with self._lock:
            self.membership_requests.append(request.target)
            if self.down:
                return self._reply(503, {"error": "maintenance"}, retry_after="1")
            scopes = self._bearer_scopes(request)
            if scopes is None:
                return self._refuse(401, "missing or unknown bearer token")
            if MEMBERSHIP_SCOPE not in scopes:
                return self._refuse(403, "token lacks the contextmembership scope")
            accepted = [part.split(";")[0].strip() for part in request.headers["Accept"].split(",")]
            if MEMBERSHIP_CONTAINER not in accepted:
                return self._refuse(406, f"cannot answer Accept {accepted}")
            if self.fail_memberships_with:
                return self._refuse(self.fail_memberships_with, "refused by the test")
            return self._memberships(request, course.group(1), parse_qs(path.query))

    def _memberships(self, request: Request, course: str, query: dict[str, list[str]]) -> Reply:
        base = self.memberships_url(course)
        links = []
        if "since" in query:
            since = int(query["since"][0])
            latest = {}
            for version, member in self.change_log.get(course, []):
                if version > since:
                    latest[member["user_id"]] = member
            members = list(latest.values())
            last_page = True
        else:
            everyone = list(self.rosters.get(course, {}).values())
            pages = max(1, math.ceil(len(everyone) / self.page_size))
            page = int(query.get("page", ["1"])[0])
            members = everyone[(page - 1) * self.page_size : page * self.page_size]
            last_page = page >= pages
            if self.loop_back and self.loop_back[0] == page:
                links.append(f'<{base}?{urlencode({"page": self.loop_back[1]})}>; rel="next"')
            elif not last_page:
                links.append(f'<{base}?{urlencode({"page": page + 1})}>; rel="next"')
        if last_page and self.offer_differences:
            links.append(f'<{base}?{urlencode({"since": self.version})}>; rel="differences"')
        body = {
            "id": self.url + request.target,
            "context": {"id": course, "label": "DIGI101", "title": "Digital Competence 101"},
            "members": members,
        }
        headers = {"Link": ", ".join(links)} if links else {}
        return Reply.json(body, content_type=MEMBERSHIP_CONTAINER + "; charset=utf-8", **headers)


def numbered_members(count: int, start: int = 1) -> list[dict]:
    """Invented staff: every fifth one an Instructor, full role URIs and short names mixed."""
    members = []
    for number in range(start, start + count):
        teacher = number % 5 == 0
        short = "Instructor" if teacher else "Learner"
        role = short if number % 2 else "http://purl.imsglobal.org/vocab/lis/v2/membership#" + short
        members.append(
            {
                "status": "Active",
                "roles": [role],
                "user_id": f"u{number:05d}",
                "lis_person_sourcedid": f"HR{number:05d}",
                "name": f"Åsa{number} Öberg{number}",
                "given_name": f"Åsa{number}",
                "family_name": f"Öberg{number}",
                "email": f"staff{number}@example.invalid",
            }
        )
    return members
