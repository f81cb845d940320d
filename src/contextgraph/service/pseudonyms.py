"""Ids as a reader of initials is given them: a record's id chosen by its writer can name a child
(``c-Kyle-Benson-2``), so where a request shows people by initials, every id the service did not
make is given as a keyed pseudonym, and the pseudonym is read back as the id it stands for.

An id the service made carries no name and is given as it is: an entity of a note
(``c-3f9a0b1c2d4e``, a digest), a service (``svc-YJS``), a number with at most one letter before
it (``c-0001``, ``e2``; at most six digits, since a longer number can be a date of birth or a
health service number), a digest (a saved view's, a review's) or a peer group (``peer-3``); a
name may be as short as four letters (``jade-7``), so no more is let through. Any other id is given as ``x-`` and the id
enciphered with AES-SIV (RFC 5297) under a key derived from the access log's: the same id always
gives the same pseudonym, so a page, a saved view and an export stay consistent, and only the
service can read one back, because the cipher is authenticated (a made-up pseudonym reads as
nothing). The id is padded to a multiple of 16 bytes first, so a pseudonym's length tells little.

>>> ids = Pseudonyms(bytes(32))
>>> ids.shown("c-Kyle-Benson-2").startswith("x-"), ids.shown("c-0001"), ids.shown("svc-YJS")
(True, 'c-0001', 'svc-YJS')
>>> ids.given(ids.shown("c-Kyle-Benson-2"))
'c-Kyle-Benson-2'
>>> ids.shown("c-Kyle-Benson-2") == ids.shown("c-Kyle-Benson-2")
True
>>> ids.given("c-Kyle-Benson-2")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
contextgraph.service.pseudonyms.NotGiven: 'c-Kyle-Benson-2' is not an id you were given: ...
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Container, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import BadInput
from ..ingest.writes import namespace
from ..model import SERVICES, service_id
from ..store import Store

if TYPE_CHECKING:
    from .audit.log import AuditLog

PREFIX: Final = "x-"
"""What every pseudonym starts with."""

_INFO: Final = b"contextgraph: ids shown to a reader of initials"
_MADE: Final = re.compile(
    r"[cplsg]-[0-9a-f]{12}"  # an entity of a note: its kind's letter and a digest
    r"|[0-9a-f]{12}|[0-9a-f]{32}"  # a digest: a saved view's, a review's, a judgement's
    r"|[a-z]?-?[0-9]{1,6}"  # a number, with at most one letter before it: c-0001, e2, t1, 1234
    r"|peer-[0-9]{1,9}"  # a peer group of an analysis
)
_BODY: Final = re.compile(r"[a-z2-7]+")
_SERVICES: Final = frozenset(service_id(code) for code in SERVICES)
_MARK: Final = b"\x80"  # padding (ISO/IEC 7816-4): the mark, then zeros to the block


class NotGiven(BadInput):
    """An id a reader of initials gives that is neither one they were given nor one the service made."""

    @classmethod
    def of(cls, given: str) -> NotGiven:
        return cls(
            f"{given[:60]!r} is not an id you were given: where people are shown by initials, "
            f"ids are given as {PREFIX}…, and read back only as given"
        )


def made_by_service(eid: str, spaces: Container[str] = ()) -> bool:
    """Whether ``eid`` is of a form the service makes, which carries no name: a digest, a number
    with a short prefix or a service, in any of ``spaces`` (the namespaces of the localities'
    writers, ``east:c-0001``, and the refs of recorded notes, whose records are ``REF:t1``).

    >>> [made_by_service(i) for i in ("c-3f9a0b1c2d4e", "svc-CSC", "c-0001", "t1", "peer-3")]
    [True, True, True, True, True]
    >>> [made_by_service(i) for i in ("c-kyle1", "svc-Kyle", "jade-7", "amy12", "c-20090412", "4857773456")]
    [False, False, False, False, False, False]
    >>> made_by_service("east.p:c-0001", {"east.p"}), made_by_service("kyle-benson:1", {"east"})
    (True, False)
    """
    *heads, last = eid.split(":")
    if heads and not all(h in spaces for h in heads):
        return False
    return last in _SERVICES or _MADE.fullmatch(last) is not None


def spaces_of(store: Store, localities: Iterable[str] = ()) -> frozenset[str]:
    """What ``store``'s ids are made under (:func:`made_by_service`): the namespaces of the writers
    of each locality configured and of ``localities``, and the refs of the notes recorded."""
    names = {*store.localities().names, *localities, None}
    return frozenset(namespace(n, c) for n in names for c in ("C", "P")) | store.note_refs()


class Pseudonyms:
    """The pseudonyms of one service's ids, under ``secret`` (the access log's key)."""

    def __init__(self, secret: bytes):
        key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_INFO).derive(secret)
        self._cipher = AESSIV(key)
        self._shown: dict[str, str] = {}

    def shown(self, eid: str, spaces: Container[str] = ()) -> str:
        """``eid`` as a reader of initials is given it: as it is when the service made it
        (:func:`made_by_service`, in ``spaces``), else its pseudonym."""
        if made_by_service(eid, spaces):
            return eid
        found = self._shown.get(eid)
        if found is None:
            data = eid.encode() + _MARK
            data += bytes(-len(data) % 16)
            sealed = self._cipher.encrypt(data, None)
            found = PREFIX + base64.b32encode(sealed).decode("ascii").rstrip("=").lower()
            if len(self._shown) < 200_000:
                self._shown[eid] = found
        return found

    def read(self, given: str) -> str | None:
        """The id a pseudonym stands for; None when ``given`` is not one this service made."""
        body = given.removeprefix(PREFIX)
        if body == given or _BODY.fullmatch(body) is None:  # one spelling only: lower case, no padding
            return None
        body = body.upper()
        try:
            sealed = base64.b32decode(body + "=" * (-len(body) % 8))
            data = self._cipher.decrypt(sealed, None)
        except (binascii.Error, ValueError, InvalidTag):
            return None
        end = data.rstrip(b"\x00")
        if not end.endswith(_MARK):
            return None
        try:
            return end[: -len(_MARK)].decode()
        except UnicodeDecodeError:
            return None

    def given(self, given: str, spaces: Container[str] = ()) -> str:
        """The id a reader of initials means by ``given``: a pseudonym read back, or an id the
        service made as it is. Any other is refused the same way, whether or not such an id
        exists, so that guessing an id named after a child tells nothing."""
        found = self.read(given)
        if found is not None:
            return found
        if made_by_service(given, spaces):
            return given
        raise NotGiven.of(given)


def of_log(log: AuditLog) -> Pseudonyms:
    """The pseudonyms under the key of the access log ``log``, as the service gives them: a log
    not yet started has its key made, as its first record would. One :class:`Pseudonyms` for
    each key, so that what it has worked out is kept between requests."""
    return _of_key(log.key(create=not log.path.exists()))


@lru_cache(maxsize=4)
def _of_key(key: bytes) -> Pseudonyms:
    return Pseudonyms(key)
