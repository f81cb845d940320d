"""A standing adversarial suite: generated users try every read and write path on both stores.

Hypothesis draws users (role × localities × clearance, within what a token may carry) and,
for each, runs every GraphQL read and the export, and tries the write paths with ids of the
other localities and with invented ones. What comes back, answers and errors alike, is searched
for anything outside the user's localities or clearance; a refusal of an id that exists
elsewhere must read exactly like the refusal of one that does not, and take about as long.
"""

from __future__ import annotations

import io
import json
import statistics
import time
import zipfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contextgraph.service.auth import LocalKeys
from contextgraph.service.policy import ROLES

from .data import ENTITIES
from .service import Service
from .test_api_roles import READS

LOCALITIES = ("East", "West")
C_GRADINGS = ("1B C", "2C C")
EXAMPLES = 25


def markers(locality: str) -> list[str]:
    """Strings that would show a record of ``locality``: its quoted ids and its names."""
    out = []
    for e in ENTITIES:
        if e.locality == locality:
            out += [f'"{e.id}"', e.name, *e.aliases]
    return out


def child_names(localities: tuple[str, ...]) -> list[str]:
    return [n for e in ENTITIES if e.kind == "child" and e.locality in localities for n in [e.name, *e.aliases]]


@st.composite
def users(draw: st.DrawFn) -> tuple[str, tuple[str, ...], str]:
    role = draw(st.sampled_from(sorted(ROLES)))
    rules = ROLES[role]
    if rules.everywhere:
        localities: tuple[str, ...] = ()
    else:
        most = rules.max_localities or len(LOCALITIES)
        chosen = draw(st.lists(st.sampled_from(LOCALITIES), min_size=1, max_size=most, unique=True))
        localities = tuple(sorted(chosen))
    clearance = draw(st.sampled_from(["P", "C"] if rules.clearance_ceiling == "C" else ["P"]))
    return role, localities, clearance


def answers(service: Service, token: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, query in READS.items():
        status, body = service.post(query, token, purpose="adversarial test")
        assert status < 500, (name, status, body)
        out[name] = json.dumps(body, ensure_ascii=False)
    status, _, packed = service.call("GET", "/export", token, recipient="test", purpose="adversarial test")
    assert status < 500
    if status == 200:
        with zipfile.ZipFile(io.BytesIO(packed)) as z:
            out["export"] = "\n".join(z.read(n).decode() for n in z.namelist())
    return out


def zipped(name: str, line: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, json.dumps(line) + "\n")
        if name != "entities.jsonl":
            z.writestr("entities.jsonl", "")
    return buf.getvalue()


WRITES = [
    'mutation {{ link(link: {{type: SEEN_AT, source: "{mine}", target: "{x}"}}) {{ count }} }}',
    'mutation {{ link(link: {{type: MISSING_WITH, source: "{x}", target: "{mine}"}}) {{ count }} }}',
    'mutation {{ merge(a: "{mine}", b: "{x}", reason: "x") {{ id }} }}',
    'mutation {{ split(a: "{x}", b: "{mine}", reason: "x") {{ id }} }}',
    'mutation {{ recordService(child: "{x}", service: CSC) {{ type }} }}',
    'mutation {{ eraseSubject(id: "{x}", reason: "x") {{ entities }} }}',
]


def refusals(service: Service, token: str, eid: str, mine: str) -> list[str]:
    """Every write path's answer to an attempt on ``eid``, with ``mine`` (a child of the user's
    area) at the other end, as text."""
    out = []
    for m in WRITES:
        status, body = service.post(m.format(x=eid, mine=mine), token, "adversarial test")
        assert status < 500
        out.append(json.dumps(body.get("errors") or body.get("data"), sort_keys=True))
    for name, line in [
        ("relationships.jsonl", {"type": "SEEN_AT", "source": mine, "target": eid}),
        ("relationships.jsonl", {"type": "ASSOCIATES_WITH", "source": eid, "target": mine}),
        ("judgements.jsonl", {"a": mine, "b": eid}),
    ]:
        status, _, raw = service.call("POST", "/import", token, zipped(name, line), "application/zip", "test")
        assert status < 500
        out.append(f"{status} {raw.decode()}")
    return out


def median_times(service: Service, queries: tuple[str, str], token: str, n: int = 15) -> tuple[float, float]:
    """The median time of each of two queries, asked in turn after one unmeasured round."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(n + 1):
        for q, out in zip(queries, times, strict=True):
            start = time.perf_counter()
            service.post(q, token, "adversarial test")
            if i:
                out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(user=users())
def test_no_path_shows_what_a_user_may_not_see(service: Service, user: tuple[str, tuple[str, ...], str]) -> None:
    role, localities, clearance = user
    token = LocalKeys(service.keys.path).mint("adv", role, list(localities), clearance=clearance)
    rules = ROLES[role]
    mine = LOCALITIES if rules.everywhere else localities
    outside = [loc for loc in LOCALITIES if loc not in mine]
    forbidden = [m for loc in outside for m in markers(loc)]
    if clearance == "P":
        forbidden += list(C_GRADINGS)
    if rules.child_names == "initials":
        forbidden += child_names(mine) + [f'"{t}"' for t in rules.hidden_links]
    for path, text in answers(service, token).items():
        shown = [f for f in forbidden if f in text]
        assert not shown, f"{role} {localities} {clearance}: {path} shows {shown}"
    # a write on an id of another locality reads exactly like one on an invented id
    others = [e.id for e in ENTITIES if e.locality in outside]
    mine_child = next((e.id for e in ENTITIES if e.kind == "child" and e.locality in mine), "c-1")
    for eid in others:
        fake = f"{eid}-none"
        real, invented = refusals(service, token, eid, mine_child), refusals(service, token, fake, mine_child)
        assert [x.replace(eid, fake) for x in real] == invented, (role, localities, eid)
    if others:
        eid = others[0]
        q = '{ entity(id: "%s") { id name neighbours { id } } }'
        t_real, t_fake = median_times(service, (q % eid, q % f"{eid}-none"), token)
        assert abs(t_real - t_fake) < 0.005 + 0.5 * min(t_real, t_fake), (t_real, t_fake)
