"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from storage.migrate import answering_revision, head_revision

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers; says nothing about its dependencies."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready to serve people: the database answers and its schema is current."""
    engine = current_app.extensions["database"].engine
    try:
        revision = answering_revision(engine)
    except SQLAlchemyError:
        current_app.logger.warning("readiness: database unreachable", exc_info=True)
        return jsonify(status="unavailable", reason="database_unreachable"), 503
    if revision != head_revision():
        return jsonify(
            status="unavailable",
            reason="migrations_pending",
            database=revision,
            code=head_revision(),
        ), 503
    return jsonify(status="ready", revision=revision)
