"""Quoted data made safe to show: control characters written as escapes."""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_AND_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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
