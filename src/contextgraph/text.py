"""Name normalisation and matching, shared by every store's search.

>>> normalise_name("  Zoë  O'BRIEN-Smith ")
'zoe o brien smith'
>>> name_score("kyle benson", "kyle bensen") > 0.8
True
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_name(text: str) -> str:
    """Lower case, accents removed, punctuation to single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_ = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", ascii_).strip()


def name_score(query: str, name: str) -> float:
    """How well a normalised query names a normalised name, in [0, 1].

    1.0 for the same text; 0.95 for the same words in another order; 0.9 when
    every word of the query is a word of the name (``"kyle"`` for ``"kyle
    benson"``); otherwise edit-distance similarity of the whole, or of each
    query word to its nearest word of the name, forgiving a letter or two.

    >>> name_score("kyle", "kyle benson")
    0.9
    >>> round(name_score("benson kyle", "kyle benson"), 2)
    0.95
    >>> round(name_score("carow park", "carrow park skate area"), 2)
    0.86
    """
    if not query or not name:
        return 0.0
    if query == name:
        return 1.0
    qt, nt = query.split(), name.split()
    if qt == nt[: len(qt)] or all(t in nt for t in qt):
        return 0.95 if sorted(qt) == sorted(nt) else 0.9
    whole = fuzz.ratio(query, name) / 100.0
    tokens = fuzz.token_sort_ratio(query, name) / 100.0
    # every word of the query, perhaps misspelt, is a word of the name
    best = [max(fuzz.ratio(q, n) / 100.0 for n in nt) for q in qt]
    words = 0.9 * sum(best) / len(best) if min(best) >= 0.75 else 0.0
    return max(whole, tokens, words)
