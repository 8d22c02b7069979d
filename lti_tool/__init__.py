"""The Flask web app: LTI endpoints, pages, and the built-in dev platform."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings, SettingsError, load_settings
from lti.platform_keys import PlatformKeyCache
from outbound.http_client import make_http_session
from storage import Database

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings()
    unsafe = settings.unsafe_for_production()
    if unsafe:
        raise SettingsError("refusing to start in production mode: " + "; ".join(unsafe))

    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        DEFAULT_LOCALE=settings.default_locale,
        PREFERRED_URL_SCHEME="https" if settings.uses_https else "http",
        # Inside a platform's iframe the session cookie is third-party: it needs
        # SameSite=None, which browsers accept only with Secure (so only over https).
        SESSION_COOKIE_SECURE=settings.uses_https,
        SESSION_COOKIE_SAMESITE="None" if settings.uses_https else "Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_NAME="kompetenslyft_session",
        # The cookie's own lifetime; lti_tool.sessions also ends idle sessions earlier.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_absolute_hours),
        MAX_CONTENT_LENGTH=settings.max_id_token_bytes + 16_384,
    )
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.proxy_count,
            x_proto=settings.proxy_count,
            x_host=settings.proxy_count,
            x_prefix=settings.proxy_count,
        )

    from lti_tool import (
        csrf,
        errors,
        i18n,
        input_limits,
        rate_limits,
        request_logs,
        security,
        sessions,
    )
    from lti_tool import database as database_ext

    input_limits.bound_ids(app)

    request_logs.init_app(app)
    database_ext.init_app(app, database or Database(settings.database_url))
    rate_limits.init_app(app)
    sessions.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    app.extensions["platform_keys"] = PlatformKeyCache(
        make_http_session(timeout=settings.http_timeout_seconds),
        max_age=settings.platform_jwks_max_age_seconds,
        min_refetch_interval=settings.platform_jwks_min_refetch_seconds,
        timeout=settings.http_timeout_seconds,
    )

    from lti_tool import (
        admin,
        assessment,
        catalogue,
        data_protection,
        deep_linking,
        health,
        home,
        identity,
        launch,
        link_settings,
        metrics,
        organisation,
        organisation_pages,
        participants,
        plan_pdf,
        plans,
        privacy_notice,
        programme,
        registration,
        result_report,
        role_profiles,
        statement_api,
        team,
    )

    # Every area of the site, in the order their routes and template helpers are added.
    blueprints = [
        health.bp,
        metrics.bp,
        launch.bp,
        home.bp,
        assessment.bp,
        participants.bp,
        programme.bp,
        catalogue.bp,
        plans.bp,
        plan_pdf.bp,
        result_report.bp,
        deep_linking.bp,
        link_settings.bp,
        registration.bp,
        admin.bp,
        organisation.bp,
        role_profiles.bp,
        data_protection.bp,
        team.bp,
        privacy_notice.bp,
        identity.bp,
        organisation_pages.bp,
        statement_api.bp,
    ]
    if settings.dev_platform_enabled:
        from lti_tool import dev_platform

        blueprints.append(dev_platform.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    input_limits.refuse_nul_last(app)
    return app
