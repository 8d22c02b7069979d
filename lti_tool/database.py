"""One database session per request, closed (and rolled back if uncommitted) at its end."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from storage import Database


def init_app(app: Flask, database: Database) -> None:
    app.extensions["database"] = database
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["database"].sessions()
    return g.db_session


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
