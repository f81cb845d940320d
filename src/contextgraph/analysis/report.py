"""Analysis results in words: names, the facts behind each reason, and sentences.

:func:`contextgraph.analysis.analyse` works on the projection and returns ids.
:func:`explain` reads from the store only what the results point at — the
entities named and the relationships behind each reason — and adds each
fact's sources, dates and grading, and a sentence a practitioner can check
against the notes, such as "went missing with Kyle Benson (open to YJS, known
to be exploited) on 2 March 2024 [mace-east-2024-03-14, 1B P]".
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator
from datetime import date
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import Any

from ..memory import paused_gc
from ..model import Entity
from ..projection import Projection
from ..store.base import Store
from ..store.filter import Filter
from ..store.types import Fact, Forkable, Key, Label
from . import DEFAULT, Context, Weights, hotspots, lists, networks, prepare, score_children

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@lru_cache(maxsize=4096)
def long_date(iso: str | None) -> str:
    """A date as a person writes it.

    >>> long_date("2024-03-02")
    '2 March 2024'
    """
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _walk(result: dict[str, Any]) -> tuple[set[str], set[Key]]:
    """Every entity id and relationship key a result refers to."""
    ids: set[str] = set()
    keys: set[Key] = set()

    def facts(items: Iterable[dict[str, Any]]) -> None:
        for f in items:
            keys.add((f["type"], f["source"], f["target"]))
            ids.update((f["source"], f["target"]))

    for c in result.get("unopened_at_risk", []):
        ids.add(c["id"])
        for r in c["reasons"]:
            ids.add(r["other"])
            facts(r["facts"])
    for h in result.get("hotspots", []):
        ids.add(h["id"])
    for g in result.get("peer_groups", []):
        ids.update(g["members"])
        for slot in ("places", "persons_of_concern", "groups"):
            ids.update(x["id"] for x in g[slot])
    for x in result.get("persons_of_concern", []):
        ids.add(x["id"])
        ids.update(x["groups"])
        facts(x["evidence"])
    ch = result.get("changes") or {}
    facts(ch.get("links", []))
    for k in ("children", "children_raised", "hotspots", "persons_of_concern"):
        ids.update(x["id"] for x in ch.get(k, []))
    for k in ("children_newly_open", "children_newly_known"):
        ids.update(ch.get(k, []))
    return ids, keys


def _chunks(items: list[Any], n: int = 20_000) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def analyse_store(
    store: Store,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    since: str | None = None,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
    parallel: bool | None = None,
    projection: Projection | None = None,
    flt: Filter | None = None,
) -> dict[str, Any]:
    """:func:`~contextgraph.analysis.analyse` of the store's projection, explained.

    On a large graph where processes can fork, the network half of the analysis
    (communities, peer groups, persons of concern, changes) and the hotspots are
    computed and explained in a second process while this one explains the ranked
    children; the result is the same either way.
    ``projection`` is the store's projection when the caller already holds it.
    ``flt`` limits the analysis to what a reader may see: their localities and
    handling codes, in the projection and in the facts cited.
    """
    p = projection if projection is not None else store.projection(flt)
    with paused_gc():
        ctx = prepare(p, w, as_of)
        score_children(ctx)
        if parallel is None:
            parallel = p.n_nodes >= 50_000 and "fork" in mp.get_all_start_methods()
        if not parallel:
            result = lists(ctx, localities, top)
            result.update(networks(ctx, since, localities, top, seed))
            return _ordered(_explain(result, store, flt))
        if isinstance(store, Forkable):
            store.before_fork()
        fork = mp.get_context("fork")
        receive, send = fork.Pipe(duplex=False)
        worker = fork.Process(
            target=_networks_to, args=(send, ctx, since, localities, top, seed, store, flt), daemon=True
        )
        worker.start()
        send.close()
        try:
            result = _explain(lists(ctx, localities, top, with_hotspots=False), store, flt)
            part, explained = receive.recv()
        finally:
            worker.join()
        if isinstance(part, BaseException):
            raise part
        result.update(part if explained else _explain(part, store, flt))
        return _ordered(result)


def _ordered(result: dict[str, Any]) -> dict[str, Any]:
    order = ("as_of", "localities", "known_children", "unopened_at_risk", "peer_groups", "hotspots")
    return {k: result[k] for k in (*order, *(k for k in result if k not in order))}


def _networks_to(
    send: Connection,
    ctx: Context,
    since: str | None,
    localities: list[str] | None,
    top: int | None,
    seed: int,
    store: Store,
    flt: Filter | None,
) -> None:
    """In the second process: compute the network half and the hotspots, explain them where
    the store can be read from here, and send them back with whether they are explained
    (or the error). The halves are cut so that each process has about as much to do."""
    explained = False
    try:
        part: Any = networks(ctx, since, localities, top, seed)
        part["hotspots"] = hotspots(ctx, localities, top)
        reader = store.in_child() if isinstance(store, Forkable) else None
        if reader is not None:
            part = _explain(part, reader, flt)
            explained = True
    except BaseException as e:
        part = e
    send.send((part, explained))
    send.close()


def explain(result: dict[str, Any], store: Store, flt: Filter | None = None) -> dict[str, Any]:
    """Fill a result of :func:`~contextgraph.analysis.analyse` with names, facts and sentences (in place)."""
    with paused_gc():  # many small objects, none cyclic: collections would only cost time
        return _explain(result, store, flt)


def _explain(result: dict[str, Any], store: Store, flt: Filter | None = None) -> dict[str, Any]:
    ids, keys = _walk(result)
    labels: dict[str, Label] = store.labels(ids)
    facts: dict[Key, Fact] = store.facts(keys, flt)
    # whole records only where a report needs more than a name: flags and aliases
    full = {c["id"] for c in result.get("unopened_at_risk", []) if c.get("flagged")}
    full |= {x["id"] for x in result.get("persons_of_concern", [])}
    ents: dict[str, Entity] = {}
    for chunk in _chunks(sorted(full)):
        ents.update(store.get_many(chunk))
    w = _Words(labels, facts)
    for c in result.get("unopened_at_risk", []):
        c["name"] = w.name(c["id"])
        for r in c["reasons"]:
            r["facts"] = [w.fact(f) for f in r["facts"]]
            r["text"] = w.reason(r, ents.get(c["id"]))
        c["summary"] = "; ".join(r["text"] for r in c["reasons"][:3])
    for h in result.get("hotspots", []):
        lab = labels.get(h["id"])
        h.update(name=w.name(h["id"]), lat=lab.lat if lab else None, lon=lab.lon if lab else None)
        h["text"] = w.hotspot(h)
    for g in result.get("peer_groups", []):
        g["member_names"] = [w.name(m) for m in g["members"]]
        for slot in ("places", "persons_of_concern", "groups"):
            for x in g[slot]:
                x["name"] = w.name(x["id"])
        g["text"] = w.peer_group(g)
    for x in result.get("persons_of_concern", []):
        x["name"] = w.name(x["id"])
        x["aliases"] = list(ents[x["id"]].aliases) if x["id"] in ents else []
        x["evidence"] = [w.fact(f) for f in x["evidence"]]
        x["text"] = w.person(x)
    ch = result.get("changes")
    if ch:
        ch["links"] = [w.fact(f) for f in ch["links"]]
        for k in ("children", "children_raised", "hotspots", "persons_of_concern"):
            for x in ch[k]:
                x["name"] = w.name(x["id"])
        for k in ("children_newly_open", "children_newly_known"):
            ch[k] = [{"id": i, "name": w.name(i)} for i in ch[k]]
    return result


def _n(count: int, one: str, many: str | None = None) -> str:
    """A count and a noun that agrees with it.

    >>> _n(1, "child", "children"), _n(3, "peer group")
    ('1 child', '3 peer groups')
    """
    return f"{count} {one if count == 1 else (many or one + 's')}"


class _Words:
    def __init__(self, labels: dict[str, Label], facts: dict[Key, Fact]):
        self.labels = labels
        self.facts = facts

    def name(self, eid: str) -> str:
        lab = self.labels.get(eid)
        return lab.name if lab else eid

    def fact(self, f: dict[str, Any]) -> dict[str, Any]:
        r = self.facts.get((f["type"], f["source"], f["target"]))
        out = {"type": f["type"], "source": f["source"], "target": f["target"]}
        if r is None:  # the store changed since the projection was taken
            out.update(sources=[], first_seen=f.get("date"), last_seen=f.get("date"), grading=None, count=0)
            return out
        out.update(
            sources=r.sources, first_seen=r.first_seen, last_seen=r.last_seen, grading=r.grading, count=r.assertions
        )
        return out

    @staticmethod
    def cite(facts: list[dict[str, Any]]) -> str:
        parts: list[str] = []
        for f in facts:
            refs = f.get("sources") or []
            shown = ", ".join(refs[-2:]) + (f" and {len(refs) - 2} more" if len(refs) > 2 else "")
            bits = [b for b in (shown, f.get("grading") or "ungraded") if b]
            parts.append(", ".join(bits))
        return f" [{'; '.join(parts)}]" if parts else ""

    @staticmethod
    def on(facts: list[dict[str, Any]]) -> str:
        d = facts[0].get("last_seen") if facts else None
        return f" on {long_date(d)}" if d else ""

    def about(self, r: dict[str, Any]) -> str:
        """Who the other child is: open to what, known to be exploited."""
        bits = []
        if r.get("other_open_to"):
            bits.append("open to " + ", ".join(r["other_open_to"]))
        if r.get("other_known"):
            bits.append("known to be exploited")
        if "other_score" in r:
            bits.append(f"also linked to risk, score {r['other_score']:.2f}")
        return f" ({', '.join(bits)})" if bits else ""

    @staticmethod
    def where(ctx: dict[str, Any] | None, verb: str) -> str:
        if not ctx:
            return ""
        lives = ", an address where a person of concern lives" if ctx.get("person_of_concern_lives_here") else ""
        bits = []
        if ctx["persons_of_concern"]:
            n = ctx["persons_of_concern"]
            bits.append(f"{n} person{'s' if n != 1 else ''} of concern")
        if ctx["known_children"]:
            n = ctx["known_children"]
            bits.append(f"{n} child{'ren' if n != 1 else ''} known to be exploited")
        if not bits:
            return lives
        one = len(bits) == 1 and (ctx["persons_of_concern"] + ctx["known_children"]) == 1
        return f"{lives}, where {' and '.join(bits)} {'is' if one else 'are'} {verb}"

    def reason(self, r: dict[str, Any], child: Entity | None) -> str:
        k, facts, other = r["kind"], r["facts"], self.name(r["other"])
        on, cite = self.on(facts), self.cite(facts)
        if k == "flagged":
            props = child.properties if child else {}
            what = ", ".join(props.get("exploitation_types") or []) or f"risk level {props.get('risk_level', '')}"
            return f"flagged at risk of exploitation in their own record ({what.strip()})"
        if k == "exploited_by":
            return f"named as exploited by {other}, a person of concern{on}{cite}"
        if k == "associates_with_poc":
            return f"associates with {other}, a person of concern{on}{cite}"
        if k == "family_of_poc":
            return f"family of {other}, a person of concern{cite}"
        if k == "associates_with_known":
            return f"associates with {other}{self.about(r)}{on}{cite}"
        if k == "family_of_known":
            return f"family of {other}{self.about(r)}{cite}"
        if k == "missing_with":
            return f"went missing with {other}{self.about(r)}{on}{cite}"
        if k == "found_at":
            return f"found at {other} after a missing episode{on}{self.where(r.get('context'), 'linked')}{cite}"
        if k == "found_out_of_area":
            area = r.get("other_locality") or "another locality"
            return f"found out of their area, at {other} in {area}, after a missing episode{on}{cite}"
        if k == "seen_at":
            return f"seen at {other}{on}{self.where(r.get('context'), 'seen')}{cite}"
        if k == "lives_at":
            return f"lives at {other}{self.where(r.get('context'), 'linked')}{cite}"
        if k == "member_of":
            return f"member of {other}{on}{self.where(r.get('context'), 'members')}{cite}"
        if k == "peer":
            verb = "went missing with" if facts and facts[0]["type"] == "MISSING_WITH" else "associates with"
            return f"{verb} {other}{self.about(r)}{on}{cite}"
        return f"{k.replace('_', ' ')} {other}{on}{cite}"

    def hotspot(self, h: dict[str, Any]) -> str:
        are = "is" if h["children_at_risk"] == 1 else "are"
        bits = [f"{h['children_at_risk']} of {_n(h['children'], 'child', 'children')} linked {are} at risk"]
        if h["children_open"]:
            bits.append(f"{h['children_open']} open to services")
        if h["persons_of_concern"]:
            bits.append(_n(h["persons_of_concern"], "person of concern", "persons of concern"))
        if h["found_at"]:
            bits.append(f"{_n(h['found_at'], 'missing episode')} ended here")
        if h["last_seen"]:
            bits.append(f"last linked {long_date(h['last_seen'])}")
        return "; ".join(bits)

    def peer_group(self, g: dict[str, Any]) -> str:
        text = (
            f"{_n(g['size'], 'child', 'children')}: {g['open']} open to services, {g['flagged']} flagged or known, "
            f"{g['at_risk_not_open']} at risk and not open"
        )
        shared = [x["name"] for x in g["places"][:3]] + [x["name"] for x in g["persons_of_concern"][:3]]
        return text + (f"; linked to {', '.join(shared)}" if shared else "")

    def person(self, x: dict[str, Any]) -> str:
        text = (
            f"linked to {_n(x['children_linked'], 'child', 'children')} ({x['children_linked_directly']} directly, "
            f"{x['children_not_open']} not open to services), bridging {_n(x['peer_groups_bridged'], 'peer group')}"
        )
        if x["groups"]:
            text += "; member of " + ", ".join(self.name(g) for g in x["groups"])
        return text
