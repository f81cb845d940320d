"""The mapping page in a real browser: headless Chromium driven by Playwright.

A chair of one locality signs in with a token, chooses the locality, sees both views
drawn, clicks a child in the list and reads the evidence, and exports a PNG. Every
answer the page receives from the API, and the text on the page, is searched for the
children of the other localities: a chair's page never shows them. Screenshots and
the PNG are kept in ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
import networkx as nx
import pytest

from contextgraph.interchange import entity_from_json, relationship_from_json
from contextgraph.interchange.synth import generate
from contextgraph.model.tracked import Tracked
from contextgraph.service.auth import ENV_LOCAL_KEY, LocalKeys
from contextgraph.store import open_store

from .conftest import IN_CI
from .keycloak.launch import REALM, Keycloak
from .service import Service, running

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PAGE = Path(__file__).resolve().parents[1] / "src" / "contextgraph" / "web" / "static" / "index.html"


@pytest.fixture(scope="module")
def area() -> dict[str, Any]:
    return {"data": generate(children=500, seed=11), "locality": "East"}


@pytest.fixture
def page_service(area: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    if not PAGE.exists():
        pytest.fail("the mapping page is not built: pip install -e . builds it (Node.js and npm needed)")
    url = f"sqlite:///{tmp_path / 'area.db'}"
    with open_store(url) as s:
        data = area["data"]
        s.upsert(
            [entity_from_json(e) for e in data.entities],
            [relationship_from_json(r) for r in data.relationships],
            tracking=[Tracked.from_json(t) for t in data.tracking],
        )
    key = tmp_path / "area.key.pem"
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key))
    with running(url, LocalKeys(key)) as svc:
        svc.store_url = url  # type: ignore[attr-defined]
        yield svc


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def poppler(tool: str, *args: str) -> str:
    """The output of one of poppler-utils' tools, which read the printed PDF as a person's reader would."""
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} must be installed in CI (tests/run.sh installs poppler-utils)")
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def signed_in(browser: Any, service: Service, token: str, size: tuple[int, int] = (1600, 1000)) -> tuple[Any, Any]:
    """A new browser context and page on the service, signed in with ``token``."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(service.base + "/")
    page.get_by_test_id("token-input").fill(token)
    page.get_by_test_id("sign-in").click()
    return context, page


def test_a_chair_maps_their_locality_and_reads_the_evidence(
    page_service: Service, browser: Any, area: dict[str, Any], _audit_log: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    mine = area["locality"]
    children = [e for e in area["data"].entities if e["kind"] == "child"]
    # generated names repeat: a name counts as another locality's only if no one here has it
    others = {e["name"] for e in children if e.get("locality") != mine} - {
        e["name"] for e in area["data"].entities if e.get("locality") in (mine, None)
    }
    other_ids = {
        e["id"] for e in area["data"].entities if e["kind"] == "child" and e.get("locality") not in (mine, None)
    }
    answers: list[str] = []
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.on("response", lambda r: answers.append(r.text()) if r.url.endswith("/graphql") else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_service.base + "/")
    page.get_by_test_id("token-input").fill(page_service.token("chair", (mine,), user="chair-east"))
    page.get_by_test_id("sign-in").click()
    select = page.get_by_test_id("locality-select")
    select.locator("option").first.wait_for(state="attached")
    assert select.locator("option").evaluate_all("os => os.map(o => o.value)") == [mine]
    select.select_option(mine)
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    # both views drawn: Cytoscape's canvases, and the map's points on Leaflet's canvas
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=network-view] canvas').length > 0"
        " && document.querySelector('[data-testid=map-view] .leaflet-overlay-pane canvas') !== null",
        timeout=60_000,
    )
    painted = page.evaluate(
        """() => {
        const c = document.querySelector('[data-testid=map-view] .leaflet-overlay-pane canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n; }"""
    )
    assert painted > 500, "the map drew nothing"
    page.screenshot(path=str(ARTIFACTS / "page-locality.png"), full_page=True)
    # the list, then the evidence behind the first child
    items = page.get_by_test_id("at-risk-item")
    assert items.count() >= 3
    first_name = items.first.locator("strong").inner_text()
    items.first.click()
    evidence = page.get_by_test_id("evidence")
    evidence.locator("table tr").nth(1).wait_for()
    text = evidence.inner_text()
    assert first_name in text and "source notes" in text
    assert any(g in text for g in ("1B", "2B", "1A", "2C", "ungraded")), text
    page.screenshot(path=str(ARTIFACTS / "page-evidence.png"), full_page=True)
    # a picture leaves the service: none is made until the page is told who it is for
    page.get_by_test_id("export-png").click()
    expect_status(page, "Say who the picture is for")
    assert not [r for r in audit_records(_audit_log) if r["operation"] == "disclosure"]
    page.get_by_test_id("export-recipient").fill("MACE East")
    # a PNG of both views, stamped with the locality and the handling marking, logged as a disclosure
    with page.expect_download() as dl:
        page.get_by_test_id("export-png").click()
    copied = [r for r in audit_records(_audit_log) if r["operation"] == "disclosure"]
    assert [(r["user"], r["recipient"], r["detail"]["copy"], r["detail"]["locality"]) for r in copied] == [
        ("chair-east", "MACE East", "picture", mine)
    ]
    shown = {e["id"] for e in area["data"].entities if e.get("locality") == mine and e["kind"] == "child"}
    assert shown & set(copied[0]["subjects"]) and not set(copied[0]["subjects"]) & other_ids
    saved = ARTIFACTS / "export.png"
    dl.value.save_as(str(saved))
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved.stat().st_size > 20_000
    # each picture is capped in size, whatever the graph: the network alone within 2,400 × 1,800
    # pixels and the stamp and legend bands
    with page.expect_download() as dl:
        page.get_by_test_id("export-network-png").click()
    alone = ARTIFACTS / "export-network.png"
    dl.value.save_as(str(alone))
    for png, most in ((saved, (2400 + 1600 * 2, 1800 + 86)), (alone, (2400, 1800 + 86))):
        width, height = struct.unpack(">II", png.read_bytes()[16:24])
        assert width <= most[0] and height <= most[1], (png.name, width, height)
    # the print button: logged as a printed pack for them before the browser prints; printed from the
    # browser's own menu, logged all the same
    page.evaluate(
        """() => { window.print = () => {  // as a browser prints: its events, without its dialog
          window.dispatchEvent(new Event('beforeprint'));
          window.printed = (window.printed || 0) + 1;
          window.dispatchEvent(new Event('afterprint'));
        }; }"""
    )
    page.get_by_test_id("print").click()
    page.wait_for_function("() => window.printed === 1")
    assert "for MACE East" in page.locator("#print-pack > thead").inner_text()
    page.get_by_test_id("export-recipient").fill("")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    for _ in range(50):
        copied = [r for r in audit_records(_audit_log) if r["operation"] == "disclosure"]
        if len(copied) >= 4:
            break
        page.wait_for_timeout(100)
    assert [(r["recipient"], r["detail"]["copy"]) for r in copied[2:]] == [
        ("MACE East", "printed pack"),
        ("not said: printed from the browser's menu", "printed pack"),
    ]
    # nothing of the other localities reached the page
    body = page.inner_text("body")
    seen = "\n".join(answers) + body
    assert not [n for n in others if n in body]
    assert not [i for i in other_ids if f'"{i}"' in seen]
    assert not errors, errors
    context.close()


