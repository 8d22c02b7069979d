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
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from lti import claims as c
from tests.support.platforms import SigningKey

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


class FramingPlatform:
    def __init__(self, tool_url: str, client_id: str = "framing-client") -> None:
        self.tool_url = tool_url
        self.client_id = client_id
        self.deployment_id = "1"
        self.key = SigningKey("framing-key")
        self.issued: list[str] = []
        self.returned: list[str] = []  # deep-linking responses posted back by the tool
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer._handle(self)

            def do_POST(self):  # noqa: N802
                outer._return(self)

            def log_message(self, *args):
                """Quiet: a test reports through its assertions, not the server log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def course_page_url(self, storage: bool, deep_linking: bool = False) -> str:
        return f"{self.url}/course?storage={int(storage)}&deep_linking={int(deep_linking)}"

    def _return(self, request: BaseHTTPRequestHandler) -> None:
        """Moodle's contentitem_return.php: takes the tool's signed deep-linking response."""
        length = int(request.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        if urlsplit(request.path).path != "/return" or "JWT" not in form:
            request.send_response(400)
            request.end_headers()
            return
        self.returned.append(form["JWT"])
        self._page(
            request,
            "<!doctype html><html lang='en'><head><title>Added</title></head><body>"
            "<h1>Activity added</h1></body></html>",
        )

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/course":
            return self._page(
                request,
                self._course(query.get("storage") == "1", query.get("deep_linking") == "1"),
            )
        if parts.path == "/auth":
            return self._page(request, self._auth(query))
        if parts.path == "/jwks":
            body = json.dumps({"keys": [self.key.public_jwk]}).encode()
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
            return None
        request.send_response(404)
        request.end_headers()
        return None

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

    @staticmethod
    def _page(request: BaseHTTPRequestHandler, page: str) -> None:
        body = page.encode()
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
