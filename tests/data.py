"""Small hand-made graphs for the contract tests: two localities, both handling codes."""

from __future__ import annotations

from contextgraph.model import Assertion, Entity, Relationship, service_id


def a(ref: str | None, day: str | None, grading: str | None, s: str, t: str) -> Assertion:
    return Assertion(ref, day, grading, s, t)


def rel(
    t: str,
    s: str,
    d: str,
    ref: str | None = "mace-east-2024-03-14",
    day: str | None = "2024-03-02",
    grading: str | None = "1B P",
) -> Relationship:
    return Relationship(t, s, d, [a(ref, day, grading, s, d)])


ENTITIES = [
    Entity(
        "c-1",
        "child",
        "Kyle Benson",
        aliases=["Benno"],
        dob="2009-04-12",
        locality="East",
        properties={"risk_level": "high", "exploitation_types": ["CCE"]},
        sources=["mace-east-2024-03-14"],
    ),
    Entity("c-2", "child", "Zoë Ahmed", locality="East"),
    Entity("c-3", "child", "Tyler Marsh", locality="West"),
    Entity("c-4", "child", "K. Benson", locality="East"),
    Entity("p-1", "person_of_concern", "Daniel Okafor", aliases=["Tank"], locality="East"),
    Entity("l-1", "location", "Carrow Park skate area", locality="East", lat=52.62, lon=-1.06),
    Entity("l-2", "location", "14 Mill Road", locality="West", lat=52.6, lon=-1.2),
    Entity("s-1", "school", "Northbrook Academy", locality="East", lat=52.63, lon=-1.07),
    Entity("g-1", "group", "Tank line", locality="East"),
    Entity(service_id("YJS"), "service", "YJS"),
]

RELATIONSHIPS = [
    rel("SEEN_AT", "c-1", "l-1"),
    rel("SEEN_AT", "c-2", "l-1", day="2024-01-10", grading="2C C"),
    rel("EXPLOITS", "p-1", "c-1", day=None, grading="1B C"),
    rel("ASSOCIATES_WITH", "c-2", "c-1"),
    rel("MISSING_WITH", "c-1", "c-3", day="2024-02-20"),
    rel("FOUND_AT", "c-3", "l-2", day="2024-02-21", ref="rhi-west-2024-02-22"),
    rel("ATTENDS", "c-1", "s-1", day=None, grading=None),
    rel("MEMBER_OF", "p-1", "g-1", ref="intel-2024-01-29", day="2024-01-29"),
    rel("OPEN_TO", "c-1", service_id("YJS"), day=None, grading=None),
    rel("SEEN_AT", "c-4", "l-1", ref="log-east-2024-04-18", day="2024-04-10"),
]