def test_an_analyst_exports_a_file_for_their_tool_and_a_chair_cannot(
    page_service: Service, browser: Any, area: dict[str, Any], _audit_log: Path
) -> None:
    """The page gives the exports for Gephi, QGIS and i2 as the command line does: of what the user
    sees of the locality, only once they say who it is for, each logged as a disclosure."""
    mine = area["locality"]
    theirs = {e["id"] for e in area["data"].entities if e.get("locality") not in (mine, None)}
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(page_service.base + "/")
    page.get_by_test_id("token-input").fill(page_service.token("analyst", (mine,), user="ana"))
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    assert page.get_by_test_id("export-file").is_visible()
    # no recipient, no export: the page says why and nothing is logged
    page.get_by_test_id("export-file").click()
    expect_status(page, "Say who the export is for")
    assert not [r for r in audit_records(_audit_log) if r["operation"] == "disclosure"]
    page.get_by_test_id("export-recipient").fill("MACE East")
    made: dict[str, Path] = {}
    for fmt in ("graphml", "geojson", "i2csv"):
        page.get_by_test_id("export-format").select_option(fmt)
        with page.expect_download() as dl:
            page.get_by_test_id("export-file").click()
        made[fmt] = ARTIFACTS / f"page-export-{fmt}-{dl.value.suggested_filename}"
        dl.value.save_as(str(made[fmt]))
    assert made["graphml"].name.endswith(f"contextgraph-{mine}-export.graphml")
    g = nx.read_graphml(made["graphml"], force_multigraph=True)
    assert g.number_of_nodes() > 50 and not theirs & set(g.nodes)
    places = {f["id"] for f in json.loads(made["geojson"].read_text())["features"]}
    assert places and not theirs & places
    with zipfile.ZipFile(made["i2csv"]) as z:
        assert sorted(z.namelist()) == ["i2-entities.csv", "i2-links.csv"]
    logged = [r for r in audit_records(_audit_log) if r["operation"] == "disclosure"]
    assert [(r["recipient"], r["detail"]["format"], r["user"]) for r in logged] == [
        ("MACE East", fmt, "ana") for fmt in ("graphml", "geojson", "i2csv")
    ]
    assert logged[0]["detail"]["localities"] == [mine] and set(logged[1]["subjects"]) == places
    # what the views show: a window before any data, undated facts left out, gives no link
    page.get_by_test_id("undated").uncheck()
    page.get_by_test_id("until").fill("1990-12-31")
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('31 December 1990')")
    page.get_by_test_id("export-format").select_option("graphml")
    with page.expect_download() as dl:
        page.get_by_test_id("export-file").click()
    dl.value.save_as(str(ARTIFACTS / "page-export-window.graphml"))
    assert nx.read_graphml(ARTIFACTS / "page-export-window.graphml", force_multigraph=True).number_of_edges() == 0
    last = audit_records(_audit_log)[-1]["detail"]
    assert (last["until"], last["undated"]) == ("1990-12-31", False)
    context.close()
    # a chair's page offers no export (the service refuses a chair's: tests/test_export_route.py)
    context, page = signed_in(browser, page_service, page_service.token("chair", (mine,), user="chair-east"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    assert not page.get_by_test_id("export-file").is_visible()
    context.close()


def expect_status(page: Any, words: str) -> None:
    page.wait_for_function("w => document.getElementById('status').textContent.includes(w)", arg=words)


def audit_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def test_initials_only_leaves_no_name_in_the_page_its_answers_or_its_print(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """With "Initials only" ticked, the server names every person by initials: the list, the reasons,
    the evidence, the drawings' labels and the printed pack hold no person's full name, and no answer
    the page receives holds one."""
    mine = area["locality"]
    here = [e for e in area["data"].entities if e.get("locality") == mine]
    # names only people have (generated names repeat across kinds)
    people = {e["name"] for e in here if e["kind"] in ("child", "person_of_concern")}
    names = people - {e["name"] for e in here if e["kind"] not in ("child", "person_of_concern")}
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    answers: list[str] = []
    page.on("response", lambda r: answers.append(r.text()) if r.url.endswith("/graphql") else None)
    page.goto(page_service.base + "/")
    page.get_by_test_id("token-input").fill(page_service.token("analyst", (mine,), user="ana"))
    page.get_by_test_id("sign-in").click()
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    full = items.first.locator("strong").inner_text()
    assert full in names  # before: full names (so that the checks below can fail)
    items.first.click()
    page.get_by_test_id("evidence").locator("table tr").nth(1).wait_for()
    answers.clear()
    page.get_by_test_id("initials-only").check()
    # everything is asked for again and redrawn; the evidence shown before is cleared
    page.wait_for_function(
        "(n) => { const s = document.querySelector('[data-testid=at-risk-item] strong');"
        " return s && s.textContent !== n; }",
        arg=full,
        timeout=60_000,
    )
    assert page.get_by_test_id("evidence").inner_text().strip() == ""
    shown = items.first.locator("strong").inner_text()
    # the first by initials, ranked without home, school and family links (a view to share gives none)
    assert shown in {"".join(f"{w[0].upper()}." for w in n.split()) for n in names}
    items.first.click()
    page.get_by_test_id("evidence").locator("table tr").nth(1).wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-initials.png"), full_page=True)
    pdf = ARTIFACTS / "meeting-pack-initials.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), landscape=True, print_background=True)
    printed = poppler("pdftotext", str(pdf), "-")
    assert shown in printed
    labels = page.evaluate("() => [...document.querySelectorAll('#at-risk li, #evidence')].map(e => e.innerText)")
    seen = (("the page", page.inner_text("body")), ("the print", printed), ("an answer", "\n".join(answers)))
    for where, text in seen:
        leaked = sorted(n for n in names if n in text)
        assert not leaked, f"{len(leaked)} full names in {where}, e.g. {leaked[:3]}"
    assert labels and answers
    context.close()


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_evidence_opens_in_view(
    page_service: Service, browser: Any, area: dict[str, Any], size: tuple[int, int]
) -> None:
    """Clicking a child in the list opens its evidence in a drawer that is in view, whatever the
    window's size; Escape closes it."""
    w, h = size
    context, page = signed_in(
        browser, page_service, page_service.token("chair", (area["locality"],), user="chair-east"), size
    )
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    items.nth(min(5, items.count() - 1)).click()
    drawer = page.get_by_test_id("evidence-drawer")
    row = page.get_by_test_id("evidence").locator("table tr").nth(1)
    row.wait_for()
    box, first = drawer.bounding_box(), row.bounding_box()
    assert box and first
    assert box["x"] >= 0 and box["x"] + box["width"] <= w + 1 and box["y"] < h / 3, box
    assert first["y"] >= 0 and first["y"] + first["height"] <= h, f"the evidence's first row is out of view: {first}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-evidence-{w}x{h}.png"))
    page.keyboard.press("Escape")
    assert not drawer.is_visible()
    context.close()


def test_a_mace_member_reviews_hotspots_from_a_table(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """MACE's view of places: the hotspot table; a row pans the map to the place, and its evidence
    is grouped by person, each with their status, children by initials."""
    mine = area["locality"]
    here = [e for e in area["data"].entities if e.get("locality") == mine]
    names = {e["name"] for e in here if e["kind"] == "child"} - {e["name"] for e in here if e["kind"] != "child"}
    context, page = signed_in(browser, page_service, page_service.token("mace", (mine,), user="mace-east"))
    rows = page.get_by_test_id("hotspot-row")
    rows.first.wait_for(timeout=60_000)
    assert rows.count() >= 2
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0] == "1" and float(cells[2]) > 0 and "linked at risk" in cells[3]
    place = cells[1]
    rows.first.click()
    assert "chosen" in (rows.first.get_attribute("class") or "")
    people = page.get_by_test_id("evidence-person")
    people.first.wait_for()
    assert page.locator("#drawer-title").inner_text() == place
    statuses = people.all_inner_texts()
    assert statuses and all(" — " in s for s in statuses)
    assert any(s.endswith("not open to any service") or "open to" in s or "linked to harm" in s for s in statuses)
    # the place is in view on the map: its label sits inside the map
    label = page.locator(".place-label", has_text=f"1. {place}")
    lb, mb = label.bounding_box(), page.get_by_test_id("map-view").bounding_box()
    assert lb and mb and mb["x"] <= lb["x"] <= mb["x"] + mb["width"] and mb["y"] <= lb["y"] <= mb["y"] + mb["height"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-mace-hotspots.png"))
    text = page.inner_text("body")
    assert not [n for n in names if n in text]
    # the timeline's records are those about places, groups and people of concern: no child's
    contexts = {e["id"] for e in here if e["kind"] != "child"}
    about_contexts = {t["record"] for t in area["data"].tracking if t["subject"] in contexts}
    keys = page.get_by_test_id("timeline-legend").locator("[data-record]")
    kinds = {keys.nth(i).get_attribute("data-record") for i in range(keys.count())}
    assert kinds and kinds <= about_contexts and "missing_episode" not in kinds
    context.close()


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)], ids=["1600x1000", "1280x800"])
@pytest.mark.parametrize("role", ["chair", "analyst", "mace", "admin"])
def test_each_roles_view_fits_the_screen(
    page_service: Service, browser: Any, area: dict[str, Any], role: str, size: tuple[int, int]
) -> None:
    """Each role's view at both screen sizes: both drawings and the role's table (children linked
    to harm, or MACE's hotspots) in the window, nothing wider than it, and a picture kept."""
    mine = area["locality"]
    context, page = signed_in(browser, page_service, page_service.token(role, (mine,), user=f"{role}-1"), size)
    table = page.get_by_test_id("hotspot-row" if role == "mace" else "at-risk-item")
    table.first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('#main').dataset.drawn")
    for view in ("network-view", "map-view"):
        b = page.get_by_test_id(view).bounding_box()
        assert b and b["width"] >= 300 and b["height"] >= 250, (view, b)
        assert b["x"] >= 0 and b["x"] + b["width"] <= size[0], (view, b)
    first = table.first.bounding_box()
    assert first and first["x"] >= 0 and first["x"] + first["width"] <= size[0] and first["y"] < size[1]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size[0]
    if role == "mace":
        assert page.get_by_test_id("at-risk-item").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{role}-{size[0]}x{size[1]}.png"))
    context.close()


