"""Quoted data made safe to show: control characters written as escapes; and text refused where
it holds control characters that it has no place for."""

from __future__ import annotations

import re
import unicodedata

from .errors import BadInput, ContextGraphError
from .text import mixed_scripts, shown_text, unseen

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_AND_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NOT_IN_A_FIELD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What an id, a name, a locality or a code may not hold: any control character, nor what turns or
breaks the line after it — the embeddings, overrides and isolates of direction (a name that
shows as another) and the line and paragraph separators."""
_NOT_IN_FREE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""What free text (a note's words) may not hold: any control character but a tab and a line break
(``\\n``, or ``\\r\\n`` as text pasted from a Windows program has them)."""


def shown(text: str, one_line: bool = False) -> str:
    """``text`` with its control characters written as escapes (``\\x1b``), so that quoted data
    cannot steer a terminal (clear it, colour it, hide a link in it) nor break a file format that
    has no place for them (XML); with ``one_line``, line breaks and tabs too, so that a quoted
    name cannot start a line of its own.

    >>> shown("Kyle\\x1b[2J Benson"), shown("a\\nb"), shown("a\\nb", one_line=True)
    ('Kyle\\\\x1b[2J Benson', 'a\\nb', 'a\\\\x0ab')
    """
    pattern = _CONTROLS_AND_BREAKS if one_line else _CONTROLS
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_UNSEEN = re.compile(r"[\u200b\u2028-\u202e\u2060-\u2069\ufeff]")
"""Characters a terminal does not show but that change what it shows: the zero-width space, word
joiner and byte-order mark (two names the same to the eye), the embeddings, overrides and isolates
that turn the text after them right to left, and the line and paragraph separators. Not the
zero-width joiners and direction marks, which are parts of words in Persian, Arabic, Hebrew or
Indic scripts, and of emoji."""


def on_screen(text: str) -> str:
    """``text`` as a terminal is given it: :func:`shown`, and the characters that change how the
    rest is shown without being seen (a right-to-left override that makes ``gpj.exe`` read
    ``exe.jpg``, a separator that starts a line) written as escapes too.

    >>> on_screen("CSC \\u202eEast"), on_screen("a\\u2028b\\x1b")
    ('CSC \\\\u202eEast', 'a\\\\u2028b\\\\x1b')
    >>> word = "\\u0645\\u06cc\\u200c\\u062e\\u0648\\u0627\\u0647\\u0645"  # a Persian word, joined by a ZWNJ
    >>> on_screen(word) == word
    True
    """
    return _UNSEEN.sub(lambda m: f"\\u{ord(m.group()):04x}", shown(text))


class ControlCharacter(BadInput):
    """Text holding a control character where it has no place."""


def control_character(text: str, free: bool = False) -> str | None:
    """The first control character of ``text`` (U+0000-U+001F, U+007F, U+0080-U+009F), written as
    an escape, or None when it holds none. An id, a name, an alias, a locality or a code has no
    place for any, nor for an embedding, override or isolate of direction (U+202A-U+202E,
    U+2066-U+2069) or a line or paragraph separator (U+2028, U+2029); free text (``free``: a note's
    words) may hold tabs and line breaks (``\\t``, ``\\n``, ``\\r``), and no other control character.

    >>> control_character("Kyle Benson"), control_character("Kyle\\x1b[2J"), control_character("a\\u0085")
    (None, '\\\\x1b', '\\\\x85')
    >>> control_character("seen\\tat\\n10:30"), control_character("seen\\tat", free=True)
    ('\\\\x09', None)
    >>> control_character("line\\r\\n", free=True), control_character("bell\\x07", free=True)
    (None, '\\\\x07')
    >>> control_character("Kyle \\u202eNOSNEB"), control_character("Kyle \\u202eNOSNEB", free=True)
    ('\\\\u202e', None)
    """
    if text.isprintable():  # most text: nothing more to look at
        return None
    found = (_NOT_IN_FREE_TEXT if free else _NOT_IN_A_FIELD).search(text)
    if found is None:
        return None
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: str, what: str, free: bool = False, error: type[ContextGraphError] = ControlCharacter) -> str:
    """``text`` when it holds no control character it has no place for (see
    :func:`control_character`); else ``error``, naming ``what`` (a field) and the character. The one
    check of every way in: an import's lines, the service's writes and the command line's options.

    >>> plain("Kyle\\x1b[2J", "field 'name'")
    Traceback (most recent call last):
    ...
    contextgraph.quoted.ControlCharacter: field 'name': holds a control character (\\x1b), which it has no place for
    >>> plain("seen at\\n10:30", "field 'note'", free=True)
    'seen at\\n10:30'
    """
    found = control_character(text, free)
    if found is None:
        return text
    if free:
        raise error(f"{what}: holds a control character ({found}): free text may hold tabs and line breaks, no other")
    raise error(f"{what}: holds a control character ({found}), which it has no place for")


