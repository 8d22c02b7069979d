"""A small LTI 1.3 platform inside the app, for development and the test suite.

It is a real platform as far as the tool can tell: it starts the OIDC login,
answers the authentication request with an id_token signed by its own key, and
publishes that key as JWKS.  It is only ever mounted in development mode.
"""

from lti_tool.dev_platform import deep_link_views  # noqa: F401  (adds its routes to bp)
from lti_tool.dev_platform.views import bp

__all__ = ["bp"]