def test_a_childs_timeline_shows_what_happened_to_them(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """The evidence drawer of a child in the list shows their tracking records over time (missing
    episodes, referrals...), oldest first, each with its source; and their moves on the pathway."""
    mine = area["locality"]
    context, page = signed_in(browser, page_service, page_service.token("analyst", (mine,), user="ana"))
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    listed = [items.nth(i).get_attribute("data-id") for i in range(items.count())]
    named: dict[str, list[dict[str, Any]]] = {}
    for t in area["data"].tracking:
        for who in (t["subject"], *t.get("with_children", []), *t.get("children", [])):
            named.setdefault(who, []).append(t)
    child = next(c for c in listed if c in named)
    page.locator(f"[data-testid=at-risk-item][data-id='{child}']").click()
    rows = page.get_by_test_id("timeline-record")
    rows.first.wait_for()
    assert rows.count() == len(named[child])
    dates = [r.split("\t")[0] for r in rows.all_inner_texts()]
    assert dates == sorted(dates)
    texts = rows.all_inner_texts()
    assert all(t["source"] in " ".join(texts) for t in named[child])
    page.get_by_test_id("entity-timeline").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-child-timeline.png"))
    context.close()


def test_an_analyst_asks_how_two_people_are_linked(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """From a child's evidence, "How is this linked to" another person gives the shortest paths,
    each step with its evidence, as long as the graph says."""
    import networkx as nx

    mine = area["locality"]
    ents = {e["id"]: e for e in area["data"].entities}
    g = nx.Graph()
    for r in area["data"].relationships:
        a, b = ents.get(r["source"]), ents.get(r["target"])
        if a and b and r["type"] != "OPEN_TO" and a.get("locality") == mine and b.get("locality") == mine:
            g.add_edge(a["id"], b["id"])
    context, page = signed_in(browser, page_service, page_service.token("analyst", (mine,), user="ana"))
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    child = items.first.get_attribute("data-id")
    assert child in g
    names = [e["name"] for e in ents.values() if e.get("locality") == mine]
    far = nx.single_source_shortest_path_length(g, child, cutoff=3)
    target = next(
        x
        for x, d in sorted(far.items(), key=lambda kv: (-kv[1], kv[0]))
        if d >= 2 and ents[x]["kind"] in ("child", "person_of_concern") and names.count(ents[x]["name"]) == 1
    )
    # the person asked for was hidden by hand: the path shows them again
    page.evaluate("(id) => { document.querySelector('#network').cy.getElementById(id).emit('cxttap'); }", target)
    items.first.click()
    box = page.get_by_test_id("path-to")
    box.wait_for()
    box.fill(ents[target]["name"])
    box.press("Enter")
    paths = page.get_by_test_id("path")
    paths.first.wait_for()
    heading = paths.first.inner_text()
    assert heading.startswith(f"1. {far[target]} steps:") and heading.endswith(ents[target]["name"]), heading
    assert paths.first.locator("bdi").count() == far[target] + 1  # each name isolated, whatever its script
    rows = page.get_by_test_id("evidence").locator("table").first.locator("tr")
    assert rows.count() >= far[target] + 1  # a header, and at least one link for each step
    # the path is on the network, drawn where it was not, shown and chosen: its ends and the
    # links of each step
    drawn = page.evaluate(
        """() => { const cy = document.querySelector('#network').cy;
        const on = (x) => !x.hasClass('off') && !x.hasClass('offtype') && !x.hasClass('hidden');
        return { nodes: cy.nodes(':selected').filter(on).map((n) => n.id()),
                 links: cy.edges(':selected').filter(on).map((e) => [e.source().id(), e.target().id()]) }; }"""
    )
    assert {child, target} <= set(drawn["nodes"]), drawn
    assert len(drawn["links"]) >= far[target]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-path.png"))
    context.close()


def test_one_filter_drives_the_views_the_list_and_the_hotspots(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """The date window and the types change the list and the hotspots as well as the drawings, at
    once; undated facts are left out on request; a window backwards, or no type, is refused."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    items, rows = page.get_by_test_id("at-risk-item"), page.get_by_test_id("hotspot-row")
    items.first.wait_for(timeout=60_000)
    before = (items.count(), rows.count(), page.inner_text("#status"))
    assert before[0] > 0 and before[1] > 0
    # a window before any data, undated facts left out: nothing is linked, no place is a hotspot,
    # and only the children flagged in their own record are still listed, for that alone
    page.get_by_test_id("undated").uncheck()
    page.get_by_test_id("since").fill("1990-01-01")
    page.get_by_test_id("until").fill("1990-12-31")
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.includes('31 December 1990')", timeout=60_000
    )
    assert " 0 links, 0 hotspots" in page.inner_text("#status"), page.inner_text("#status")
    assert rows.count() == 0 and items.count() < before[0]
    assert all("flagged" in t for t in items.locator(".why").all_inner_texts())
    # the window backwards: refused, and nothing is redrawn
    page.get_by_test_id("since").fill("1991-01-01")
    page.wait_for_function("() => document.querySelector('#status').classList.contains('error')")
    assert "after" in page.inner_text("#status")
    # a wide window with undated facts: everything is back
    page.get_by_test_id("since").fill("1900-01-01")
    page.get_by_test_id("until").fill("2100-01-01")
    page.get_by_test_id("undated").check()
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-testid=at-risk-item]').length === n", arg=before[0], timeout=60_000
    )
    assert rows.count() == before[1]
    # no relationship type: refused rather than read as every type
    page.locator("details.types summary").click()
    for box in page.locator("#types input").all():
        box.uncheck()
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('No relationship type')")
    context.close()


def test_the_focus_and_the_pins_go_with_their_entities_when_the_naming_changes(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """An id a writer chose reaches a reader of initials by pseudonym, so "Initials only" changes
    the ids the page holds: the child focused and the nodes moved by hand stay focused and where
    they were put, ticked and unticked again, and the ids asked for are only those the reader sees."""
    token = page_service.token("analyst", (area["locality"],), user="ana")
    context, page = signed_in(browser, page_service, token)
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    items.nth(1).click()
    page.wait_for_function("() => document.querySelector('#main').dataset.focused", timeout=30_000)
    focused = page.evaluate("() => document.querySelector('#main').dataset.focused")
    assert not focused.startswith("x-")  # (an id of the generated area: pseudonymised for initials)
    pin = """(id) => { const n = document.querySelector('#network').cy.getElementById(id);
        n.position({ x: 1234, y: -567 }); n.emit('dragfree'); }"""
    page.evaluate(pin, focused)
    where = """() => { const cy = document.querySelector('#network').cy;
        const id = document.querySelector('#main').dataset.focused, n = cy.getElementById(id);
        return [id, n.selected(), n.position('x'), n.position('y')]; }"""
    for act, pseudonym in (
        (page.get_by_test_id("initials-only").check, True),
        (page.get_by_test_id("initials-only").uncheck, False),
    ):
        stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
        act()
        page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
        page.wait_for_function("() => document.querySelector('#main').dataset.focused", timeout=30_000)
        now, selected, x, y = page.evaluate(where)
        assert now.startswith("x-") == pseudonym and (now == focused) != pseudonym, now
        assert selected and (x, y) == (1234, -567)
    # ticked and unticked again at once (the first answer not yet come): nothing is lost
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    page.evaluate("() => { const b = document.querySelector('[data-testid=initials-only]'); b.click(); b.click(); }")
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
    page.wait_for_function("() => document.querySelector('#main').dataset.focused", timeout=30_000)
    assert page.evaluate(where) == [focused, True, 1234, -567]
    assert (
        page.evaluate(
            "() => sessionStorage.getItem('contextgraph.pinned-naming.' + document.querySelector('#locality').value)"
        )
        == "full"
    )
    # the service shows only what the reader sees: an id of another locality or none is null; a
    # reader asking names is given the pseudonym a view by initials would give; a MACE member,
    # who sees children only by initials, is never given the stored id
    query = "query($ids: [ID!]!, $initials: Boolean) { shownIds(ids: $ids, initials: $initials) }"
    other = next(e["id"] for e in area["data"].entities if e.get("locality") not in (None, area["locality"]))
    asked = [focused, other, "c-nowhere"]

    def shown(tok: str, names: str, initials: bool | None) -> list[str | None]:
        status, body = page_service.post(query, tok, "test", {"ids": asked, "initials": initials}, {"X-Names": names})
        assert status == 200 and not body.get("errors"), body
        return list(body["data"]["shownIds"])

    assert shown(token, "full", None) == [focused, None, None]
    pseudonym = shown(token, "full", True)[0]
    assert pseudonym is not None and pseudonym.startswith("x-") and shown(token, "full", True)[1:] == [None, None]
    assert shown(token, "initials", None) == [None, None, None]  # a stored id is not one given by initials
    asked[0] = pseudonym
    assert shown(token, "initials", False) == [focused, None, None]
    mace = page_service.token("mace", (area["locality"],), user="mo")
    assert shown(mace, "full", False) == [pseudonym, None, None]
    context.close()


def test_the_map_shows_the_places_of_the_services_geojson(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """The map's places are drawn from the graph the page already holds: exactly the placed
    entities with coordinates that the service's GeoJSON gives for the same view, under a filter
    too (the GeoJSON is not asked for again with every filter)."""
    token = page_service.token("analyst", (area["locality"],), user="ana")
    context, page = signed_in(browser, page_service, token)
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    markers = """() => { const out = []; document.querySelector('#map').leaflet.eachLayer((l) => {
        if (l.getRadius) out.push([Number(l.getLatLng().lat.toFixed(6)), Number(l.getLatLng().lng.toFixed(6))]); });
        return out.sort(); }"""
    query = """query($l: String!, $types: [RelationshipType!]) {
        localityMap(locality: $l, types: $types, first: 5000) { geojson } }"""

    def places(types: list[str] | None) -> list[list[float]]:
        gj = page_service.data(query, token, l=area["locality"], types=types)["localityMap"]["geojson"]
        return sorted(
            [round(f["geometry"]["coordinates"][1], 6), round(f["geometry"]["coordinates"][0], 6)]
            for f in gj["features"]
        )

    assert page.evaluate(markers) == places(None) and len(places(None)) > 20
    page.locator("details.types summary").click()
    types = page.evaluate("() => [...document.querySelectorAll('#types input')].map((b) => b.value)")
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    page.locator("#types input[value=SEEN_AT]").uncheck()
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
    assert page.evaluate(markers) == places([t for t in types if t != "SEEN_AT"])
    context.close()


def test_a_filter_change_redraws_only_what_changed(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """A type ticked off and on again leaves the page as it was, and the drawings are not built
    again: the places whose marker did not change keep it, the network's elements keep their data,
    and a link clicked afterwards shows its evidence."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    markers = """() => { const out = []; document.querySelector('#map').leaflet.eachLayer((l) => {
        if (!l.getRadius) return;
        const at = l.getLatLng();
        const words = l.getTooltip().getContent().textContent;
        out.push([at.lat, at.lng, l.getRadius(), l.options.color, words, l.__tag || 0]); });
        return out.sort(); }"""
    # every marker and element tagged, and each change of an element's data counted
    page.evaluate(
        """() => { let k = 0;
        document.querySelector('#map').leaflet.eachLayer((l) => { if (l.getRadius) l.__tag = ++k; });
        const cy = document.querySelector('#network').cy;
        globalThis.changed = 0;
        cy.on('data position', () => { globalThis.changed += 1; }); }"""
    )
    before = page.evaluate(markers)
    labels = page.locator(".place-label").all_inner_texts()
    nodes = page.evaluate("() => document.querySelector('#network').cy.nodes().length")
    assert len(before) > 20 and nodes > 20 and labels
    # the reader moves the map: a filter change over the same places leaves it where they put it
    view = """() => { const m = document.querySelector('#map').leaflet, c = m.getCenter();
        return [Number(c.lat.toFixed(5)), Number(c.lng.toFixed(5)), m.getZoom()]; }"""
    page.evaluate(
        """() => { const m = document.querySelector('#map').leaflet;
        m.setView(m.getCenter(), m.getZoom() + 1, { animate: false }); }"""
    )
    moved = page.evaluate(view)
    page.locator("details.types summary").click()
    box = page.locator("#types input[value=SEEN_AT]")
    for act in (box.uncheck, box.check):
        stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
        act()
        page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
        if act == box.uncheck:  # the hotspots changed with the filter: so did their words on the map
            hot = page.locator("[data-testid=hotspot-row]").all()
            words = {r.get_attribute("data-id"): r.get_attribute("title") for r in hot}
            shown = page.evaluate(
                """() => { const out = []; document.querySelector('#map').leaflet.eachLayer((l) => {
                if (l.getRadius && l.getTooltip()) out.push(l.getTooltip().getContent().textContent); });
                return out; }"""
            )
            assert any(w and any(w in x for x in shown) for w in words.values())
            # the places named on the map are the ten first under the new filter, each named with
            # its new rank and placed beside its own marker
            ranked = [r.locator("td").all_inner_texts()[:2] for r in hot[:10]]
            placed = page.evaluate(
                """() => { const m = document.querySelector('#map').leaflet, out = [];
                const box = m.getContainer().getBoundingClientRect();
                m.eachLayer((l) => { const t = l.getTooltip && l.getTooltip();
                  if (!t || !t.options.permanent || !t.getElement()) return;
                  const at = m.latLngToContainerPoint(l.getLatLng()), e = t.getElement();
                  const r = e.getBoundingClientRect();
                  out.push([e.textContent, r.left - box.left - at.x, r.top + r.height / 2 - box.top - at.y]); });
                return out; }"""
            )
            assert sorted(text for text, _, _ in placed) == sorted(f"{rank}. {name}" for rank, name in ranked)
            assert all(0 <= dx <= 30 and abs(dy) <= 10 for _, dx, dy in placed), placed
    assert page.evaluate(view) == moved
    after = page.evaluate(markers)
    # the same places, with the same look and words, as before, and the same places named
    assert [m[:5] for m in after] == [m[:5] for m in before]
    # (a label that went fades out within a fifth of a second)
    page.wait_for_function(
        "(n) => document.querySelectorAll('.place-label').length === n", arg=len(labels), timeout=5_000
    )
    assert sorted(page.locator(".place-label").all_inner_texts()) == sorted(labels)
    # every marker is the one drawn first, changed in place when its look or words changed, but
    # for those that became or stopped being one of the ten places named on the map
    anew = [m for m in after if not m[5]]
    assert len(anew) <= 2 * len(labels), anew[:3]
    # the network's elements were updated only where they changed: far fewer than one change each
    assert page.evaluate("() => globalThis.changed") < nodes // 2
    # the links' evidence is that of the filter now in force
    page.evaluate(
        """() => { const cy = document.querySelector('#network').cy; cy.edges('[type = "SEEN_AT"]')[0].emit('tap'); }"""
    )
    page.get_by_test_id("evidence-drawer").wait_for(timeout=30_000)
    assert "seen at" in page.get_by_test_id("evidence-drawer").inner_text().lower()
    context.close()


NETWORK_STATE = """() => { const cy = document.querySelector('#network').cy;
    const on = (x) => !x.hasClass('off') && !x.hasClass('offtype') && !x.hasClass('hidden');
    return {
      focused: document.querySelector('#main').dataset.focused || null,
      clear: cy.nodes().filter((n) => on(n) && !n.hasClass('faded')).map((n) => n.id()),
      selected: cy.$(':selected').map((x) => x.id()),
      at: Object.fromEntries(cy.nodes().filter(on).map((n) => [n.id(), [n.position().x, n.position().y]])),
      links: cy.edges().filter(on).map((e) => [e.id(), e.data('type'), e.source().id(), e.target().id()]),
      lone: cy.nodes().filter((n) => on(n) && n.connectedEdges().filter(on).empty()
        && !['person_of_concern'].includes(n.data('kind'))).map((n) => n.id()),
    }; }"""


def shown_by_itself(page: Any, act: Any) -> None:
    """A relationship type ticked or unticked by ``act`` while the service's answers are held
    back: returns once the drawing has shown the change by itself (well within a second)."""
    was = page.evaluate("() => document.querySelector('#main').dataset.filtered || ''")
    act()
    page.wait_for_function(
        "(b) => (document.querySelector('#main').dataset.filtered || '') !== b", arg=was, timeout=2_000
    )


HOLD_TIMERS = """() => { const real = window.setTimeout; window.__later = [];
    window.setTimeout = (f, ms, ...a) =>
      ms >= 100 && ms <= 1000 ? (window.__later.push(() => f(...a)), -1) : real(f, ms, ...a); }"""
"""The page's timers of a tenth of a second to a second held, to be run by RUN_TIMERS when a test chooses."""
RUN_TIMERS = "() => window.__later.splice(0).forEach((f) => f())"


def test_a_types_change_is_shown_by_itself_only_until_a_view_as_new_is_drawn(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """The drawing shows a relationship type's change by itself only while no view at least as
    new is drawn: not over the answer once drawn; and when a later change of the filter fails,
    the type's change is shown all the same (the boxes as they are then)."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    common = [t for t, _ in Counter(r[1] for r in page.evaluate(NETWORK_STATE)["links"]).most_common(2)]
    page.locator("details.types summary").click()
    page.evaluate(HOLD_TIMERS)
    # the answer drawn first, the change's timer after it: nothing is shown again
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    page.locator(f"#types input[value={common[0]}]").uncheck()
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
    drawn = page.evaluate(NETWORK_STATE)
    page.evaluate(RUN_TIMERS)
    assert page.evaluate(
        "() => { const m = document.querySelector('#main'); return m.dataset.filtered === m.dataset.drawn; }"
    )
    assert page.evaluate(NETWORK_STATE) == drawn
    # a type unticked, then the undated facts left out, and every answer failing
    page.route("**/graphql", lambda route: route.abort())
    page.locator(f"#types input[value={common[1]}]").uncheck()
    page.get_by_test_id("undated").click()
    page.wait_for_function("() => document.querySelector('#status').classList.contains('error')", timeout=30_000)
    assert [r for r in page.evaluate(NETWORK_STATE)["links"] if r[1] == common[1]]
    page.evaluate(RUN_TIMERS)
    assert not [r for r in page.evaluate(NETWORK_STATE)["links"] if r[1] == common[1]]
    assert not errors, errors
    context.close()


def test_links_picked_out_under_a_focus_are_drawn(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """Links outside a focus are not drawn, but those picked out (a place's, from its hotspot
    row, or a path's) are."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    page.get_by_test_id("at-risk-item").nth(1).click()
    page.wait_for_function("() => document.querySelector('#main').dataset.focused")
    faded = page.evaluate(
        """() => { const cy = document.querySelector('#network').cy;
        return [...document.querySelectorAll('[data-testid=hotspot-row]')].map((r) => r.dataset.id)
          .filter((id) => cy.getElementById(id).hasClass('faded')); }"""
    )
    assert faded, "no hotspot outside the focus"
    page.locator(f"[data-testid=hotspot-row][data-id='{faded[0]}']").click()
    # (the style read as it now is: Cytoscape's visible() may answer from before the next frame)
    picked = page.evaluate(
        """() => { const cy = document.querySelector('#network').cy, links = cy.edges(':selected');
        const shown = (e) => e.pstyle('visibility').value === 'visible' && e.pstyle('display').value !== 'none';
        return [links.length, links.filter((e) => e.hasClass('faded')).length,
          links.filter((e) => !shown(e)).length]; }"""
    )
    assert picked[0] and picked[1] and not picked[2], picked
    # a link outside the focus, not picked out, is not drawn
    assert page.evaluate(
        """() => document.querySelector('#network').cy.edges('.faded')
        .filter((e) => !e.selected()).every((e) => e.pstyle('visibility').value === 'hidden')"""
    )
    context.close()


def test_a_filter_keeps_the_network_drawn_and_shows_its_change_at_once(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """Under a filter change the network stays as the reader left it (the focus, the selection,
    every node where it was), and the change shows without waiting for a slow answer: a type
    unticked hides its links and the people and places they leave with no link; ticked again,
    they are back before the service answers."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    page.get_by_test_id("at-risk-item").nth(1).click()
    page.wait_for_function("() => document.querySelector('#main').dataset.focused")
    before = page.evaluate(NETWORK_STATE)
    assert before["focused"] and before["selected"] == [before["focused"]]
    kept = set(
        page.evaluate(
            """() => [...document.querySelector('#network').cy.nodes()].filter((n) =>
            n.data('colour') === '#ef6c00' || n.data('kind') === 'person_of_concern').map((n) => n.id())"""
        )
    )
    # the type whose links alone join the most entities drawn
    types_of: dict[str, set[str]] = {}
    for _, t, a, b in before["links"]:
        types_of.setdefault(a, set()).add(t)
        types_of.setdefault(b, set()).add(t)
    only = Counter(next(iter(ts)) for i, ts in types_of.items() if len(ts) == 1 and i not in kept)
    kind = only.most_common(1)[0][0]
    page.locator("details.types summary").click()
    box = page.locator(f"#types input[value={kind}]")
    # the answers are held back: what the page shows before them is its own doing
    held: list[Any] = []
    hold = [True]
    page.route("**/graphql", lambda route: held.append(route) if hold[0] else route.continue_())

    def release() -> None:
        hold[0] = False
        while held:
            held.pop().continue_()

    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    shown_by_itself(page, box.uncheck)
    at_once = page.evaluate(NETWORK_STATE)
    assert not [r for r in at_once["links"] if r[1] == kind]
    assert set(at_once["lone"]) <= kept, at_once["lone"][:5]
    assert len(at_once["at"]) <= len(before["at"]) - only[kind]
    release()
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
    after = page.evaluate(NETWORK_STATE)
    # the focus and the selection are kept; what is still drawn has not moved
    assert after["focused"] == before["focused"] and after["selected"] == before["selected"]
    assert before["focused"] in after["clear"]
    moved = [i for i, xy in after["at"].items() if i in before["at"] and before["at"][i] != xy]
    assert not moved, moved[:5]
    assert not [r for r in after["links"] if r[1] == kind]
    # ticked again: the links are back at once, with the people and places they join
    hold[0] = True
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    shown_by_itself(page, box.check)
    again = page.evaluate(NETWORK_STATE)
    assert {r[0] for r in before["links"]} <= {r[0] for r in again["links"]}
    assert set(before["at"]) <= set(again["at"])
    release()
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
    last = page.evaluate(NETWORK_STATE)
    assert {r[0] for r in last["links"]} == {r[0] for r in before["links"]}
    assert last["at"] == before["at"] and last["focused"] == before["focused"]
    assert sorted(last["clear"]) == sorted(before["clear"])
    context.close()


def test_a_filter_shows_no_link_outside_its_window_and_ends_a_focus_it_leaves_out(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """Under a date window a type ticked again brings back no link the window leaves out, and a
    focus on an entity the filter leaves out ends rather than fading everything."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)

    def redrawn(act: Any) -> None:
        stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
        act()
        page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)

    redrawn(lambda: page.get_by_test_id("undated").uncheck())
    redrawn(lambda: page.get_by_test_id("since").fill("2025-05-01"))
    # the window's own drawing, not an earlier answer's
    page.wait_for_function(
        "() => { const t = document.querySelector('#status').textContent; "
        "return t.includes(' entities, ') && t.includes('1 May 2025'); }"
    )
    windowed = page.evaluate(NETWORK_STATE)
    kind = Counter(r[1] for r in windowed["links"]).most_common(1)[0][0]
    page.locator("details.types summary").click()
    box = page.locator(f"#types input[value={kind}]")
    redrawn(box.uncheck)
    held: list[Any] = []
    page.route("**/graphql", lambda route: held.append(route))
    shown_by_itself(page, box.check)
    at_once = page.evaluate(NETWORK_STATE)
    assert {r[0] for r in at_once["links"]} <= {r[0] for r in windowed["links"]}
    assert set(at_once["at"]) <= set(windowed["at"])
    page.unroute("**/graphql")
    for route in held:
        route.fallback()
    page.wait_for_function("() => document.querySelectorAll('#types input:not(:checked)').length === 0")
    # a focus on a child the window leaves out of the drawing: the window ends it
    redrawn(lambda: page.get_by_test_id("since").fill(""))
    page.wait_for_function(
        "() => { const t = document.querySelector('#status').textContent; "
        "return t.includes(' entities, ') && !t.includes('1 May 2025'); }"
    )
    ids = page.get_by_test_id("at-risk-item").evaluate_all("(xs) => xs.map((x) => x.dataset.id)")
    gone = next(i for i in ids if i not in windowed["at"])
    page.locator(f"[data-testid=at-risk-item][data-id='{gone}']").click()
    page.wait_for_function("(c) => document.querySelector('#main').dataset.focused === c", arg=gone)
    assert len(page.evaluate(NETWORK_STATE)["clear"]) < len(page.evaluate(NETWORK_STATE)["at"])
    redrawn(lambda: page.get_by_test_id("since").fill("2025-05-01"))
    after = page.evaluate(NETWORK_STATE)
    assert after["focused"] is None and len(after["clear"]) == len(after["at"])
    context.close()


def test_a_drawing_made_again_carries_its_focus_into_the_next_filter(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """ "Initials only" draws the network again, focused on the same child under the id the new
    naming gives them; a filter change afterwards fades all but that child's network, and nothing
    around an id no longer drawn."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    page.get_by_test_id("at-risk-item").nth(1).click()
    page.wait_for_function("() => document.querySelector('#main').dataset.focused")
    before = page.evaluate("() => document.querySelector('#main').dataset.focused")
    for act in (
        lambda: page.get_by_test_id("initials-only").check(),
        lambda: page.get_by_test_id("undated").uncheck(),
    ):
        stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
        act()
        page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
        page.wait_for_function("() => document.querySelector('#main').dataset.focused", timeout=30_000)
        state = page.evaluate(NETWORK_STATE)
        focused = state["focused"]
        assert focused.startswith("x-") and focused != before and state["selected"] == [focused]
        assert focused in state["clear"] and before not in state["at"] and len(state["clear"]) < len(state["at"])
    context.close()


def test_nodes_hidden_by_hand_and_links_shown_at_once_under_a_filter(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """A node hidden by hand takes no one else out of view when the filter changes, and "Show
    hidden" brings it back with its links; a link shown again at once, before the service has
    answered, says its evidence is coming rather than failing."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    # a node X with a neighbour Y whose only link is to X; hidden by hand
    pair = page.evaluate(
        """() => { const cy = document.querySelector('#network').cy;
        for (const y of cy.nodes()) { const links = y.connectedEdges();
          if (links.length !== 1 || y.data('kind') === 'person_of_concern') continue;
          const x = links[0].source().id() === y.id() ? links[0].target() : links[0].source();
          return [x.id(), y.id(), links[0].data('type')]; } return null; }"""
    )
    assert pair, "no entity linked to one other only"
    x, y, kept_type = pair
    page.evaluate("(id) => { document.querySelector('#network').cy.getElementById(id).emit('cxttap'); }", x)
    page.get_by_test_id("show-hidden").wait_for()
    page.locator("details.types summary").click()
    other = page.evaluate(
        "(t) => [...document.querySelectorAll('#types input')].map((b) => b.value).find((v) => v !== t)", kept_type
    )
    box = page.locator(f"#types input[value={other}]")
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    box.uncheck()
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
    state = page.evaluate(NETWORK_STATE)
    assert y in state["at"] and x not in state["at"]
    page.get_by_test_id("show-hidden").click()
    assert x in page.evaluate(NETWORK_STATE)["at"]
    # the type ticked again with the answer held back: a link shown at once, clicked
    held: list[Any] = []
    hold = [True]
    page.route("**/graphql", lambda route: held.append(route) if hold[0] else route.continue_())
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    shown_by_itself(page, box.check)
    back = [r for r in page.evaluate(NETWORK_STATE)["links"] if r[1] == other]
    assert back
    page.evaluate("(id) => { document.querySelector('#network').cy.getElementById(id).emit('tap'); }", back[0][0])
    assert "evidence comes" in page.inner_text("#status")
    hold[0] = False
    while held:
        held.pop().continue_()
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
    page.evaluate("(id) => { document.querySelector('#network').cy.getElementById(id).emit('tap'); }", back[0][0])
    page.get_by_test_id("evidence-drawer").wait_for(timeout=30_000)
    assert not errors, errors
    context.close()


def test_the_page_and_the_command_line_rank_alike(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """One definition of the analysis: an administrator's page for a locality lists the children,
    scores and reasons that ``contextgraph analyse --locality`` gives, and says as of when."""
    mine = area["locality"]
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "contextgraph",
            "analyse",
            "--locality",
            mine,
            "--format",
            "json",
            "--purpose",
            "t",
            "--store",
            page_service.store_url,
        ],  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        check=True,
    )
    ranked = json.loads(cli.stdout)["unopened_at_risk"]
    context, page = signed_in(browser, page_service, page_service.token("admin", (), user="root"))
    page.get_by_test_id("locality-select").select_option(mine)
    items = page.get_by_test_id("at-risk-item")
    page.wait_for_function(
        "(m) => document.querySelector('#status').textContent.startsWith(m + ':')", arg=mine, timeout=60_000
    )
    items.first.wait_for()
    shown = [
        (li.get_attribute("data-id"), float(li.locator(".score").inner_text()), li.locator(".why").inner_text())
        for li in items.all()
    ]
    assert [x[0] for x in shown] == [c["id"] for c in ranked[: len(shown)]]
    assert [x[1] for x in shown] == [round(c["score"], 2) for c in ranked[: len(shown)]]
    first_reason = ranked[0]["reasons"][0]["text"]
    assert shown[0][2].startswith(first_reason[:40]), (shown[0][2], first_reason)
    assert "Analysis as of" in page.inner_text("#status")
    context.close()


def test_find_forgives_and_lists_the_hits(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """Find asks the service's search: a name in lower case with a letter too many still finds the
    people, and a name shared by several lists them all, each a click from its evidence."""
    mine = area["locality"]
    people = [e for e in area["data"].entities if e.get("locality") == mine and e["kind"] == "child"]
    context, page = signed_in(browser, page_service, page_service.token("analyst", (mine,), user="ana"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    surname = max({p["name"].split()[-1] for p in people}, key=lambda n: sum(p["name"].endswith(n) for p in people))
    page.get_by_test_id("find").fill(surname.lower() + "s")  # lower case, and a letter too many
    page.get_by_test_id("find").press("Enter")
    hits = page.get_by_test_id("find-hit")
    hits.first.wait_for()
    assert hits.count() >= 2 and all(surname in t for t in hits.locator("strong").all_inner_texts()[:2])
    name = hits.first.locator("strong").inner_text()
    hits.first.click()
    page.get_by_test_id("evidence").locator("table tr").nth(1).wait_for()
    assert name in page.locator("#drawer-title").inner_text()
    context.close()


def test_brushing_the_timeline_filters_everything(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """The timeline shows the dated facts by month; dragging across it sets the window, which the
    views, the list and the hotspots follow; a double-click shows everything again."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    everything = items.count()
    timeline = page.get_by_test_id("timeline")
    bars = timeline.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert bars > 500, "the timeline drew nothing"
    # under the facts, the records about the locality's children, places and groups, by kind
    east = {e["id"] for e in area["data"].entities if e.get("locality") == area["locality"]}
    expected: dict[str, int] = {}
    for t in area["data"].tracking:
        if t["subject"] in east:
            expected[t["record"]] = expected.get(t["record"], 0) + 1
    keys = page.get_by_test_id("timeline-legend").locator("[data-record]")
    shown = {keys.nth(i).get_attribute("data-record"): int(keys.nth(i).get_attribute("data-count") or 0)
             for i in range(keys.count())}  # fmt: skip
    assert shown == expected and "missing_episode" in shown
    missing_red = timeline.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === 0xc6 && d[i+1] === 0x28 && d[i+2] === 0x28) n++;
        return n; }"""
    )
    assert missing_red > 20, "the missing episodes were not drawn under the facts"
    box = timeline.bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.05, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.up()
    since, until = page.get_by_test_id("since").input_value(), page.get_by_test_id("until").input_value()
    assert since and until and since < until and since.endswith("-01")
    page.wait_for_function("(u) => document.querySelector('#status').textContent.includes(u)", arg=until.split("-")[0])
    page.wait_for_function("() => !document.querySelector('#status').textContent.startsWith('Loading')")
    assert items.count() < everything  # an early window: fewer children linked to harm within it
    page.screenshot(path=str(ARTIFACTS / "page-timeline.png"))
    timeline.dblclick()
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-testid=at-risk-item]').length === n", arg=everything, timeout=60_000
    )
    assert page.get_by_test_id("since").input_value() == ""
    context.close()


def test_hide_pin_and_colour_by_peer_group(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """A node hidden by a right-click leaves the drawing until "show hidden"; a node dragged stays
    where it was put when the view is drawn again; peer groups can colour the children."""
    context, page = signed_in(browser, page_service, page_service.token("analyst", (area["locality"],), user="ana"))
    asked: list[str] = []  # the queries sent: peer groups are asked for only while they colour the network
    page.on("request", lambda r: asked.append(r.post_data or "") if r.url.endswith("/graphql") else None)
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('#main').dataset.drawn")
    net = page.get_by_test_id("network-view")
    box = net.bounding_box()
    assert box

    def node(which: str) -> dict[str, Any]:
        # a node a person could grab: in the view, with no other node drawn within 16 px of it
        got: dict[str, Any] = net.evaluate(
            """(v, which) => { const cy = v.cy; const w = v.clientWidth, h = v.clientHeight;
            const shown = cy.nodes().filter(x => x.visible()).map(x => x.renderedPosition());
            const n = cy.nodes(which).filter(x => { if (!x.visible()) return false;
              const r = x.renderedPosition(); if (r.x < 20 || r.y < 20 || r.x > w - 80 || r.y > h - 60) return false;
              return shown.filter(o => Math.hypot(o.x - r.x, o.y - r.y) < 16).length === 1; })[0];
            const r = n.renderedPosition(); return {id: n.id(), x: r.x, y: r.y, colour: n.data('colour'),
            classes: n.classes(), pos: n.position()}; }""",
            which,
        )
        return got

    # hide: right-click a child; it and its links leave the drawing until "show hidden"
    child = node("[kind = 'child']")
    page.mouse.click(box["x"] + child["x"], box["y"] + child["y"], button="right")
    hidden = page.get_by_test_id("show-hidden")
    hidden.wait_for()
    assert hidden.inner_text() == "Show 1 hidden"
    assert net.evaluate("(v, id) => v.cy.getElementById(id).visible()", child["id"]) is False
    hidden.click()
    page.wait_for_function(
        "(id) => document.querySelector('[data-testid=network-view]').cy.getElementById(id).visible()", arg=child["id"]
    )
    assert hidden.is_hidden()
    # pin: drag a node; drawn again, it is where it was put
    other = node("[kind = 'location']")
    page.mouse.move(box["x"] + other["x"], box["y"] + other["y"])
    page.mouse.down()
    page.mouse.move(box["x"] + other["x"] + 60, box["y"] + other["y"] + 40, steps=5)
    page.mouse.up()
    moved = net.evaluate("(v, id) => v.cy.getElementById(id).position()", other["id"])
    assert abs(moved["x"] - other["pos"]["x"]) > 5
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    page.get_by_test_id("show").click()
    page.wait_for_function("(s) => document.querySelector('#main').dataset.drawn !== s", arg=stamp)
    again = net.evaluate("(v, id) => v.cy.getElementById(id).position()", other["id"])
    assert abs(again["x"] - moved["x"]) <= 1 and abs(again["y"] - moved["y"]) <= 1
    # colour by peer group: a member of a group takes its group's colour; the groups are asked
    # for when the box is ticked, not before
    colours = "v => v.cy.nodes(\"[kind = 'child']\").map(n => n.data('colour'))"
    before = net.evaluate(colours)
    assert asked and not any("peerGroups" in q for q in asked)
    page.get_by_test_id("by-group").check()
    page.wait_for_function(
        """(b) => { const c = document.querySelector('[data-testid=network-view]').cy
          .nodes("[kind = 'child']").map(n => n.data('colour'));
          return JSON.stringify(c) !== b && new Set(c).size > new Set(JSON.parse(b)).size; }""",
        arg=json.dumps(before),
        timeout=30_000,
    )
    after = net.evaluate(colours)
    assert sum("peerGroups" in q for q in asked) == 1
    # a new view while the box is ticked brings its own groups, and the colours stay by group
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    page.get_by_test_id("show").click()
    page.wait_for_function("(s) => document.querySelector('#main').dataset.drawn !== s", arg=stamp)
    assert sum("peerGroups" in q for q in asked) == 2
    assert net.evaluate(colours) == after
    page.get_by_test_id("by-group").uncheck()
    assert net.evaluate(colours) == before
    context.close()


def test_a_view_saved_for_the_meeting_is_reopened_next_time(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """A chair saves a view (a window, undated facts out) by name and shares it; the next month,
    in a new session, an analyst of the locality opens it: the filter is put back, and what
    changed since it was saved is shown."""
    mine = area["locality"]

    def opened(token: str) -> Any:
        context, page = signed_in(browser, page_service, token)
        page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
        return context, page

    context, page = opened(page_service.token("chair", (mine,), user="chair-east"))
    page.get_by_test_id("undated").uncheck()
    page.get_by_test_id("since").fill("2024-06-01")
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('June 2024')")
    page.get_by_test_id("view-name").fill("June onwards")
    page.get_by_test_id("view-shared").check()
    page.get_by_test_id("save-view").click()
    page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('Saved')")
    context.close()
    context, page = opened(page_service.token("analyst", (mine,), user="ana"))
    assert page.get_by_test_id("since").input_value() == ""
    views = page.get_by_test_id("saved-views")
    page.wait_for_function("() => document.querySelectorAll('#saved-views option').length > 1")
    option = views.locator("option", has_text="June onwards")
    assert "chair-east" in option.inner_text() and "shared" in option.inner_text()
    views.select_option(option.get_attribute("value"))
    page.get_by_test_id("changes-since").wait_for(timeout=60_000)
    assert page.get_by_test_id("since").input_value() == "2024-06-01"
    assert not page.get_by_test_id("undated").is_checked()
    assert "June onwards" in page.get_by_test_id("changes-since").inner_text()
    page.screenshot(path=str(ARTIFACTS / "page-saved-view.png"))
    context.close()


def test_print_gives_a_meeting_pack(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    """Printing gives one or two A4 landscape pages: both views drawn and refitted, their legends,
    the list with reasons, and on every page the locality, the date, who prepared it and the
    handling marking; no control, no zoom button, no evidence left open."""
    mine = area["locality"]
    context, page = signed_in(browser, page_service, page_service.token("analyst", (mine,), user="ana"), (1400, 900))
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    items.first.click()  # evidence left open must not be printed
    page.get_by_test_id("evidence").locator("table tr").nth(1).wait_for()
    first = items.first.locator("strong").inner_text()
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")  # as the browser does, then prints
    page.emulate_media(media="print")
    assert not page.get_by_test_id("token-input").is_visible()
    pictures = page.locator(".print-pack .print-view")  # each view printed whole, as a picture
    assert pictures.count() == 2
    for k in range(2):
        pictures.nth(k).wait_for()
        assert pictures.nth(k).evaluate("img => img.naturalWidth") > 200
    assert not any(z.is_visible() for z in page.locator(".leaflet-control-zoom").all())
    pdf = ARTIFACTS / "meeting-pack.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    info = poppler("pdfinfo", str(pdf))
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    assert 1 <= pages <= 2, f"{pages} pages"
    for n in range(1, pages + 1):
        text = poppler("pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-")
        text = " ".join(text.split())
        assert mine in text and "handling code" in text.lower() and "ana (analyst)" in text, f"page {n}: {text[:300]}"
    everything = poppler("pdftotext", str(pdf), "-")
    assert first in everything and "linked to harm, not open" in everything  # the list, and the legend
    assert "Hotspots" in everything and "Last linked" in everything
    assert "•" not in everything  # the evidence drawer (its reasons are bulleted) is not printed
    poppler("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "meeting-pack"))
    context.close()


def test_a_sign_in_sent_before_the_page_is_ready_is_not_lost(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """Until the page has read its settings the sign-in button is disabled (a form sent before
    then would reload the page and drop the token); once read, the same token signs in."""
    held: list[Any] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.route("**/config.json", lambda route: held.append(route))
    page.goto(page_service.base + "/", wait_until="load")
    page.get_by_test_id("token-input").fill(page_service.token("chair", (area["locality"],), user="early"))
    button = page.get_by_test_id("sign-in")
    assert held and button.is_disabled()
    with pytest.raises(Exception, match=r"[Tt]imeout"):
        button.click(timeout=500)
    held[0].continue_()
    button.click()
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    context.close()


def test_the_page_is_served_with_a_strict_policy(page_service: Service) -> None:
    status, headers, body = page_service.call("GET", "/", None)
    assert status == 200 and b'data-testid="network-view"' in body
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    status, _, config = page_service.call("GET", "/config.json", None)
    assert status == 200 and b"EXPLOITS" in config


def test_signing_in_through_keycloak(
    area: dict[str, Any], browser: Any, keycloak: Keycloak, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's authorisation code sign-in with PKCE (S256) against a real Keycloak: its login
    form, then back to the page with a code that only the page's verifier redeems, and the
    service trusting the access token Keycloak issued."""
    realm = keycloak.realm_url()
    for name, value in {
        "CONTEXTGRAPH_OIDC_AUTHORITY": realm,
        "CONTEXTGRAPH_OIDC_CLIENT_ID": "contextgraph-page",
        "CONTEXTGRAPH_JWKS_URL": f"{realm}/protocol/openid-connect/certs",
        "CONTEXTGRAPH_JWT_ISSUER": realm,
    }.items():
        monkeypatch.setenv(name, value)
    url = f"sqlite:///{tmp_path / 'area.db'}"
    with open_store(url) as s:
        data = area["data"]
        s.upsert(
            [entity_from_json(e) for e in data.entities],
            [relationship_from_json(r) for r in data.relationships],
            tracking=[Tracked.from_json(t) for t in data.tracking],
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with running(url, LocalKeys(tmp_path / "unused.key.pem")) as svc:
        # the page redeems its code from the browser: Keycloak must allow the page's origin (CORS)
        (client,) = keycloak.admin("GET", f"/{REALM}/clients?clientId=contextgraph-page")
        keycloak.admin("PUT", f"/{REALM}/clients/{client['id']}", {**client, "webOrigins": [svc.base]})
        # a locally minted token is not trusted once a provider is configured
        assert svc.post("{ me { user } }", svc.token("admin", ()))[0] == 401
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sent: list[dict[str, str]] = []  # what the browser asked Keycloak for
        page.on("request", lambda r: sent.append({"url": r.url, "body": r.post_data or ""}) if realm in r.url else None)
        page.goto(svc.base + "/")
        page.locator("#oidc").wait_for(state="visible")  # the page has read its settings
        assert not page.get_by_test_id("token-input").is_visible()  # production: no token box
        page.locator("#oidc").click()
        # Keycloak's own login form
        page.wait_for_url(f"{realm}/protocol/openid-connect/auth*", timeout=60_000)
        page.locator("#username").fill("chair.east")
        page.locator("#password").fill("not-the-password")
        page.locator("#kc-login").click()
        page.get_by_text("Invalid username or password.").wait_for(timeout=30_000)  # and no way back to the page
        assert page.url.startswith(realm)
        page.locator("#password").fill("chair-test-password")
        page.screenshot(path=str(ARTIFACTS / "page-keycloak-login.png"))
        page.locator("#kc-login").click()
        page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
        assert "chair.east (chair)" in page.inner_text("header")
        assert page.url.startswith(svc.base) and "code=" not in page.url  # the code is not left in the address bar
        stored = page.evaluate("() => Object.keys(sessionStorage)")
        assert sorted(stored) == ["contextgraph.refresh", "contextgraph.token"]
        assert page.evaluate("() => Object.keys(localStorage)") == []
        # the code was asked for with an S256 challenge and redeemed with its verifier
        ask = next(r["url"] for r in sent if "/protocol/openid-connect/auth?" in r["url"])
        assert "code_challenge_method=S256" in ask and "code_challenge=" in ask
        redeem = next(r["body"] for r in sent if r["url"].endswith("/protocol/openid-connect/token"))
        assert "grant_type=authorization_code" in redeem and "code_verifier=" in redeem
        # the token is Keycloak's, and the service read the chair's locality from it
        token = page.evaluate("() => sessionStorage.getItem('contextgraph.token')")
        assert jwt.get_unverified_header(token)["alg"] == "RS256"
        assert jwt.decode(token, options={"verify_signature": False})["iss"] == realm
        select = page.get_by_test_id("locality-select")
        assert select.locator("option").evaluate_all("os => os.map(o => o.value)") == [area["locality"]]
        page.screenshot(path=str(ARTIFACTS / "page-keycloak.png"), full_page=True)
        # an expired sign-in is renewed through Keycloak (refresh token), not asked for again
        page.evaluate("() => sessionStorage.setItem('contextgraph.token', 'expired.token.here')")
        sent.clear()
        page.get_by_test_id("show").click()
        page.wait_for_function("() => sessionStorage.getItem('contextgraph.token') !== 'expired.token.here'")
        page.wait_for_function("() => !document.querySelector('#status').textContent.startsWith('Loading')")
        assert "chair.east (chair)" in page.inner_text("header") and page.get_by_test_id("at-risk-item").count()
        renewed = page.evaluate("() => sessionStorage.getItem('contextgraph.token')")
        assert jwt.decode(renewed, options={"verify_signature": False})["iss"] == realm
        assert any("grant_type=refresh_token" in r["body"] for r in sent)
        # signing out forgets both
        page.locator("#sign-out").click()
        page.wait_for_function("() => document.querySelector('#status').textContent === 'Signed out.'")
        assert page.evaluate("() => Object.keys(sessionStorage)") == []
        assert not errors, errors
        context.close()


def test_nothing_drawn_in_one_naming_or_for_one_user_is_shown_printed_or_pictured_in_another(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """Ticking "Initials only" hides what was drawn with names at once, and neither the page's Print
    nor its pictures make a copy until the page is drawn again by initials. Signing out leaves
    nothing of the user for the next: no name on the page, in its storage, or in a print from the
    browser's menu."""
    mine = area["locality"]
    here = [e for e in area["data"].entities if e.get("locality") == mine]
    people = {e["name"] for e in here if e["kind"] in ("child", "person_of_concern")}
    names = people - {e["name"] for e in here if e["kind"] not in ("child", "person_of_concern")}
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(page_service.base + "/")
    page.get_by_test_id("token-input").fill(page_service.token("analyst", (mine,), user="ana"))
    page.get_by_test_id("sign-in").click()
    items = page.get_by_test_id("at-risk-item")
    items.first.wait_for(timeout=60_000)
    assert items.first.locator("strong").inner_text() in names
    page.fill("#export-recipient", "the MACE meeting")
    # the box ticked, and at once (before any answer) Print and a picture asked for
    hidden, printed_said, pictured_said = page.evaluate(
        """() => { document.querySelector('[data-testid=initials-only]').click();
                   const hidden = document.querySelector('#main').hidden;
                   const said = [];
                   for (const button of ['#print', '#export']) {
                     document.querySelector('#status').textContent = '';
                     document.querySelector(button).click();
                     said.push(document.querySelector('#status').textContent);
                   }
                   return [hidden, ...said]; }"""
    )
    assert hidden
    for said in (printed_said, pictured_said):
        assert said.startswith("Not made: the page is not drawn as chosen yet"), said
    page.wait_for_function("() => !document.querySelector('#main').hidden", timeout=60_000)
    assert "By initials, to share: no home, school or family links." in page.inner_text("#status")
    assert not [n for n in names if n in page.inner_text("body")]
    page.get_by_test_id("initials-only").uncheck()
    page.wait_for_function(
        "(ns) => ns.includes(document.querySelector('[data-testid=at-risk-item] strong')?.textContent)",
        arg=sorted(names),
        timeout=60_000,
    )
    page.locator("#sign-out").click()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'Signed out.'")
    assert page.evaluate("() => Object.keys(sessionStorage)") == []
    page.emulate_media(media="print")
    pdf = ARTIFACTS / "signed-out-print.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(pdf), landscape=True)
    printed = poppler("pdftotext", str(pdf), "-")
    shown = page.evaluate("() => document.body.textContent")
    for where, text in (("the page", shown), ("the print", printed)):
        assert not [n for n in names if n in text], where
    assert "Nothing printed" in printed
    context.close()


def test_a_mace_members_page_shows_no_childs_name(page_service: Service, browser: Any, area: dict[str, Any]) -> None:
    mine = area["locality"]
    here = [e for e in area["data"].entities if e.get("locality") == mine]
    # names only children have (generated names repeat across kinds)
    names = {e["name"] for e in here if e["kind"] == "child"} - {e["name"] for e in here if e["kind"] != "child"}
    answers: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.on("response", lambda r: answers.append(r.text()) if r.url.endswith("/graphql") else None)
    page.goto(page_service.base + "/")
    page.get_by_test_id("token-input").fill(page_service.token("mace", (mine,), user="mace-east"))
    page.get_by_test_id("sign-in").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=map-view] .leaflet-overlay-pane canvas') !== null", timeout=60_000
    )
    assert page.get_by_test_id("initials-only").is_checked() and page.get_by_test_id("initials-only").is_disabled()
    assert page.get_by_test_id("at-risk-item").count() == 0
    assert "not part of the MACE view" in page.inner_text("#at-risk")
    linked: dict[str, int] = {}
    for r in area["data"].relationships:
        linked[r["target"]] = linked.get(r["target"], 0) + 1
    place = max((e for e in here if e["kind"] == "location"), key=lambda e: linked.get(e["id"], 0))["name"]
    page.get_by_test_id("find").fill(place)
    page.get_by_test_id("find").press("Enter")
    # the search forgives and lists every near match: the place is among them
    hits = page.get_by_test_id("find-hit")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=find-hit]') || document.querySelector('#evidence table')"
    )
    if hits.count():
        hits.filter(has=page.locator("strong", has_text=place)).first.click()
    page.get_by_test_id("evidence").locator("table tr").nth(1).wait_for()
    assert place in page.get_by_test_id("evidence").inner_text()
    seen = "\n".join(answers) + page.inner_text("body")
    assert answers and not [n for n in names if n in seen]
    context.close()


@contextmanager
def area_with(
    area: dict[str, Any],
    browser: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    entities: list[Any],
    links: list[Any],
) -> Iterator[tuple[Any, Any, list[str]]]:
    """The sample area with ``entities`` and ``links`` added, served, and an analyst of its locality
    signed in: (the browser context, its page, the page's errors)."""
    url = f"sqlite:///{tmp_path / 'area.db'}"
    with open_store(url) as s:
        data = area["data"]
        s.upsert(
            [entity_from_json(e) for e in data.entities],
            [relationship_from_json(r) for r in data.relationships],
            tracking=[Tracked.from_json(t) for t in data.tracking],
        )
        s.upsert(entities, links)
    key = tmp_path / "area.key.pem"
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key))
    with running(url, LocalKeys(key)) as svc:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(svc.base + "/")
        page.get_by_test_id("token-input").fill(svc.token("analyst", (area["locality"],), user="ana"))
        page.get_by_test_id("sign-in").click()
        yield page, errors
        context.close()


def test_the_places_not_located_are_listed_for_the_locality_only(
    area: dict[str, Any], browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Places without coordinates are not on the map: the page lists them beside it, those of the
    chosen locality only."""
    from contextgraph.model import Entity

    mine = area["locality"]
    places = [
        Entity("l-unplaced-1", "location", "Back of the Co-op", locality=mine, handling=["P"]),
        Entity("s-unplaced-2", "school", "Linnet Centre", locality=mine, handling=["P"]),
        Entity("l-unplaced-3", "location", "Westgate steps", locality="West", handling=["P"]),
    ]
    with area_with(area, browser, tmp_path, monkeypatch, places, []) as (page, errors):
        items = page.get_by_test_id("unlocated-item")
        items.first.wait_for(timeout=60_000)
        assert items.evaluate_all("xs => xs.map(x => x.dataset.id)") == ["l-unplaced-1", "s-unplaced-2"]
        text = page.get_by_test_id("unlocated-list").inner_text()
        assert "Back of the Co-op" in text and "Linnet Centre school" in text
        assert "Westgate steps" not in page.inner_text("body")
        # a filter change does not ask for them again (no filter changes them), and keeps them shown
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.post_data or "") if r.url.endswith("/graphql") else None)
        stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
        page.locator("details.types summary").click()
        page.locator("#types input").first.uncheck()
        page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000)
        assert any("localityMap" in q for q in asked) and not any("unlocatedPlaces" in q for q in asked)
        assert items.evaluate_all("xs => xs.map(x => x.dataset.id)") == ["l-unplaced-1", "s-unplaced-2"]
        assert not errors, errors


def test_a_place_named_like_markup_is_shown_as_text_on_the_map(
    area: dict[str, Any], browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A place's name comes from the notes: on the map, in its tooltip, as a label among the top
    places and after a filter changes its words, it is text, isolated (``<bdi>``), and nothing in it
    runs."""
    from contextgraph.model import Entity

    mine = area["locality"]
    data = area["data"]
    at = next(e for e in data.entities if e.get("locality") == mine and e.get("lat") is not None)
    name = '<img src=x onerror="window.__xss=1"><b>Canal steps</b>'
    # children known to be exploited and persons of concern: the place is a hotspot among the first
    known = [
        e["id"]
        for e in data.entities
        if e["kind"] == "child" and e.get("locality") == mine and (e.get("properties") or {}).get("exploitation_types")
    ]
    pocs = [e["id"] for e in data.entities if e["kind"] == "person_of_concern" and e.get("locality") == mine]
    place = Entity("l-markup", "location", name, locality=mine, lat=at["lat"], lon=at["lon"], handling=["P"])
    seen = [
        relationship_from_json(
            {"type": "SEEN_AT", "source": k, "target": "l-markup", "date": "2025-06-01"}
            | {"source_ref": "mace-east-2025-06-02", "grading": "1A P"}
        )
        for k in known[:12] + pocs[:6]
    ]
    with area_with(area, browser, tmp_path, monkeypatch, [place], seen) as (page, errors):
        page.wait_for_function("() => document.querySelector('#main').dataset.drawn", timeout=60_000)
        shown = """() => { let out = null; document.querySelector('#map').leaflet.eachLayer((l) => {
            const t = l.getTooltip && l.getTooltip();
            const c = t && t.getContent(), words = typeof c === 'string' ? c : c && c.textContent;
            if (words && words.includes('Canal steps')) {
              l.openTooltip(); const e = t.getElement();
              out = [e.textContent, e.querySelectorAll('img, b').length, Boolean(t.options.permanent),
                     e.querySelector('bdi') && e.querySelector('bdi').textContent]; } });
            return out; }"""
        for act in (None, "uncheck"):
            if act:  # a filter change gives the place new words (its links stay in view)
                stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
                page.locator("details.types summary").click()
                page.locator("#types input[value=ASSOCIATES_WITH]").uncheck()
                page.wait_for_function(
                    "(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=60_000
                )
            text, markup, labelled, isolated = page.evaluate(shown)
            assert name in text and markup == 0 and labelled
            assert isolated == name  # in a <bdi>: a name written right to left keeps the words beside it
        assert page.evaluate("() => window.__xss") is None and not errors, errors


def test_a_chair_reviews_a_note_before_it_is_recorded(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paste a note, preview it, see every entity highlighted in the note's own text; remove one,
    retype one, file one under a record found by search, add a link by selecting its words, and
    commit: the store then holds exactly that, under the note's source. A note shaped like markup
    stays text. A role that may not record notes (a MACE member) never sees the panel."""
    from contextgraph.interchange.synth import SAMPLE_AREA
    from contextgraph.model import REL_TYPES, canonical_pair

    from .data import ENTITIES, RELATIONSHIPS
    from .test_review import NOTE, PREVIEW, by_name, facts

    note = NOTE.replace(
        "- Jordan Pike is open",
        '- <img src=x onerror="window.__xss=1"><script>window.__xss=2</script> Jordan Pike is open',
    )
    url = f"sqlite:///{tmp_path / 'review.db'}"
    with open_store(url) as s:
        s.set_localities(SAMPLE_AREA)
        s.upsert(ENTITIES, RELATIONSHIPS)
    key = tmp_path / "review.key.pem"
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key))
    ARTIFACTS.mkdir(exist_ok=True)
    with running(url, LocalKeys(key)) as svc:
        # a MACE member may not record notes: no panel
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = context.new_page()
        page.goto(svc.base + "/")
        page.get_by_test_id("token-input").fill(svc.token("mace", ("East",), user="mace-east"))
        page.get_by_test_id("sign-in").click()
        page.locator("#who").wait_for(state="visible")
        assert not page.get_by_test_id("review-panel").is_visible()
        context.close()

        chair = svc.token("chair", ("East",), user="chair-east")
        shown = svc.data(PREVIEW, chair, text=note, name="mace-east.md")["notePreview"]  # what the page will show
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
        page.goto(svc.base + "/")
        page.get_by_test_id("token-input").fill(chair)
        page.get_by_test_id("sign-in").click()
        panel = page.get_by_test_id("review-panel")
        panel.wait_for(state="visible")
        page.get_by_test_id("review-text").fill(note)
        page.get_by_test_id("review-name").fill("mace-east.md")
        # by initials a note is not previewed: its own words name people and their homes
        page.get_by_test_id("initials-only").check()
        page.get_by_test_id("review-preview").click()
        page.locator("#review-result.error").wait_for()
        assert "untick Initials only" in page.inner_text("#review-result")
        assert page.get_by_test_id("mention").count() == 0
        page.get_by_test_id("initials-only").uncheck()
        page.get_by_test_id("review-preview").click()
        marks = page.get_by_test_id("mention")
        marks.first.wait_for()
        # every mention highlighted, with its kind; the note's text as text, nothing of it run
        pre = page.get_by_test_id("review-note")
        assert pre.evaluate("p => p.textContent") == note
        assert pre.locator("img, script").count() == 0 and page.evaluate("() => window.__xss") is None
        expected = sorted((a, b, e["id"]) for e in shown["entities"] for a, b in e["mentions"])
        got = marks.evaluate_all("ms => ms.map(m => [m.textContent, m.dataset.entity, m.title])")
        assert len(got) == len(expected)
        for (a, b, eid), (text, mark_entity, title) in zip(expected, got, strict=True):
            e = next(x for x in shown["entities"] if x["id"] == eid)
            assert text == note[a:b] and mark_entity == eid
            assert (
                title.startswith(e["name"])
                and e["kind"].lower().replace("_", " ").replace("location", "place") in title
            )
        assert page.get_by_test_id("review-entity").count() == len(shown["entities"])
        assert page.get_by_test_id("review-link").count() == len(shown["links"])
        panel.screenshot(path=str(ARTIFACTS / "review-preview.png"))

        def entity_row(eid: str) -> Any:
            return page.locator(f"[data-testid=review-entity][data-entity={eid}]")

        # remove a place: its highlights are struck through, its links go with it
        eastgate = by_name(shown, "Eastgate Retail Park")
        entity_row(eastgate["id"]).get_by_test_id("entity-remove").click()
        assert all(
            "gone" in c
            for c in page.locator(f"mark[data-entity={eastgate['id']}]").evaluate_all("ms => ms.map(m => m.className)")
        )
        # retype a person to the other person kind, where every link of theirs still fits it
        kinds = {e["id"]: e["kind"].lower() for e in shown["entities"]}

        def fits(eid: str, kind: str) -> bool:
            k = {**kinds, eid: kind}
            return all(
                REL_TYPES[r["type"]].allows(k[r["source"]], "service" if r["type"] == "OPEN_TO" else k[r["target"]])
                for r in shown["links"]
                if eid in (r["source"], r["target"]) and eastgate["id"] not in (r["source"], r["target"])
            )

        people = sorted(
            (e for e in shown["entities"] if kinds[e["id"]] in ("child", "person_of_concern")),
            key=lambda e: e["name"] != "Daniel Okafor",
        )
        other = {"child": "person_of_concern", "person_of_concern": "child"}
        who = next(e for e in people if fits(e["id"], other[kinds[e["id"]]]))
        kinds[who["id"]] = other[kinds[who["id"]]]
        entity_row(who["id"]).get_by_test_id("entity-kind").select_option(kinds[who["id"]])
        assert page.locator(f"mark[data-entity={who['id']}]").first.get_attribute("data-kind") == kinds[who["id"]]
        # file Daniel Okafor under the person of concern on record, found by the search
        daniel, kyle = by_name(shown, "Daniel Okafor"), by_name(shown, "Kyle Benson")
        merged = kinds[daniel["id"]] == "person_of_concern"
        if merged:
            find = entity_row(daniel["id"]).get_by_test_id("entity-find")
            find.fill("Daniel Okafor")
            find.press("Enter")
            page.locator(f"[data-entity={daniel['id']}] option[value='p-1']").wait_for(state="attached")
            entity_row(daniel["id"]).get_by_test_id("entity-merge").select_option("p-1")
        # add the link the extraction missed: select the words that say it
        start = note.index("running Kyle")
        page.evaluate(
            """([a, b]) => {
            const pre = document.querySelector('[data-testid=review-note]');
            const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            let at = 0, node;
            while ((node = walker.nextNode())) {
              const n = node.textContent.length;
              if (at <= a && a < at + n) range.setStart(node, a - at);
              if (at < b && b <= at + n) range.setEnd(node, b - at);
              at += n;
            }
            const sel = document.getSelection(); sel.removeAllRanges(); sel.addRange(range);
            pre.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
            }""",
            [start, start + len("running Kyle")],
        )
        assert "running Kyle" in page.get_by_test_id("review-selection").inner_text()
        page.get_by_test_id("add-source").select_option(f"p:{daniel['id']}")
        page.get_by_test_id("add-type").select_option("EXPLOITS")
        page.get_by_test_id("add-target").select_option(f"p:{kyle['id']}")
        page.get_by_test_id("add-link").click()
        assert page.get_by_test_id("review-added").count() == 1
        panel.screenshot(path=str(ARTIFACTS / "review-edited.png"))
        page.get_by_test_id("review-commit").click()
        page.get_by_test_id("written-entities").wait_for(timeout=30_000)
        result = page.get_by_test_id("review-result").inner_text()
        assert "Recorded as" in result
        panel.screenshot(path=str(ARTIFACTS / "review-committed.png"))
        assert not errors, errors
        context.close()
    # the store holds what the page showed, as edited
    with open_store(url) as s:
        (source,) = [r for r in s.records("sources") if r["sha256"]]
        ref = source["id"]
        assert ref == shown["sourceRef"] and source["user"] == "chair-east" and ref in result
        assert source["review"]["removed"] == [eastgate["id"]]
        assert source["review"]["retyped"] == {who["id"]: kinds[who["id"]]}
        written = {e.name: e for e in s.iter_entities() if ref in e.sources}
        kept = [e for e in shown["entities"] if e["id"] != eastgate["id"]]
        assert "Eastgate Retail Park" not in written
        for e in kept:
            name = e["existing"]["name"] if e["existing"] else e["name"]
            assert written[name].kind == kinds[e["id"]], name
        ids = {e["id"]: written[e["existing"]["name"] if e["existing"] else e["name"]].id for e in kept}
        if merged:
            assert ids[daniel["id"]] == "p-1"
        expected_facts = {
            (
                r["type"],
                *canonical_pair(
                    r["type"], ids[r["source"]], r["target"] if r["target"].startswith("svc-") else ids[r["target"]]
                ),
            )
            for r in shown["links"]
            if eastgate["id"] not in (r["source"], r["target"])
        }
        expected_facts.add(("EXPLOITS", *canonical_pair("EXPLOITS", ids[daniel["id"]], ids[kyle["id"]])))
        assert facts(s, ref) == expected_facts


def test_a_chair_opens_the_partnership_report_and_mace_cannot(
    page_service: Service, browser: Any, area: dict[str, Any]
) -> None:
    """The Report button makes the partnership report of the dates chosen for the locality and
    shows it in a frame to read or print, with the chair's marking (handling code P); it counts
    the locality's referrals as the generator made them. A MACE member has no such button."""
    mine = area["locality"]
    context, page = signed_in(browser, page_service, page_service.token("chair", (mine,), user="chair-east"))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=60_000)
    page.get_by_test_id("since").fill("2024-01-01")
    page.get_by_test_id("until").fill("2025-12-31")
    page.get_by_test_id("report-open").click()
    dialog = page.get_by_test_id("report-dialog")
    dialog.wait_for(state="visible", timeout=60_000)
    frame = page.frame_locator("[data-testid=report-frame]")
    frame.locator("h1").wait_for(timeout=60_000)
    assert frame.locator("h1").inner_text() == f"Partnership report: {mine}"
    assert "handling code P" in frame.locator("thead").first.inner_text()
    here = {e["id"] for e in area["data"].entities if e.get("locality") == mine}
    referred = [
        t for t in area["data"].tracking
        if t["record"] == "referral" and t["subject"] in here and "2024-01-01" <= t["date"] <= "2025-12-31"
        and " C" not in (t.get("grading") or "")
    ]  # fmt: skip
    text = frame.locator("#referrals").inner_text()
    assert f"{len(referred)} referrals" in text
    assert frame.locator("svg").count() >= 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-report.png"))
    page.get_by_test_id("report-close").click()
    context.close()
    context, page = signed_in(browser, page_service, page_service.token("mace", (mine,), user="mace-east"))
    page.get_by_test_id("hotspot-row").first.wait_for(timeout=60_000)
    assert page.get_by_test_id("report-open").is_hidden()
    context.close()
