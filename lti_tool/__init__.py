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

    from lti_tool import assessment, health, home, launch, metrics

    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(launch.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(assessment.bp)
    from lti_tool import participants

    app.register_blueprint(participants.bp)
    from lti_tool import programme

    app.register_blueprint(programme.bp)
    from lti_tool import catalogue, plan_pdf, plans

    app.register_blueprint(catalogue.bp)
    app.register_blueprint(plans.bp)
    app.register_blueprint(plan_pdf.bp)
    from lti_tool import deep_linking, link_settings

    app.register_blueprint(deep_linking.bp)
    app.register_blueprint(link_settings.bp)
    from lti_tool import admin, registration

    app.register_blueprint(registration.bp)
    app.register_blueprint(admin.bp)
    from lti_tool import data_protection, organisation, privacy_notice, team

    app.register_blueprint(organisation.bp)
    app.register_blueprint(data_protection.bp)
    app.register_blueprint(team.bp)
    app.register_blueprint(privacy_notice.bp)
    from lti_tool import statement_api

    app.register_blueprint(statement_api.bp)
    if settings.dev_platform_enabled:
        from lti_tool import dev_platform

        app.register_blueprint(dev_platform.bp)
    input_limits.refuse_nul_last(app)
    return app