def shows_all(text: str, what: str, error: type[ContextGraphError] = ControlCharacter, composed: bool = False) -> str:
    """``text`` when it reads as only itself; else ``error`` naming ``what`` and why. For what
    tells people apart by how it reads: a user name in the access log ("an\\u200ba", "\\u0430na"
    and "ａｎａ" are not ana), an id, a locality. Beyond :func:`plain`'s check it holds

    - nothing that shows as nothing (a zero-width space, a soft hyphen, a variation selector:
      :func:`~contextgraph.text.unseen`), but a joiner or non-joiner after a letter of a script
      that needs it (Persian, the scripts of India: :func:`~contextgraph.text.shown_text`);
    - no space at either end;
    - no letter of a compatibility form (full-width, mathematical: ``ａｎａ``, ``𝚊𝚗𝚊``);
    - no word mixing Latin, Cyrillic and Greek letters (a Cyrillic ``а`` in ``аna``);
    - with ``composed`` (an id, a locality: what tells records apart), no letter written as a
      letter and a combining mark (``e`` and U+0301) where it can be written as one (``é``).

    >>> shows_all("Ana Shah", "user"), shows_all("Zoë", "user"), shows_all("Дмитрий", "user")
    ('Ana Shah', 'Zoë', 'Дмитрий')
    >>> shows_all("an\\u200ba", "--user")
    Traceback (most recent call last):
    ...
    contextgraph.quoted.ControlCharacter: --user: holds a character that shows as nothing (\\u200b), which ...
    >>> shows_all("\\u0430na", "--user")
    Traceback (most recent call last):
    ...
    contextgraph.quoted.ControlCharacter: --user: 'аna' mixes Latin, Cyrillic or Greek letters, which reads as another
    >>> shows_all("a-\\u00e9", "id", composed=True) == "a-\\u00e9", shows_all("a-e\\u0301", "id") == "a-e\\u0301"
    (True, True)
    >>> shows_all("a-e\\u0301", "field 'id'", composed=True)
    Traceback (most recent call last):
    ...
    contextgraph.quoted.ControlCharacter: field 'id': ... holds a letter written as two characters, ... (\\u0301), ...
    """
    plain(text, what, error=error)
    if shown_text(text) != text:
        found = next(c for c in text if unseen(c))
        raise error(f"{what}: holds a character that shows as nothing (\\u{ord(found):04x}), which it has no place for")
    if text != text.strip():
        raise error(f"{what}: begins or ends with a space")
    nfc = unicodedata.normalize("NFC", text)
    if composed and nfc != text:
        mark = next(c for c in text if unicodedata.combining(c))
        raise error(
            f"{what}: {text!r} holds a letter written as two characters, a letter and a combining mark "
            f"(\\u{ord(mark):04x}), which reads as the letter written as one: write it as one (NFC)"
        )
    if unicodedata.normalize("NFKC", nfc) != nfc:
        raise error(f"{what}: holds a letter or sign of a compatibility form (full-width, mathematical, a ligature)")
    # (a colon parts words too: a namespace before an id, east:иван-1, is a word of its own)
    mixed = next((w for w in re.split(r"[\s:]+", text) if w and mixed_scripts(w)), None)
    if mixed is not None:
        raise error(f"{what}: {mixed!r} mixes Latin, Cyrillic or Greek letters, which reads as another")
    return text


def visible(text: str | None) -> bool:
    """Whether ``text`` holds a letter or a digit: a purpose, a recipient or a note's name of only
    spaces, separators, zero-width or other invisible characters says nothing, and is refused.

    >>> visible("CSC referral"), visible(" \\u200b\\t"), visible("\\u3164\\u3164"), visible(None)
    (True, False, False, False)
    """
    return any(unicodedata.category(c)[0] in "LN" and not unseen(c) for c in text or "")
