"""Synthetic localities in the interchange format, for samples and benchmarks.

The structure follows what intelligence data looks like rather than a uniform
random graph: children sit in schools and friendship circles (dense, small
clusters); families share addresses; a few busy places are seen by many and most
places by few (a heavy tail); exploitation is concentrated in small networks of
persons of concern, county lines, trap houses and missing episodes; services are
open to some children for reasons unrelated to exploitation. Everything is
fictional and drawn from a seeded generator, so the same seed gives the same data.

>>> data = generate(children=200, seed=1)
>>> sorted({e["kind"] for e in data.entities})
['child', 'group', 'location', 'person_of_concern', 'school', 'service']
>>> generate(children=200, seed=1).relationships == data.relationships
True
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from ..localities import Localities, Locality
from ..model import SERVICES, service_id
from .jsonl import ENTITIES_FILE, RELATIONSHIPS_FILE, TRACKING_FILE
from .synth_shapes import Area, Shape, draw
from .synth_tracking import tracking

FIRST = [
    "Aaliyah",
    "Aiden",
    "Alfie",
    "Amara",
    "Amelia",
    "Archie",
    "Ava",
    "Ayaan",
    "Bella",
    "Caleb",
    "Callum",
    "Chloe",
    "Connor",
    "Daisy",
    "Darius",
    "Eden",
    "Elijah",
    "Ella",
    "Ethan",
    "Evie",
    "Finley",
    "Freya",
    "Grace",
    "Harley",
    "Harvey",
    "Isla",
    "Jayden",
    "Jude",
    "Kai",
    "Kayla",
    "Kian",
    "Leah",
    "Leo",
    "Lexi",
    "Logan",
    "Mason",
    "Maya",
    "Mia",
    "Nathan",
    "Niamh",
    "Noah",
    "Oscar",
    "Phoebe",
    "Reggie",
    "Riley",
    "Rosie",
    "Ruby",
    "Sami",
    "Scarlett",
    "Theo",
    "Tia",
    "Tyler",
    "Zain",
    "Zara",
    "Zoe",
]
LAST = [
    "Adeyemi",
    "Ahmed",
    "Ali",
    "Armstrong",
    "Bailey",
    "Barker",
    "Benson",
    "Brooks",
    "Campbell",
    "Carter",
    "Chowdhury",
    "Clarke",
    "Cole",
    "Davies",
    "Dixon",
    "Doyle",
    "Edwards",
    "Evans",
    "Fletcher",
    "Foster",
    "Grant",
    "Green",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Kaur",
    "Kelly",
    "Khan",
    "Lewis",
    "Lloyd",
    "Mahmood",
    "Marsh",
    "McCarthy",
    "Mensah",
    "Mitchell",
    "Nowak",
    "Okafor",
    "Osei",
    "Palmer",
    "Patel",
    "Quinn",
    "Reid",
    "Roberts",
    "Shah",
    "Walsh",
    "Ward",
    "Watson",
    "Wright",
    "Young",
]
STREETS = [
    "Mill Road",
    "Station Street",
    "Church Lane",
    "Victoria Road",
    "Park View",
    "Kings Way",
    "Canal Walk",
    "Market Street",
    "Hill Rise",
    "Orchard Close",
]
PLACES = [
    "skate park",
    "bus station",
    "retail park car park",
    "chicken shop",
    "McKenzie's takeaway",
    "railway station",
    "leisure centre",
    "shopping centre",
    "canal towpath",
    "Travel Stop hotel",
    "vape shop",
    "playing fields",
    "multi-storey car park",
    "library",
]
NICKS = ["Tank", "Ghost", "Bugsy", "Smurf", "Deeks", "Rico", "Zee", "Blade", "Shadow", "Menace", "Tiny", "Kash"]
LOCALITIES = ("North", "South", "East", "West", "Central")
AREA = "Northbrook"
# the fictional sample area as configuration: what ``serve --sample`` sets in the store
SAMPLE_AREA = Localities(AREA, tuple(Locality(n, (f"{AREA} {n}",)) for n in LOCALITIES))
CENTRES = {
    "North": (52.66, -1.14),
    "South": (52.58, -1.13),
    "East": (52.62, -1.06),
    "West": (52.62, -1.21),
    "Central": (52.63, -1.13),
}
GRADINGS = ("1A P", "1B P", "2B P", "2C P", "1B C", "2C C", "3D P", None, None)


@dataclass
class Synthetic:
    entities: list[dict[str, Any]] = field(default_factory=list)
    relationships: list[dict[str, Any]] = field(default_factory=list)
    exploited_not_open: list[str] = field(default_factory=list)
    open_exploited: list[str] = field(default_factory=list)
    tracking: list[dict[str, Any]] = field(default_factory=list)
    """Tracking records: missing episodes, referrals, assessments, plans, disruptions, outcomes."""

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / ENTITIES_FILE).open("wb") as fh:
            for e in self.entities:
                fh.write(orjson.dumps(e) + b"\n")
        with (folder / RELATIONSHIPS_FILE).open("wb") as fh:
            for r in self.relationships:
                fh.write(orjson.dumps(r) + b"\n")
        if self.tracking:
            with (folder / TRACKING_FILE).open("wb") as fh:
                for t in self.tracking:
                    fh.write(orjson.dumps(t) + b"\n")


def generate(
    children: int = 2000,
    seed: int = 0,
    localities: tuple[str, ...] = LOCALITIES,
    start: date = date(2024, 1, 4),
    weeks: int = 78,
    with_tracking: bool = True,
    shape: Shape = "lines",
) -> Synthetic:
    """A synthetic area of ``children`` children spread over ``localities``, exploitation spreading
    through it in ``shape`` (:mod:`.synth_shapes`), with tracking records (:mod:`.synth_tracking`)
    unless ``with_tracking`` is False."""
    rng = random.Random(seed)
    out = Synthetic()
    ent = out.entities.append
    meetings = [start + timedelta(weeks=w) for w in range(weeks)]

    def name() -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    def point(loc: str, spread: float = 0.03) -> tuple[float, float]:
        la, lo = CENTRES.get(loc, (52.6, -1.1))
        return round(la + rng.uniform(-spread, spread), 5), round(lo + rng.uniform(-spread, spread) * 1.6, 5)

    def fact(loc: str | None) -> tuple[str | None, str]:
        when = rng.choice(meetings)
        kind = rng.choice(("mace", "log", "intel", "rhi"))
        return when.isoformat(), f"{kind}-{(loc or 'all').lower()}-{when.isoformat()}"

    def add_place(
        eid: str, kind: str, loc: str, name: Callable[[int], str], n: int = 0, place_type: str | None = None
    ) -> None:
        """A place or school with coordinates near its locality, drawn before its name ``name(n)``."""
        la, lo = point(loc)
        e: dict[str, Any] = {"id": eid, "kind": kind, "name": name(n), "locality": loc, "lat": la, "lon": lo}
        if place_type:
            e["properties"] = {"place_type": place_type}
        ent(e)

    def add_person(eid: str, loc: str) -> None:
        """A person of concern, with a nickname and a date of birth."""
        who, nick = name(), rng.choice(NICKS)  # drawn in this order: the same seed, the same area
        dob = f"{rng.randint(1985, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        ent({"id": eid, "kind": "person_of_concern", "name": who, "aliases": [nick], "dob": dob, "locality": loc})

    def rel(t: str, s: str, d: str, loc: str | None, dated: bool = True) -> None:
        day, ref = fact(loc)
        out.relationships.append(
            {
                "type": t,
                "source": s,
                "target": d,
                "date": day if dated else None,
                "source_ref": ref,
                "grading": rng.choice(GRADINGS),
            }
        )

    for code in SERVICES:
        ent({"id": service_id(code), "kind": "service", "name": code})

    per = max(1, children // len(localities))
    cid = 0
    for li, loc in enumerate(localities):
        tag = loc[:1].lower() + str(li)
        n_child = per if li < len(localities) - 1 else children - per * (len(localities) - 1)
        n_schools = max(1, n_child // 150)
        n_hot = max(3, n_child // 40)
        area_size = 500  # children of one neighbourhood, who share its local places
        n_poc = max(2, n_child // 20)
        n_groups = max(1, n_child // 200)
        schools = [f"s-{tag}-{i}" for i in range(n_schools)]
        for i, s in enumerate(schools):
            add_place(s, "school", loc, lambda k: f"{rng.choice(LAST)} {'Academy' if k % 3 else 'High School'}", i)
        hot = [f"l-{tag}-h{i}" for i in range(n_hot)]
        for i, h in enumerate(hot):
            add_place(h, "location", loc, lambda k: f"{PLACES[k % len(PLACES)]}, {rng.choice(STREETS)} ({k})", i)
        # places: a few town-wide hotspots, the rest local to an area, popularity heavy-tailed
        n_town = min(10, n_hot)
        n_areas = max(1, n_child // area_size)
        local = hot[n_town:] or hot
        per_area = max(1, len(local) // n_areas)
        groups = [f"g-{tag}-{i}" for i in range(n_groups)]
        for g in groups:
            ent(
                {
                    "id": g,
                    "kind": "group",
                    "name": f"{rng.choice(NICKS)} line",
                    "locality": loc,
                    "properties": {"group_type": rng.choice(("county_line", "peer_group", "ocg"))},
                }
            )
        pocs = [f"p-{tag}-{i}" for i in range(n_poc)]
        line_of: dict[str, str] = {}
        for p in pocs:
            add_person(p, loc)
            line_of[p] = rng.choice(groups)
            rel("MEMBER_OF", p, line_of[p], loc)
            rel("SEEN_AT", p, hot[min(int(rng.expovariate(0.3)), n_hot - 1)], loc)
        # trap houses: addresses linked to persons of concern, where lines work from
        traps = [f"l-{tag}-t{i}" for i in range(max(1, n_poc // 4))] if shape == "lines" else []
        for i, t in enumerate(traps):
            add_place(
                t,
                "location",
                loc,
                lambda k: f"Flat {k + 1}, {rng.randint(1, 90)} {rng.choice(STREETS)}",
                i,
                "trap_house",
            )
            rel("LIVES_AT", rng.choice(pocs), t, loc)
        kids: list[str] = []
        opened: set[str] = set()
        records: dict[str, dict[str, Any]] = {}
        homes: list[str] = []
        pupils: dict[str, list[str]] = {}
        home = ""
        for _ in range(n_child):
            c = f"c-{cid:07d}"
            cid += 1
            kids.append(c)
            records[c] = {
                "id": c,
                "kind": "child",
                "name": name(),
                "dob": f"{rng.randint(2007, 2013)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "locality": loc,
            }
            ent(records[c])
            if not home or rng.random() > 0.25:  # a quarter share a home with the previous child
                home = f"l-home-{len(homes):07d}-{loc.lower()}"  # never naming the child it houses
                homes.append(home)
                add_place(home, "location", loc, lambda _: f"{rng.randint(1, 200)} {rng.choice(STREETS)}", 0, "home")
            elif len(kids) > 1:
                rel("FAMILY_OF", kids[-2], c, loc, dated=False)
            rel("LIVES_AT", c, home, loc, dated=False)
            k = len(kids) - 1
            school = schools[min(k // 150, n_schools - 1)] if rng.random() < 0.9 else rng.choice(schools)
            pupils.setdefault(school, []).append(c)
            rel("ATTENDS", c, school, loc, dated=False)
        # friendship circles of 4-8 within a school: each friend of ~2 others
        for school in schools:
            order = pupils.get(school, [])[:]
            rng.shuffle(order)
            i = 0
            while i < len(order):
                size = rng.randint(4, 8)
                circle = order[i : i + size]
                for j, a in enumerate(circle):
                    for b in circle[j + 1 : j + 3]:
                        rel("ASSOCIATES_WITH", a, b, loc)
                i += size
        for k, c in enumerate(kids):
            area = min(k // area_size, n_areas - 1)
            mine = local[area * per_area : (area + 1) * per_area] or local
            weights = [1.0 / (i + 1) for i in range(len(mine))]
            if rng.random() < 0.6:
                for _ in range(1 + int(rng.expovariate(1.5))):
                    if rng.random() < 0.04:
                        place = hot[min(int(rng.expovariate(0.5)), n_town - 1)]
                    else:
                        place = rng.choices(mine, weights)[0]
                    rel("SEEN_AT", c, place, loc)
            r = rng.random()
            if r < 0.12:
                rel("OPEN_TO", c, service_id(rng.choice(("CSC", "EARLY_HELP", "CAMHS"))), loc, dated=False)
                opened.add(c)
        friends = _friends(out.relationships, set(kids))
        drawn = Area(rng, loc, localities, li, tag, kids, pocs, groups, line_of, traps, hot, n_town, homes, opened,
                    records, friends, rel, add_place, add_person, tuple(STREETS), out.open_exploited,
                    out.exploited_not_open)  # fmt: skip
        draw(shape, drawn)
    out.exploited_not_open = sorted(set(out.exploited_not_open))
    out.open_exploited = sorted(set(out.open_exploited))
    demographics(out.entities, {*out.exploited_not_open, *out.open_exploited}, seed)
    if with_tracking:
        out.tracking = tracking(
            out.entities, out.relationships, out.open_exploited, out.exploited_not_open, seed, start, weeks
        )
    return out


ETHNIC_MIX: dict[str, float] = {
    "white_british": 0.68,
    "white_other": 0.05,
    "asian_pakistani": 0.05,
    "asian_indian": 0.03,
    "asian_bangladeshi": 0.015,
    "black_african": 0.04,
    "black_caribbean": 0.012,
    "mixed_white_black_caribbean": 0.018,
    "mixed_white_asian": 0.015,
    "mixed_other": 0.015,
    "other_any": 0.015,
    "not_known": 0.05,
}
"""The generated children's recorded ethnicity (fictional shares; ``not_known`` as recording is
incomplete)."""


def demographics(entities: list[dict[str, Any]], exploited: set[str], seed: int) -> None:
    """Each child's sex and recorded ethnicity, from a generator of their own (the area is the same
    with or without them). Black and mixed White and Black Caribbean children are drawn twice as
    often among the exploited, as partnerships report they are over-represented among them."""
    rng = random.Random(f"demographics-{seed}")
    codes = list(ETHNIC_MIX)
    plain = list(ETHNIC_MIX.values())
    skewed = [w * (2.0 if c in ("black_caribbean", "black_african", "mixed_white_black_caribbean") else 1.0)
              for c, w in ETHNIC_MIX.items()]  # fmt: skip
    for e in entities:
        if e["kind"] != "child":
            continue
        props = e.setdefault("properties", {})
        props["sex"] = rng.choices(("male", "female", "not_known"), (0.56, 0.41, 0.03))[0]
        props["ethnicity"] = rng.choices(codes, skewed if e["id"] in exploited else plain)[0]


def _friends(rels: list[dict[str, Any]], kids: set[str]) -> dict[str, list[str]]:
    """Who associates with whom, among ``kids``."""
    out: dict[str, list[str]] = {}
    for r in rels:
        if r["type"] == "ASSOCIATES_WITH" and r["source"] in kids and r["target"] in kids:
            out.setdefault(r["source"], []).append(r["target"])
            out.setdefault(r["target"], []).append(r["source"])
    return out
