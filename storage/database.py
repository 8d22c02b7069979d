"""Engine, sessions and the column types every model shares.

SQLite is the embedded default and PostgreSQL the production store; the few
places where they differ (timestamps, JSON, connection pragmas) are settled here
so that models and queries stay the same on both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    MetaData,
    Table,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names let Alembic alter tables on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite has no time zones and hands back naive values; comparing those with
    aware ones raises.  Storing naive UTC and re-attaching UTC on the way out
    keeps Python code free of that difference.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use storage.database.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def read_json(text: str | bytes):
    """JSON columns read with orjson: 100,000 HR records read 300,000 JSON values, and
    json.loads spent 1.9 s of 9 s on SQLite decoding them.  What orjson refuses and
    json.loads takes (a lone surrogate escape, "\\ud800", stored on SQLite) still reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(database_url: str, **options) -> Engine:
    options.setdefault("json_deserializer", read_json)
    # A failed statement's error names its parameters unless hidden, and errors are logged:
    # a staff list's names and e-mail addresses, a search, a token would reach the log.
    options.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(database_url, **options)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(database_url, **options)


def insert_new(session: Session, table: Table, rows: list[dict]) -> int:
    """INSERT … ON CONFLICT DO NOTHING: how many of `rows` were new.

    One statement, no savepoint and no SELECT first: the cheap way to write
    rows whose natural key may already be there (a re-recorded event, a
    re-queued delivery), on SQLite and PostgreSQL alike.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    key = list(table.primary_key.columns)[0]
    statement = insert(table).on_conflict_do_nothing().returning(key)
    # RETURNING, not rowcount: drivers differ in what rowcount says here. The rows go as
    # parameters, not as .values(rows): SQLAlchemy caches the compiled statement then (a
    # multi-row .values() is compiled anew each time), and still sends several rows as one
    # multi-row VALUES ("insertmanyvalues").
    return len(session.execute(statement, rows).all())


def get_or_insert(session: Session, model: type[Row], find: Callable[[], Row | None], values: dict):
    """Find a row or insert it, like get_or_create, for a row that is often new (a person's
    first launch): the insert is one INSERT … ON CONFLICT DO NOTHING RETURNING instead of a
    savepoint, an INSERT and its release. A concurrent insert of the same key is found."""
    row = find()
    if row is not None:
        return row
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model)
    row = session.scalars(statement).first()
    return row if row is not None else find()


def one_of(session: Session, column, values: list) -> ColumnElement[bool]:
    """`column IN values` for thousands of values, the values sent as one parameter: on
    PostgreSQL `= ANY(array)`, on SQLite `IN (SELECT value FROM json_each(:ids))`.

    An IN list of 5,000 placeholders costs the driver more to prepare than the server to
    run; on SQLite SQLAlchemy's expansion of the list took 0.9 s per 100,000 HR records.
    Ids (UUID strings, integers) travel as one string the server splits: psycopg adapts a
    list element by element, 13 ms for 5,000 UUIDs against 2 ms for the string."""
    values = list(values)
    if session.get_bind().dialect.name != "postgresql":
        if all(type(value) in (str, int) for value in values):
            return column.in_(select(each_of(session, values)))
        return column.in_(values)
    if all(type(value) is str and "," not in value for value in values):
        return column == any_(_split(values))
    if all(type(value) is int for value in values):
        return column == any_(cast(_split(values), ARRAY(BigInteger)))
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


def each_of(session: Session, ids: list) -> ColumnElement:
    """A row per id, from one parameter (`SELECT each_of(...)`): for INSERT … SELECT of
    thousands of rows that differ only by id, and for `one_of` on SQLite.  Ids are strings
    without commas; on SQLite integers too."""
    if session.get_bind().dialect.name == "postgresql":
        return func.unnest(_split(ids))
    return func.json_each(bindparam(None, json.dumps(ids))).table_valued("value").c.value


def _split(ids: list) -> ColumnElement:
    """PostgreSQL's text array of `ids`, sent as one comma-separated string (see one_of)."""
    return func.string_to_array(bindparam(None, ",".join(map(str, ids))), ",")


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """One engine and its session factory; the web app and CLI each hold one."""

    def __init__(self, database_url: str, **engine_options) -> None:
        self.url = database_url
        self.engine = make_engine(database_url, **engine_options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back if it raises."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


Row = TypeVar("Row")


def get_or_create(session: Session, find: Callable[[], Row | None], make: Callable[[], Row]) -> Row:
    """Find a row or insert it; a concurrent insert of the same key is found, not duplicated."""
    row = find()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = make()
            session.add(row)
    except IntegrityError:
        row = find()
        if row is None:
            raise
    return row
