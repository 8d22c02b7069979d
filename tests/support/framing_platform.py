"""A learning platform on another site that shows the tool in an iframe, as Moodle does.

It is served on 127.0.0.1 but addressed as http://localhost:<port>, so for the
browser the tool (on 127.0.0.1) is a different site inside the iframe: its
cookies are third-party.  With `storage` it offers the LTI client-side
postMessage storage (`lti_storage_target=_parent`), answering lti.put_data and
lti.get_data from its own window.  With `deep_linking` a teacher's "Select content" opens the
tool's chooser in the iframe, and the tool's answer is posted back to the platform's return
page (`returned` keeps each signed response).
"""

from __future__ import annotations

import html
import json
import time
from urllib.parse import urlencode

from lti import claims as c
from tests.support.platforms import SigningKey
from tests.support.stub_server import Reply, Request, StubServer

STORAGE_SCRIPT = """
<script>
  var store = {};
  window.addEventListener("message", function (event) {
    if (event.origin !== %(tool_origin)s) { return; }
    var data = event.data || {};
    if (data.subject === "lti.put_data") {
      store[data.key] = data.value;
      event.source.postMessage({subject: "lti.put_data.response", message_id: data.message_id,
                                key: data.key, value: data.value}, event.origin);
    } else if (data.subject === "lti.get_data") {
      event.source.postMessage({subject: "lti.get_data.response", message_id: data.message_id,
                                key: data.key, value: store[data.key]}, event.origin);
    }
  });
</script>
"""


class FramingPlatform(StubServer):
    def __init__(self, tool_url: str, client_id: str = "framing-client") -> None:
        self.tool_url = tool_url
        self.client_id = client_id
        self.deployment_id = "1"
        self.key = SigningKey("framing-key")
        self.issued: list[str] = []
        self.returned: list[str] = []  # deep-linking responses posted back by the tool
        super().__init__(
            self._elsewhere,
            routes={
                "GET /course": self._course_page,
                "GET /auth": self._auth_page,
                "GET /jwks": lambda request: Reply.json({"keys": [self.key.public_jwk]}),
                "POST /return": self._return,
            },
            host="localhost",
        )

    def course_page_url(self, storage: bool, deep_linking: bool = False) -> str:
        return f"{self.url}/course?storage={int(storage)}&deep_linking={int(deep_linking)}"

    @staticmethod
    def _elsewhere(request: Request) -> Reply:
        return Reply(400 if request.method == "POST" else 404)

    def _return(self, request: Request) -> Reply:
        """Moodle's contentitem_return.php: takes the tool's signed deep-linking response."""
        form = request.form()
        if "JWT" not in form:
            return Reply(400)
        self.returned.append(form["JWT"])
        return Reply.html(
            "<!doctype html><html lang='en'><head><title>Added</title></head><body>"
            "<h1>Activity added</h1></body></html>"
        )

    def _course_page(self, request: Request) -> Reply:
        query = {k: v[0] for k, v in request.query.items()}
        return Reply.html(
            self._course(query.get("storage") == "1", query.get("deep_linking") == "1")
        )

    def _auth_page(self, request: Request) -> Reply:
        return Reply.html(self._auth({k: v[0] for k, v in request.query.items()}))

    def _course(self, storage: bool, deep_linking: bool = False) -> str:
        login = {
            "iss": self.url,
            "login_hint": "3",
            "target_link_uri": self.tool_url + "/lti/launch",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        if storage:
            login["lti_storage_target"] = "_parent"
        if deep_linking:
            login["lti_message_hint"] = "deep_linking"
        script = STORAGE_SCRIPT % {"tool_origin": json.dumps(self.tool_url)} if storage else ""
        src = html.escape(f"{self.tool_url}/lti/login?{urlencode(login)}")
        return (
            f"<!doctype html><html lang='en'><head><title>Course</title>{script}</head><body>"
            f"<h1>Digital Competence 101</h1>"
            f"<iframe name='tool' title='Kompetenslyft' src='{src}' width='900' height='700'>"
            f"</iframe></body></html>"
        )

    def _auth(self, query: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": self.client_id,
            "sub": "3",
            "iat": now,
            "exp": now + 60,
            "nonce": query["nonce"],
            "name": "Lea Learner",
            c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
            c.VERSION: "1.3.0",
            c.DEPLOYMENT_ID: self.deployment_id,
            c.TARGET_LINK_URI: query["redirect_uri"],
            c.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            c.CONTEXT: {"id": "2", "label": "DIGI101", "title": "Digital Competence 101"},
            c.RESOURCE_LINK: {"id": "1", "title": "Självskattning"},
            c.CUSTOM: {"instrument": "digcomp-2.2-short"},
            c.LAUNCH_PRESENTATION: {"locale": "sv", "document_target": "iframe"},
        }
        if query.get("lti_message_hint") == "deep_linking":
            claims[c.MESSAGE_TYPE] = c.DEEP_LINKING_REQUEST
            claims[c.ROLES] = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
            del claims[c.RESOURCE_LINK]
            claims[c.DEEP_LINKING_SETTINGS] = {
                "deep_link_return_url": self.url + "/return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "title": "Självskattning",
            }
        token = self.key_sign(claims)
        self.issued.append(token)
        return (
            "<!doctype html><html lang='en'><head><title>Launching</title></head><body>"
            f"<form id='f' method='post' action='{html.escape(query['redirect_uri'])}'>"
            f"<input type='hidden' name='id_token' value='{html.escape(token)}'>"
            f"<input type='hidden' name='state' value='{html.escape(query['state'])}'>"
            "</form><script>document.getElementById('f').submit();</script></body></html>"
        )

    def key_sign(self, claims: dict) -> str:
        return self.key.sign(claims)
