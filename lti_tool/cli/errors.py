"""How the `kompetenslyft` command ends when something fails: one line, never a traceback.

Each command refuses the problems it knows (a bad row, an unknown organisation) with its
own message.  What is left is input no command checks for, found deep down: a file nested
too deeply for the JSON parser (100,000 `[` is a RecursionError), a NUL character or text
that is not UTF-8, a value the database cannot store (PostgreSQL refuses NUL in text and
numbers beyond its integer).  Those are the operator's input, not a bug: the root group
turns them into one line and exit code 2, as click does for a bad option.

Anything else is a bug or a broken environment (the database gone, a full disk): one line
naming the error, exit code 1, and the traceback only when asked for with
`kompetenslyft --debug …` or KOMPETENSLYFT_DEBUG=1, so it is never hidden from whoever
needs it and never shown to whoever does not.
"""

from __future__ import annotations

import json
import re

import click
from sqlalchemy.exc import DataError

from config import SettingsError

DEBUG_HINT = "run again with --debug (or KOMPETENSLYFT_DEBUG=1) for the traceback"
_LONGEST = 300  # characters of an error's own text kept in the line


class InputRefused(click.ClickException):
    """The operator's input cannot be used; exit code 2, like a bad option."""

    exit_code = 2


class ConfigurationRefused(InputRefused):
    def format_message(self) -> str:
        return f"configuration error: {self.message}"


class UnexpectedFailure(click.ClickException):
    """A bug or a broken environment, told in one line; exit code 1."""

    exit_code = 1


class CommandLine(click.Group):
    """The root group: every command's failures end as described above."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            raise one_line(error) from error


def one_line(error: Exception) -> click.ClickException:
    """The refusal a failure ends in: what it means for the operator, in one line."""
    if isinstance(error, SettingsError):
        return ConfigurationRefused(_text(error))
    if isinstance(error, RecursionError):
        return InputRefused("the input is nested too deeply to read")
    if isinstance(error, json.JSONDecodeError):
        return InputRefused(f"the input is not valid JSON: {_text(error)}")
    if isinstance(error, UnicodeDecodeError):
        return InputRefused(
            f"the input is not UTF-8 text (byte 0x{error.object[error.start]:02x} "
            f"at position {error.start}); save it as UTF-8"
        )
    if isinstance(error, UnicodeEncodeError):
        return InputRefused("the input holds a character no text can store (a lone surrogate)")
    if isinstance(error, ValueError) and _names_nul(str(error)):
        return InputRefused("the input contains a NUL character (a zero byte)")
    if isinstance(error, DataError):
        cause = _text(error.orig) if error.orig is not None else type(error).__name__
        if _names_nul(cause):
            return InputRefused("the input contains a NUL character (a zero byte)")
        return InputRefused(f"a value the database cannot store: {cause}")
    if isinstance(error, OverflowError):
        return InputRefused(f"a number too large: {_text(error)}")
    return UnexpectedFailure(f"unexpected {type(error).__name__}: {_text(error)} ({DEBUG_HINT})")


_NUL = re.compile(r"\bNUL\b|null (?:byte|character)", re.IGNORECASE)


def _names_nul(text: str) -> bool:
    """ "embedded null byte" (a path, os), "cannot contain NUL (0x00) …" (psycopg)."""
    return _NUL.search(text) is not None


def _text(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= _LONGEST else first[: _LONGEST - 1] + "…"
