"""The mapping page on a locality of over 5,000 entities, in Chromium: people are never cut for
bare places, and the children linked to harm, the persons of concern, the links and the hotspots
are all drawn. (Its speed is measured by ``bench/page_bench.py`` on the same area.)"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from contextgraph.interchange import entity_from_json, relationship_from_json
from contextgraph.interchange.synth import generate
from contextgraph.service.auth import ENV_LOCAL_KEY, LocalKeys
from contextgraph.store import open_store

from .service import Service, running
from .test_page import ARTIFACTS, NETWORK_STATE, PAGE, browser, signed_in  # noqa: F401 (the browser fixture)

CHILDREN = 15_000
"""A sample area whose largest locality holds about 5,600 entities."""


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, str, Any]]:
    if not PAGE.exists():
        pytest.fail("the mapping page is not built: pip install -e . builds it (Node.js and npm needed)")
    tmp = tmp_path_factory.mktemp("large")
    data = generate(children=CHILDREN, seed=3)
    url = f"sqlite:///{tmp / 'large.db'}"
    with open_store(url) as s:
        s.upsert([entity_from_json(e) for e in data.entities], [relationship_from_json(r) for r in data.relationships])
    locality = Counter(e.get("locality") for e in data.entities if e.get("locality")).most_common(1)[0][0]
    key = tmp / "large.key.pem"
    mp = pytest.MonkeyPatch()
    mp.setenv(ENV_LOCAL_KEY, str(key))
    try:
        with running(url, LocalKeys(key)) as svc:
            yield svc, locality, data
    finally:
        mp.undo()


def test_a_locality_of_over_5000_entities_draws_its_people_links_and_hotspots(
    large: tuple[Service, str, Any],
    browser: Any,  # noqa: F811
) -> None:
    svc, locality, data = large
    here = [e for e in data.entities if e.get("locality") == locality]
    assert len(here) > 5_000
    answers: dict[str, Any] = {}

    def asks(name: str) -> Any:
        return lambda r: r.url.endswith("/graphql") and name in json.loads(r.request.post_data or "{}").get("query", "")

    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(svc.base + "/")
    page.get_by_test_id("token-input").fill(svc.token("analyst", (locality,), user="ana"))
    with (
        page.expect_response(asks("localityMap"), timeout=120_000) as the_map,
        page.expect_response(asks("unopenedAtRisk"), timeout=120_000) as the_list,
    ):
        page.get_by_test_id("sign-in").click()
    answers["localityMap"], answers["unopenedAtRisk"] = the_map.value.json(), the_list.value.json()
    page.wait_for_function("() => document.querySelector('#main').dataset.drawn", timeout=120_000)
    m = answers["localityMap"]["data"]["localityMap"]
    # the page asks for the graph as columns: one list for each field
    cols = m["graph"]["nodes"]
    nodes = [dict(zip(cols, row, strict=True)) for row in zip(*cols.values(), strict=True)]
    for n in nodes:
        if n["x"] is None:
            del n["x"], n["y"]
    kinds = Counter(n["kind"] for n in nodes)
    assert m["truncated"] and len(nodes) == 5_000
    # every child linked to harm and every person of concern is kept; places are what is cut
    at_risk = answers["unopenedAtRisk"]["data"]["unopenedAtRisk"]
    ids = {n["id"] for n in nodes}
    assert all(c["id"] in ids for c in at_risk["items"])
    pocs = {e["id"] for e in here if e["kind"] == "person_of_concern"}
    assert pocs <= ids
    assert kinds["child"] > 1_000 and m["graph"]["edges"]["type"] and len(m["hotspots"]) >= 20
    # the network starts from those linked to harm, laid out, with their links
    core = [n for n in nodes if "x" in n]
    assert 100 < len(core) <= 600 and any(n["score"] for n in core)
    shown = page.get_by_test_id("network-shown").inner_text()
    assert f"Showing {len(core)} of 5000" in shown, shown
    assert page.get_by_test_id("hotspot-row").count() >= 20
    assert "5,000 entities" in page.inner_text("#status")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-large.png"))
    # a focused child: their network stays, the rest fades, and it is drawn at once
    page.get_by_test_id("at-risk-item").nth(3).click()
    child = page.get_by_test_id("at-risk-item").nth(3).get_attribute("data-id")
    page.wait_for_function("(c) => document.querySelector('#main').dataset.focused === c", arg=child)
    page.screenshot(path=str(ARTIFACTS / "page-large-focus.png"))
    context.close()


WINDOW_LINKS = """query($l: String!, $since: String) {
  localityMap(locality: $l, since: $since, undated: true, first: 5000) { graph(columns: true) } }"""


def view_links(service: Service, token: str, locality: str, since: str | None) -> set[str]:
    """The ids the page gives the links of a locality's view from ``since``."""
    g = service.data(WINDOW_LINKS, token, l=locality, since=since)["localityMap"]["graph"]
    ids, e = g["nodes"]["id"], g["edges"]
    return {f"{t}|{ids[a]}|{ids[b]}" for t, a, b in zip(e["type"], e["source"], e["target"], strict=True)}


