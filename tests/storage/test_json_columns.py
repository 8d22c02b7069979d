"""JSON columns read back what was stored: orjson reads them, and what it refuses still reads."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from storage.database import JSONDocument, make_engine


def test_text_orjson_refuses_is_still_read_back_from_sqlite(tmp_path):
    # A lone surrogate arrives as a JSON escape ("\ud800") in a request body; json.loads takes
    # it, SQLite stores it, and orjson would refuse to read the row back.  (PostgreSQL's
    # jsonb refuses it on the way in.)
    engine = make_engine(f"sqlite:///{tmp_path / 'json.sqlite3'}")
    table = Table(
        "documents",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("body", JSONDocument),
    )
    table.metadata.create_all(engine)
    stored = [
        {"title": "Digital kompetens \ud800", "levels": {"1.1": 3}},
        {"title": "Sök på nätet"},
    ]
    with engine.begin() as connection:
        connection.execute(insert(table), [{"body": body} for body in stored])
        read = connection.scalars(select(table.c.body).order_by(table.c.id)).all()
    engine.dispose()

    assert read == stored
