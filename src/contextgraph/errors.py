"""One hierarchy for every error contextgraph tells a person, and what each means for a command's
exit code and a request's HTTP status.

A module raises its own subclass (a note that cannot be read is a :class:`~.notes.NoteError`, a
:class:`BadInput`); the command line prints the message and exits with :func:`exit_code`, the
service answers with :func:`http_status`. Any other exception is a defect: the command line shows
its traceback and the service masks it.

>>> class NoteProblem(BadInput): ...
>>> exit_code(NoteProblem("n1.md: not UTF-8 text")), http_status(NoteProblem("x"))
(1, 422)
>>> http_status(Refused("your role does not allow this")), http_status(ValueError("a defect"))
(403, 500)
"""

from __future__ import annotations

from typing import ClassVar


class ContextGraphError(Exception):
    """An error whose message is for the person who asked."""

    exit_code: ClassVar[int] = 1
    status: int = 400


class BadInput(ContextGraphError, ValueError):
    """Input that cannot be read or does not fit the vocabulary: the message names the file, line or field."""

    status = 422


class Refused(ContextGraphError, ValueError):
    """Need-to-know or a role does not allow it; nothing was done."""

    status = 403


class Unauthenticated(ContextGraphError, ValueError):
    """No one trusted is signed in."""

    status = 401


class Missing(ContextGraphError, LookupError):
    """What was asked for is not there, or not in the asker's area (the same answer)."""

    status = 404


class Unavailable(ContextGraphError, RuntimeError):
    """Something the work needs cannot be used (the store, the access log); nothing was changed."""

    status = 503


def exit_code(exc: BaseException) -> int:
    """The command line's exit code for an error: 1 for one told to a person, 70 for a defect."""
    return exc.exit_code if isinstance(exc, ContextGraphError) else 70


def http_status(exc: BaseException) -> int:
    """The HTTP status for an error: its own for one told to a person, 500 for a defect."""
    return exc.status if isinstance(exc, ContextGraphError) else 500