def test_a_node_clicked_while_a_new_window_is_on_its_way_is_expanded_from_it(
    large: tuple[Service, str, Any],
    browser: Any,  # noqa: F811
) -> None:
    """A node clicked to expand while the answer for a new date window is on its way brings in no
    link of the view before (one the window leaves out): it is expanded once the window's view is
    drawn, from its links."""
    svc, locality, data = large
    token = svc.token("analyst", (locality,), user="ana")
    context, page = signed_in(browser, svc, token)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.get_by_test_id("at-risk-item").first.wait_for(timeout=120_000)
    dates = sorted(r["date"] for r in data.relationships if r.get("date"))
    since = dates[len(dates) * 3 // 4]
    window = view_links(svc, token, locality, since)
    drawn = page.evaluate(NETWORK_STATE)
    undrawn = view_links(svc, token, locality, None) - {r[0] for r in drawn["links"]}
    # a drawn node with links not drawn yet, some of which the window leaves out
    outside = Counter(x for link in undrawn - window for x in link.split("|")[1:] if x in drawn["at"])
    node = outside.most_common(1)[0][0]
    held: list[Any] = []
    page.route("**/graphql", lambda route: held.append(route))
    stamp = page.evaluate("() => document.querySelector('#main').dataset.drawn")
    page.get_by_test_id("since").fill(since)
    page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('Loading')")
    before = {r[0] for r in page.evaluate(NETWORK_STATE)["links"]}
    page.evaluate("(id) => { document.querySelector('#network').cy.getElementById(id).emit('tap'); }", node)
    meanwhile = {r[0] for r in page.evaluate(NETWORK_STATE)["links"]}
    assert meanwhile == before, sorted(meanwhile - before)[:5]
    # a child of the list chosen meanwhile, one not drawn yet: focused once the window's view is drawn
    ids = page.get_by_test_id("at-risk-item").evaluate_all("(xs) => xs.map((x) => x.dataset.id)")
    child = next(x for x in ids if any(x in link.split("|")[1:] for link in window))
    page.evaluate("(id) => document.querySelector('#network').cy.getElementById(id).remove()", child)
    page.locator(f"[data-testid=at-risk-item][data-id='{child}']").click()
    page.unroute("**/graphql")
    for route in held:
        route.fallback()
    page.wait_for_function("(b) => document.querySelector('#main').dataset.drawn !== b", arg=stamp, timeout=120_000)
    after = {r[0] for r in page.evaluate(NETWORK_STATE)["links"]}
    assert after <= window
    mine = {link for link in window if node in link.split("|")[1:]}
    assert mine and mine <= after  # expanded once drawn, from the window's links
    page.wait_for_function("(c) => document.querySelector('#main').dataset.focused === c", arg=child, timeout=10_000)
    assert not errors, errors
    context.close()
