"""each attempt keeps what its activity said about sharing with the manager when it started

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:10:00

"Share the results with the participant's manager? No" on an activity was stored and shown
but never asked: a manager saw every result of an instrument the organisation shares.  The
employee is now told, before the first question, whether their manager will see the result;
the attempt keeps that answer (storage.result_sharing), so a teacher who later changes the
activity to "yes" does not open results given under "no".

Attempts made before this revision get what their activity says now (its setting in the
tool, else its custom parameter; an activity that does not say, says no).  Attempts whose
activity is gone get no: nobody can tell any more what they were made under.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

YES = {"yes", "true", "1", "ja"}


def _says_yes(settings, custom) -> bool:
    """A copy of storage.result_sharing.activity_shares as of this revision."""

    def parse(value) -> bool:
        if isinstance(value, bool):
            return value
        return isinstance(value, str) and value.strip().lower() in YES

    settings, custom = settings or {}, custom or {}
    if "share_with_manager" in settings:
        return parse(settings["share_with_manager"])
    return parse(custom.get("share_with_manager"))


def upgrade() -> None:
    op.add_column(
        "attempts",
        sa.Column("shared_with_manager", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    links = sa.table(
        "resource_links",
        sa.column("id", sa.Integer),
        sa.column("settings", sa.JSON),
        sa.column("custom", sa.JSON),
    )
    attempts = sa.table(
        "attempts",
        sa.column("resource_link_id", sa.Integer),
        sa.column("shared_with_manager", sa.Boolean),
    )
    bind = op.get_bind()
    sharing = [
        link_id
        for link_id, settings, custom in bind.execute(
            sa.select(links.c.id, links.c.settings, links.c.custom)
        )
        if _says_yes(settings, custom)
    ]
    for start in range(0, len(sharing), 500):
        bind.execute(
            attempts.update()
            .where(attempts.c.resource_link_id.in_(sharing[start : start + 500]))
            .values(shared_with_manager=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("shared_with_manager")
