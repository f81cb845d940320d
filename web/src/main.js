// The mapping page: a locality's peer network and places side by side, the children linked
// to harm and open to no service, and the evidence behind anything clicked. Everything shown
// comes from the GraphQL API with the signed-in user's token, so the API's need-to-know
// rules decide what is here. The token is kept in sessionStorage only.
import cytoscape from "cytoscape";
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import "./style.css";
import { setupReview, showReview } from "./review.js";

const TOKEN_KEY = "contextgraph.token";
const REFRESH_KEY = "contextgraph.refresh"; // the identity provider's refresh token, for this tab only
const $ = (id) => document.getElementById(id);
// how long a relationship type ticked or unticked waits for the service's answer before the
// drawing shows the change by itself
const SHOW_CHANGE_AFTER_MS = 120;
const state = { config: null, me: null, map: null, cy: null, data: null, atRisk: [], hotspots: [], groups: [], naming: 0, drawnLoad: 0 };

// --- small helpers -------------------------------------------------------------------------

// User Timing marks for each step of drawing a load (read by bench/page_bench.py); cleared at each load
function step(name) {
  performance.mark(`contextgraph:${name}`);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "title") e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return e;
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

const PEOPLE = new Set(["child", "person_of_concern"]);

// "Initials only" is asked of the server (X-Names), which then names every person by initials in
// everything it answers — lists, reasons, evidence, the drawings' labels — so that nothing drawn,
// printed or exported from a pseudonymised page holds a full name. A MACE member always sees
// children by initials: the server decides that by role, and the box is locked for them.
function namesWanted() {
  return state.me && state.me.role !== "mace" && $("initials").checked ? "initials" : "full";
}

// one formatter for every date shown (making one for each date costs the page a redraw's time)
const LONG_DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

function longDate(iso) {
  if (!iso) return "";
  return LONG_DATE.format(new Date(iso + "T00:00:00Z"));
}

// --- the API -------------------------------------------------------------------------------

// ``names``: the naming asked for (X-Names), by default the box's
async function gql(query, variables = {}, again = true, names = namesWanted()) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const r = await fetch("graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${token}`,
      "X-Purpose": "locality mapping page",
      "X-Names": names,
    },
    body: JSON.stringify({ query, variables }),
  });
  if (r.status === 401) {
    // an expired sign-in through the identity provider is renewed there, once, without a prompt
    if (again && (await refreshSignIn())) return gql(query, variables, false, names);
    signOut("expired");
    throw new Error("not signed in");
  }
  const body = await r.json();
  if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
  return body.data;
}

// --- sign-in -------------------------------------------------------------------------------

// why the page was signed out, said once it is loaded afresh (a word in its address: no text of the user's)
const SIGNED_OUT = { out: "Signed out.", expired: "Your sign-in was not accepted or has expired: sign in again." };

// Nothing of a user signed out stays in the tab for the next: their token, their pins, and
// everything the page holds or drew of what they were shown (lists, drawings, timeline, pack),
// which goes with the page, loaded afresh.
function signOut(why = "out") {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith("contextgraph.")) sessionStorage.removeItem(key);
  state.me = null; // nothing is printed meanwhile
  location.replace(`${location.pathname}?signed-out=${why}`);
}

async function signedIn() {
  const data = await gql("{ me { user role localities clearance mayWrite mayRecordNotes mayExport } localities }");
  state.me = data.me;
  showReview(data.me);
  $("signin").hidden = true;
  $("who").hidden = false;
  $("who-text").textContent = `${data.me.user} (${data.me.role})`;
  const select = $("locality");
  select.replaceChildren(...data.localities.map((l) => el("option", { value: l }, l)));
  $("controls").hidden = false;
  $("marking").textContent =
    data.me.clearance === "C"
      ? "OFFICIAL-SENSITIVE — may hold intelligence with handling code C: lawful sharing permitted with conditions"
      : "OFFICIAL-SENSITIVE — handling code P: lawful sharing permitted";
  const mace = data.me.role === "mace";
  $("report-open").hidden = mace; // the report's figures are about children's casework
  $("export-bar").hidden = !data.me.mayExport;
  // a MACE member's network holds persons of concern, places and groups: no child is drawn
  $("network-title").textContent = mace ? "Persons of concern, places and groups" : "Peer network";
  $("initials").checked = mace;
  $("initials").disabled = mace;
  $("initials").closest("label").title = mace ? "A MACE member always sees children by initials." : "Show every person by initials, for sharing.";
  status(data.localities.length ? "Choose a locality." : "Your sign-in gives no locality.");
  if (data.localities.length) {
    await show();
    await loadViews().catch((e) => status(e.message, true));
  }
}

async function oidcStart() {
  const o = state.config.oidc;
  const disco = await (await fetch(`${o.authority.replace(/\/$/, "")}/.well-known/openid-configuration`)).json();
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const st = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("contextgraph.oidc", JSON.stringify({ verifier, state: st, token: disco.token_endpoint }));
  const url = new URL(disco.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: o.client_id,
    redirect_uri: location.origin + location.pathname,
    scope: o.scope,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: st,
  });
  location.assign(url);
}

async function oidcFinish() {
  const q = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem("contextgraph.oidc") || "null");
  if (!q.get("code") || !saved || q.get("state") !== saved.state) return false;
  sessionStorage.removeItem("contextgraph.oidc");
  history.replaceState(null, "", location.pathname);
  const r = await fetch(saved.token, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: q.get("code"),
      redirect_uri: location.origin + location.pathname,
      client_id: state.config.oidc.client_id,
      code_verifier: saved.verifier,
    }),
  });
  keepTokens(await r.json(), saved.token);
  return true;
}

async function refreshSignIn() {
  const saved = JSON.parse(sessionStorage.getItem(REFRESH_KEY) || "null");
  if (!saved || !state.config || !state.config.oidc) return false;
  try {
    const r = await fetch(saved.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: saved.token, client_id: state.config.oidc.client_id }),
    });
    if (!r.ok) throw new Error(`the sign-in provider refused (${r.status})`);
    keepTokens(await r.json(), saved.endpoint);
    return true;
  } catch {
    sessionStorage.removeItem(REFRESH_KEY);
    return false;
  }
}

function keepTokens(tok, endpoint) {
  const token = state.config.oidc.use_id_token ? tok.id_token : tok.access_token;
  if (!token) throw new Error("the sign-in provider gave no token");
  sessionStorage.setItem(TOKEN_KEY, token);
  if (tok.refresh_token) sessionStorage.setItem(REFRESH_KEY, JSON.stringify({ token: tok.refresh_token, endpoint }));
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// --- loading a locality ----------------------------------------------------------------------

const MAP_QUERY = `query($l: String!, $since: String, $until: String, $types: [RelationshipType!], $undated: Boolean!) {
  localityMap(locality: $l, since: $since, until: $until, types: $types, undated: $undated, first: 5000) {
    truncated asOf graph(columns: true) hotspots { id name score rank lat lon lastSeen text children childrenAtRisk personsOfConcern }
    tracking { month record count }
  }
}`;
const AT_RISK_QUERY = `query($l: String!, $since: String, $until: String, $types: [RelationshipType!], $undated: Boolean!, $after: String) {
  unopenedAtRisk(locality: $l, since: $since, until: $until, types: $types, undated: $undated, first: 50, after: $after) {
    total next items { id name score rank summary further furtherPieces
    reasons { kind text } } }
}`;
// asked for only while the network is coloured by peer group: a view that does not show them does
// not read (and the access log does not record) fifty groups' members
const GROUPS_QUERY = `query($l: String!, $since: String, $until: String, $types: [RelationshipType!], $undated: Boolean!) {
  peerGroups(locality: $l, since: $since, until: $until, types: $types, undated: $undated, first: 50) { items { id members } }
}`;

const REPORT_QUERY = `query($from: String!, $to: String!, $l: String) {
  report(from: $from, to: $to, locality: $l) { html marking }
}`;

const UNLOCATED_QUERY = `query($l: String!) {
  unlocatedPlaces(locality: $l, first: 50) { total items { id name kind } }
}`;

function chosenTypes() {
  const boxes = [...document.querySelectorAll("#types input")];
  const on = boxes.filter((b) => b.checked).map((b) => b.value);
  return on.length === boxes.length ? null : on;
}

// One filter state for everything on the page — both views, the list, the hotspots and the
// counts: the locality, the date window (with or without undated facts) and the relationship
// types. It is checked before anything is asked, and applied as soon as it changes.
function filters() {
  const since = $("since").value || null;
  const until = $("until").value || null;
  const types = chosenTypes();
  if (since && until && since > until) return { error: "“From” is after “To”: nothing is shown until the window is put right." };
  if (types && !types.length) return { error: "No relationship type is chosen: choose at least one." };
  return { l: $("locality").value, since, until, types, undated: $("undated").checked };
}

// The map's graph comes as one list for each field (smaller and quicker to read than an object
// for each node and link): made into nodes and links here, a link's ends by id.
function graphRows(g) {
  const N = g.nodes;
  const E = g.edges;
  const nodes = N.id.map((id, k) => {
    const n = { id, kind: N.kind[k], name: N.name[k], locality: N.locality[k], lat: N.lat[k], lon: N.lon[k], flagged: N.flagged[k], openTo: N.openTo[k], score: N.score[k] };
    if (N.x[k] !== null) [n.x, n.y] = [N.x[k], N.y[k]];
    return n;
  });
  const edges = E.type.map((type, k) => ({ type, source: N.id[E.source[k]], target: N.id[E.target[k]], firstSeen: E.firstSeen[k], lastSeen: E.lastSeen[k], count: E.count[k], grade: E.grade[k] }));
  return { nodes, edges };
}

// ``filterOnly``: only the dates or types changed, so the locality's places without coordinates
// (which no filter changes) are not asked for again.
async function show(opts = {}) {
  const locality = $("locality").value;
  if (!locality) return;
  const vars = filters();
  if (vars.error) {
    state.load = (state.load || 0) + 1; // an answer still on its way for the filters before is not drawn over the error
    return status(vars.error, true);
  }
  performance.clearMarks();
  step("asked");
  status(`Loading ${locality}…`);
  const naming = state.naming;
  const names = namesWanted(); // the naming the answers give ids in
  const load = (state.load = (state.load || 0) + 1); // only the latest load draws
  state.asking = load;
  try {
    // the three answers are asked for together: the service works on them side by side
    const mace = state.me.role === "mace";
    const held = state.unlocated;
    const keep = opts.filterOnly === true && held && held.locality === locality && held.naming === naming;
    const byGroup = !mace && $("by-group").checked;
    const [mapAnswer, lists, unlocatedAnswer, groups] = await Promise.all([
      gql(MAP_QUERY, vars),
      mace ? { unopenedAtRisk: { items: [], total: 0 } } : gql(AT_RISK_QUERY, vars),
      mace ? { unlocatedPlaces: { items: [], total: 0 } } : keep ? held.answer : gql(UNLOCATED_QUERY, { l: locality }),
      byGroup ? gql(GROUPS_QUERY, vars) : null,
    ]);
    step("answered");
    const m = mapAnswer.localityMap;
    const unlocated = unlocatedAnswer.unlocatedPlaces;
    if (naming !== state.naming || load !== state.load) return; // a newer load draws
    state.unlocated = { locality, naming, answer: unlocatedAnswer };
    state.dataNaming = names;
    m.graph = graphRows(m.graph);
    state.data = m.graph;
    state.hotspots = m.hotspots;
    state.atRisk = lists.unopenedAtRisk.items;
    state.next = lists.unopenedAtRisk.next;
    state.vars = vars;
    state.groups = groups ? { vars, items: groups.peerGroups.items } : null;
    $("main").hidden = false;
    drawList(lists.unopenedAtRisk.total);
    drawHotspots();
    drawUnlocated(unlocated);
    step("lists");
    drawNetwork();
    // the box ticked while this view was on its way: its groups are asked for now
    if (byGroup !== $("by-group").checked && $("by-group").checked) showGroups().catch((e) => status(e.message, true));
    step("network");
    drawMap(m.graph.nodes);
    step("map");
    if (!vars.since && !vars.until) state.range = { locality, edges: m.graph.edges, tracking: m.tracking };
    drawTimeline(locality, vars);
    drawPack(locality);
    step("timeline");
    const more = m.truncated ? " (the largest localities are cut to 5,000 entities — every person linked to harm and every person of concern first: narrow the dates or types to see the rest)" : "";
    const window = vars.since || vars.until ? `, ${vars.since ? longDate(vars.since) : "the start"} to ${vars.until ? longDate(vars.until) : "the latest"}${vars.undated ? " and undated facts" : ""}` : "";
    const scope = state.me.localities.length > 1 || !state.me.localities.length ? " (evidence from your other localities counts)" : "";
    const asOf = m.asOf ? ` Analysis as of ${longDate(m.asOf)}, the latest fact in view${scope}.` : "";
    const shared = names === "initials" ? " By initials, to share: no home, school or family links." : "";
    status(`${locality}${window}: ${m.graph.nodes.length} entities, ${m.graph.edges.length} links, ${m.hotspots.length} hotspots${more}.${asOf}${shared}`);
    state.drawnLoad = load;
    // for automation: when the load was drawn (and so the filter shown on the drawing)
    $("main").dataset.drawn = $("main").dataset.filtered = String(Math.round(performance.now()));
  } catch (e) {
    status(e.message, true);
  } finally {
    if (state.asking === load) {
      // the last view asked for is drawn (or failed): the nodes clicked meanwhile are expanded
      // now, and the one chosen meanwhile focused
      state.asking = null;
      const [later, then] = [state.expandAfter || [], state.focusAfter];
      state.expandAfter = [];
      state.focusAfter = null;
      for (const args of later) expand(...args);
      if (then) focusOn(then);
    }
  }
}

// --- the side list -----------------------------------------------------------------------------

function drawList(total) {
  const list = $("at-risk");
  if (state.me.role === "mace") {
    list.replaceChildren(el("li", { class: "hint" }, "Lists of children are not part of the MACE view."));
    return;
  }
  if (!state.atRisk.length) {
    list.replaceChildren(el("li", { class: "hint" }, "No child here is linked to harm and open to no service."));
    return;
  }
  list.replaceChildren(
    ...state.atRisk.map((c) => {
      const why = c.reasons.slice(0, 2).map((r) => r.text).join("; ");
      const li = el(
        "li",
        { "data-testid": "at-risk-item", "data-id": c.id },
        el("strong", {}, c.name),
        " ",
        el("span", { class: "score" }, c.score.toFixed(2)),
        el("span", { class: "why" }, why),
      );
      li.addEventListener("click", () => focus(c.id));
      return li;
    }),
  );
  if (total > state.atRisk.length && state.next) {
    const more = el("button", { type: "button", class: "small", "data-testid": "more-at-risk" }, `Show ${Math.min(50, total - state.atRisk.length)} more of ${total - state.atRisk.length}`);
    more.addEventListener("click", async () => {
      more.disabled = true;
      try {
        const page = (await gql(AT_RISK_QUERY, { ...state.vars, after: state.next })).unopenedAtRisk;
        state.atRisk = state.atRisk.concat(page.items);
        state.next = page.next;
        drawList(page.total);
      } catch (e) {
        status(e.message, true);
        more.disabled = false;
      }
    });
    list.append(el("li", { class: "more" }, more));
  }
}

// The hotspots as a table a meeting can go down: a row pans the map to the place, picks out the
// people linked to it in the network, and opens the evidence, grouped by person.
function drawHotspots() {
  const body = $("hotspots").querySelector("tbody");
  if (!state.hotspots.length) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 6, class: "hint" }, "No hotspot in this view.")));
    return;
  }
  body.replaceChildren(
    ...state.hotspots.map((h) => {
      const tr = el(
        "tr",
        { "data-testid": "hotspot-row", "data-id": h.id },
        el("td", {}, String(h.rank)),
        el("td", {}, h.name),
        el("td", {}, h.score.toFixed(2)),
        el("td", { class: "why" }, `${h.childrenAtRisk} of ${h.children} linked at risk`),
        el("td", {}, h.lastSeen ? longDate(h.lastSeen) : "undated"),
        el("td", {}, String(h.personsOfConcern)),
      );
      tr.title = h.text;
      tr.addEventListener("click", () => showHotspot(h));
      return tr;
    }),
  );
}

function showHotspot(h) {
  for (const tr of document.querySelectorAll("#hotspots tbody tr")) tr.classList.toggle("chosen", tr.dataset.id === h.id);
  if (state.map && h.lat != null && h.lon != null) state.map.setView([h.lat, h.lon], Math.max(state.map.getZoom(), 15));
  if (state.cy) {
    state.cy.elements().unselect();
    const place = state.cy.getElementById(h.id);
    if (place.nonempty()) place.closedNeighborhood().select();
  }
  evidenceFor(h.id);
}

// Places and schools of the locality that have no coordinates, so are not on the map: the
// gazetteer did not locate them and no one has pinned them yet (placePin).
function drawUnlocated(found) {
  const list = $("unlocated");
  if (state.me.role === "mace") {
    list.replaceChildren(el("li", { class: "hint" }, "Not part of the MACE view."));
    return;
  }
  if (!found.items.length) {
    list.replaceChildren(el("li", { class: "hint" }, "Every place here is on the map."));
    return;
  }
  list.replaceChildren(
    ...found.items.map((p) =>
      el(
        "li",
        { "data-testid": "unlocated-item", "data-id": p.id },
        p.name,
        " ",
        el("span", { class: "kind" }, p.kind === "SCHOOL" ? "school" : "place"),
      ),
    ),
  );
  if (found.total > found.items.length) list.append(el("li", { class: "hint" }, `and ${found.total - found.items.length} more`));
}

// --- the network view -----------------------------------------------------------------------------

const SHAPES = { child: "ellipse", person_of_concern: "diamond", location: "round-rectangle", school: "rectangle", group: "hexagon", service: "tag" };
const EDGE_COLOURS = {
  EXPLOITS: "#b71c1c",
  MISSING_WITH: "#e65100",
  FOUND_AT: "#e65100",
  ASSOCIATES_WITH: "#5d4037",
  SEEN_AT: "#1565c0",
  LIVES_AT: "#00695c",
  MEMBER_OF: "#6a1b9a",
  ATTENDS: "#9e9e9e",
  FAMILY_OF: "#827717",
  OPEN_TO: "#2e7d32",
};
const DASHED = new Set(["SEEN_AT", "FOUND_AT", "ATTENDS"]);

function colour(n) {
  if (n.kind === "person_of_concern") return "#6a1b9a";
  if (n.kind !== "child") return n.kind === "service" ? "#2e7d32" : "#1565c0";
  if (n.openTo.length) return "#2e7d32";
  if (n.score) return "#c62828"; // linked to harm and not open: what the list ranks, whether flagged or not
  if (n.flagged) return "#ef6c00";
  return "#9aa3ad";
}

// The network starts from where the service laid it out: the children linked to harm, the
// persons of concern and what joins them (x, y given for those). Clicking a node expands it:
// its other links are added around it. Focusing on someone fades all but their two-step network.
function nodeElement(n, position) {
  return { group: "nodes", data: { id: n.id, label: n.name, kind: n.kind, colour: colour(n), shape: SHAPES[n.kind] || "ellipse" }, position };
}

// An edge's fact is kept beside the drawing (``state.factOf``), not in its data: a filter change
// brings new facts for the same links, and data changed in Cytoscape restyles the element.
function edgeId(e) {
  return `${e.type}|${e.source}|${e.target}`;
}

function edgeElement(e) {
  return {
    group: "edges",
    data: { id: edgeId(e), source: e.source, target: e.target, type: e.type, colour: EDGE_COLOURS[e.type] || "#777", dashed: DASHED.has(e.type) ? "dashed" : "solid" },
  };
}

// An entity drawn even with no link in view: a flagged child, a person of concern.
function staysUnlinked(n) {
  return n.flagged || n.kind === "person_of_concern";
}

function drawNetwork() {
  const { nodes, edges } = state.data;
  state.byId = new Map(nodes.map((n) => [n.id, n]));
  state.factOf = new Map(edges.map((e) => [edgeId(e), e]));
  state.edgesOf = new Map();
  for (const e of edges) {
    for (const x of [e.source, e.target]) {
      if (!state.edgesOf.has(x)) state.edgesOf.set(x, []);
      state.edgesOf.get(x).push(e);
    }
  }
  // where the service laid it out, but where a person moved a node (pinned) it stays, for this
  // locality, until the tab is closed; an entity with no link in view is left out (a flagged child
  // and a person of concern are kept)
  const pinned = JSON.parse(sessionStorage.getItem(pinKey()) || "{}");
  const laid = nodes.filter((n) => n.x !== undefined);
  const core = new Set(laid.map((n) => n.id));
  const linkedHere = new Set(edges.filter((e) => core.has(e.source) && core.has(e.target)).flatMap((e) => [e.source, e.target]));
  const start = laid.filter((n) => linkedHere.has(n.id) || staysUnlinked(n));
  for (const n of start) {
    const at = pinned[n.id]; // a saved view's positions are taken only as two finite numbers
    if (Array.isArray(at) && at.length === 2 && at.every(Number.isFinite)) [n.x, n.y] = at;
  }
  state.people = null; // the path form's suggestions are made again when it is next opened
  const view = `${$("locality").value}|${state.naming}`;
  if (state.cy && state.cyView === view) {
    // the same locality under other filters: what is drawn stays where it is, what the filter
    // leaves out is hidden, what the new view starts from and is not drawn yet is added
    networkLegend(refilterNetwork(start, pinned), nodes.length);
    return;
  }
  const drawn = new Set(start.map((n) => n.id));
  const elements = [
    ...start.map((n) => nodeElement(n, { x: n.x, y: n.y })),
    ...edges.filter((e) => drawn.has(e.source) && drawn.has(e.target)).map(edgeElement),
  ];
  if (state.cy) state.cy.destroy();
  delete $("main").dataset.focused; // a drawing built afresh has no focus
  state.cyView = view;
  state.cy = cytoscape({
    container: $("network"),
    elements,
    wheelSensitivity: 0.3,
    textureOnViewport: true,
    hideEdgesOnViewport: elements.length > 3000,
    style: [
      { selector: "node", style: { "background-color": "data(colour)", shape: "data(shape)", label: "data(label)", "font-size": 9, "min-zoomed-font-size": 7, width: 12, height: 12, "text-valign": "bottom", "text-margin-y": 2, color: "#333" } },
      { selector: "node[kind = 'person_of_concern']", style: { width: 18, height: 18 } },
      { selector: "edge", style: { width: 1, "line-color": "data(colour)", "line-style": "data(dashed)", "curve-style": "haystack", opacity: 0.7 } },
      { selector: ".faded", style: { opacity: 0.12 } },
      // the links outside a focus are not drawn (faint, they only greyed the picture; each drawn
      // costs the page time at every redraw)
      { selector: "edge.faded", style: { visibility: "hidden" } },
      { selector: "edge.faded:selected", style: { visibility: "visible" } }, // a path or a place's links picked out
      { selector: ".off, .offtype, .hidden", style: { display: "none" } },
      { selector: ".pinned", style: { "border-width": 2, "border-color": "#455a64" } },
      { selector: ":selected", style: { "border-width": 3, "border-color": "#000", "line-color": "#000", opacity: 1 } },
    ],
    layout: { name: "preset", fit: true, padding: 20 },
  });
  state.cy.on("tap", "node", (ev) => {
    expand(ev.target.id());
    evidenceFor(ev.target.id());
  });
  state.cy.on("tap", "edge", (ev) => {
    const fact = state.factOf.get(ev.target.id());
    if (fact) evidenceForLink(fact);
    else status("This link's evidence comes with the view being loaded: click it again in a moment.");
  });
  // right-click (or long press) hides a node; "show hidden" brings them back
  state.cy.on("cxttap", "node", (ev) => {
    ev.target.addClass("hidden");
    ev.target.connectedEdges().addClass("hidden");
    showHiddenCount();
  });
  state.cy.on("dragfree", "node", (ev) => {
    const p = ev.target.position();
    const all = JSON.parse(sessionStorage.getItem(pinKey()) || "{}");
    all[ev.target.id()] = [Math.round(p.x), Math.round(p.y)];
    keepPins(all);
    ev.target.addClass("pinned");
  });
  $("network").cy = state.cy; // for automation: the drawing's Cytoscape instance
  networkLegend(start.length, nodes.length);
}

// The drawing under a new filter of the same locality. What is drawn stays drawn, where it is,
// with the focus, the selection and the nodes hidden by hand; a node pinned where a saved view
// put it is moved there. A link the filter leaves out is hidden, kept for when it comes back
// (``offtype`` when its type was unticked, which the types box shows again at once; ``off``
// otherwise), and so is an entity left with no link in view (a flagged child and a person of
// concern stay). What the new view starts from and is not drawn yet is added where the service
// placed it. Only the elements whose state changes are touched: each restyled costs Cytoscape
// time, and a filter change leaves most of them as they were. Gives the number of nodes shown.
function refilterNetwork(start, pinned) {
  const cy = state.cy;
  // a link left out for its type alone is shown again at once when the type is ticked: only
  // with no date window, which could leave it out as well (the answer then says)
  const v = state.vars || {};
  const types = v.types && !v.since && !v.until ? new Set(v.types) : null;
  const byGroup = $("by-group").checked;
  let shown = 0;
  cy.batch(() => {
    const fresh = start.filter((n) => cy.getElementById(n.id).empty()).map((n) => nodeElement(n, { x: n.x, y: n.y }));
    if (fresh.length) cy.add(fresh);
    const drawn = new Set();
    cy.nodes().forEach((x) => {
      const id = x.id();
      drawn.add(id);
      const n = state.byId.get(id);
      if (!n) return;
      const want = nodeElement(n).data;
      if (byGroup) delete want.colour; // coloured by peer group (colourByGroup), not by its own record
      const was = x.data();
      if (Object.keys(want).some((k) => was[k] !== want[k])) x.data(want);
      const at = pinned[id];
      if (Array.isArray(at) && at.length === 2 && at.every(Number.isFinite)) {
        const p = x.position();
        if (p.x !== at[0] || p.y !== at[1]) x.position({ x: at[0], y: at[1] });
      }
    });
    const links = state.data.edges.filter((e) => drawn.has(e.source) && drawn.has(e.target) && cy.getElementById(edgeId(e)).empty());
    if (links.length) cy.add(links.map(edgeElement));
    const linked = new Set();
    cy.edges().forEach((x) => {
      const d = x.data();
      const inView = state.factOf.has(d.id) && state.byId.has(d.source) && state.byId.has(d.target);
      const want = inView ? "" : types && !types.has(d.type) ? "offtype" : "off";
      setOff(x, want);
      if (inView) linked.add(d.source).add(d.target);
    });
    cy.nodes().forEach((x) => {
      const n = state.byId.get(x.id());
      const keep = Boolean(n) && (linked.has(n.id) || staysUnlinked(n));
      setOff(x, keep ? "" : "off");
      if (keep) shown += 1;
    });
    refocus(); // in the same batch: each element changed is restyled once
  });
  showHiddenCount();
  return shown;
}

// An element shown (``want`` empty) or hidden for the filter, its classes changed only if they differ.
function setOff(x, want) {
  for (const c of ["off", "offtype"]) if (x.hasClass(c) !== (c === want)) x.toggleClass(c, c === want);
}

function shownLink(x) {
  return !x.hasClass("off") && !x.hasClass("offtype");
}

// The focused entity's network two steps out over the links in view (those a filter hides do
// not join anyone): the ids of its entities and links.
function nearOf(id) {
  const cy = state.cy;
  const near = new Set([id]);
  let ring = [id];
  for (let step = 0; step < 2; step += 1) {
    const next = [];
    for (const x of ring) {
      cy.getElementById(x).connectedEdges().forEach((e) => {
        if (!shownLink(e) || e.source().hasClass("hidden") || e.target().hasClass("hidden")) return;
        near.add(e.id());
        for (const end of [e.data("source"), e.data("target")]) if (!near.has(end)) near.add(end) && next.push(end);
      });
    }
    ring = next;
  }
  return near;
}

// Fade all but ``near`` (none when it is null); only elements whose fading changes are touched.
function fadeBut(near) {
  const cy = state.cy;
  cy.batch(() => {
    // a focus ended unfades everything faded at once (as one collection: twice as fast as one by
    // one); a focus moved changes few, so only those are touched
    if (near === null) return cy.elements(".faded").removeClass("faded");
    cy.elements().forEach((x) => {
      const fade = !near.has(x.id());
      if (x.hasClass("faded") !== fade) x.toggleClass("faded", fade);
    });
  });
}

// The focus kept through a filter change; ended (nothing faded, nothing chosen) when the filter
// leaves the focused entity out of the view.
function refocus() {
  const cy = state.cy;
  const id = $("main").dataset.focused;
  if (!id) return;
  const centre = cy.getElementById(id);
  if (centre.empty() || centre.hasClass("off") || !state.byId.has(id)) {
    delete $("main").dataset.focused;
    centre.unselect();
    fadeBut(null);
    return;
  }
  fadeBut(nearOf(id));
}

function networkLegend(shownCount, total) {
  if ($("by-group").checked) colourByGroup();
  const shown = shownCount < total ? ` Showing ${shownCount} of ${total}: click a node to add its other links.` : "";
  $("network-legend").replaceChildren(
    ...[
      ["#2e7d32", "open to a service"],
      ["#9aa3ad", "not open"],
      ["#ef6c00", "flagged at risk"],
      ["#c62828", "linked to harm, not open"],
      ["#6a1b9a", "person of concern (diamond)"],
      ["#1565c0", "place (rounded square) or school (square)"],
    ].map(([c, t]) => el("span", {}, el("i", { style: `background:${c}` }), t)),
    el("span", { "data-testid": "network-shown" }, `Links: colour by type, dashed when seen at a place or school.${shown}`),
  );
}

// The focus and the pins go with their entities when the naming changes: an id a writer chose is
// given by pseudonym to a reader of initials, so each is asked for as the new naming gives it
// (``shownIds``, read in the naming they were kept in), for every locality's pins; one the service
// no longer shows is let go. The pins of a locality are kept with the naming of their ids, and
// changed together, so that a change made again before the answer comes finds them as they were.
const SHOWN_IDS_QUERY = `query($ids: [ID!]!, $initials: Boolean) { shownIds(ids: $ids, initials: $initials) }`;
const PINS = "contextgraph.pinned.";
const PINS_NAMING = "contextgraph.pinned-naming.";

async function carryOver() {
  const target = namesWanted();
  const naming = state.naming;
  const kept = []; // [locality, pins, naming they are in]
  for (let k = 0; k < sessionStorage.length; k += 1) {
    const key = sessionStorage.key(k);
    if (!key.startsWith(PINS)) continue;
    const locality = key.slice(PINS.length);
    const from = sessionStorage.getItem(PINS_NAMING + locality) || "full";
    if (from !== target) kept.push([locality, JSON.parse(sessionStorage.getItem(key) || "{}"), from]);
  }
  const focused = $("main").dataset.focused || null;
  const focusFrom = state.dataNaming || "full";
  const asked = { full: new Set(), initials: new Set() };
  for (const [, pins, from] of kept) for (const id of Object.keys(pins)) asked[from].add(id);
  if (focused && focusFrom !== target) asked[focusFrom].add(focused);
  const now = { full: new Map(), initials: new Map() };
  for (const from of ["full", "initials"]) {
    const ids = [...asked[from]];
    for (let at = 0; at < ids.length; at += 1000) {
      const part = ids.slice(at, at + 1000);
      const given = (await gql(SHOWN_IDS_QUERY, { ids: part, initials: target === "initials" }, true, from)).shownIds;
      part.forEach((id, k) => now[from].set(id, given[k]));
    }
  }
  if (naming !== state.naming) return; // changed again meanwhile: the pins are left as they were kept
  for (const [locality, pins, from] of kept) {
    const moved = {};
    for (const [id, at] of Object.entries(pins)) if (now[from].get(id)) moved[now[from].get(id)] = at;
    sessionStorage.setItem(PINS + locality, JSON.stringify(moved));
    sessionStorage.setItem(PINS_NAMING + locality, target);
  }
  if (focused && focusFrom !== target && now[focusFrom].get(focused)) state.focusAfter = now[focusFrom].get(focused);
  else if (focused && focusFrom === target) state.focusAfter = focused;
}

// the pins of the locality shown, and the naming of their ids (that of the drawing they were made on)
function keepPins(pins) {
  sessionStorage.setItem(pinKey(), JSON.stringify(pins));
  sessionStorage.setItem(PINS_NAMING + $("locality").value, state.dataNaming || namesWanted());
}

function pinKey() {
  return PINS + $("locality").value;
}

function showHiddenCount() {
  const hidden = state.cy.nodes(".hidden").filter((n) => !n.hasClass("off")).length;
  const b = $("show-hidden");
  b.hidden = hidden === 0;
  b.textContent = `Show ${hidden} hidden`;
}

// Peer groups on demand: each child coloured by their group (the same colour for the same group).
const GROUP_COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#808000"];
function colourByGroup() {
  const groupOf = new Map();
  const groups = state.groups && state.groups.vars === state.vars ? state.groups.items : [];
  groups.forEach((g, k) => g.members.forEach((m) => groupOf.set(m, GROUP_COLOURS[k % GROUP_COLOURS.length])));
  state.cy.batch(() =>
    state.cy.nodes().forEach((n) => {
      if (!state.byId.has(n.id())) return; // drawn before, left out of this view (hidden)
      const c = $("by-group").checked ? groupOf.get(n.id()) : undefined;
      n.data("colour", c || colour(state.byId.get(n.id())));
    }),
  );
}

// The box ticked: the peer groups of the view drawn are asked for (unless they are held), then
// the network coloured by them; unticked, each node takes its own colour again.
async function showGroups() {
  if (!state.cy) return;
  const vars = state.vars;
  const mace = state.me.role === "mace";
  if ($("by-group").checked && !mace && !(state.groups && state.groups.vars === vars)) {
    const answer = await gql(GROUPS_QUERY, vars);
    if (vars !== state.vars) return; // a newer view was drawn meanwhile: it asks for its own
    state.groups = { vars, items: answer.peerGroups.items };
  }
  colourByGroup();
}

// Add a node (if it is not drawn) and its links to what is drawn, its new neighbours around it;
// what is drawn but hidden for the filter is shown again (its links are in view: the answer's).
// A node clicked while a view under another date window is on its way is expanded once that view
// is drawn, from its links: those held now are the window's before, and would bring in links the
// new window leaves out. (A type unticked meanwhile is taken from the boxes, below.)
function windowAsked() {
  const v = filters();
  const d = state.vars || {};
  return !v.error && (v.since !== d.since || v.until !== d.until || v.undated !== d.undated);
}

function expand(id, most = 80) {
  if (state.asking && windowAsked()) {
    state.expandAfter = [...(state.expandAfter || []), [id, most]];
    return;
  }
  const cy = state.cy;
  const n = state.byId && state.byId.get(id);
  if (!cy || !n) return;
  cy.batch(() => {
    let centre = cy.getElementById(id);
    if (centre.empty()) {
      const ext = cy.extent();
      centre = cy.add(nodeElement(n, { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 }));
    }
    setOff(centre, "");
    const c = centre.position();
    const ticked = chosenTypes(); // the box may be ahead of the answer: a type just unticked stays out
    const allowed = (e) => !ticked || ticked.includes(e.type);
    const links = (state.edgesOf.get(id) || []).filter(allowed).slice(0, most);
    const others = [...new Set(links.map((e) => (e.source === id ? e.target : e.source)).filter((x) => state.byId.has(x)))];
    const fresh = others.filter((x) => cy.getElementById(x).empty());
    for (const x of others) if (!fresh.includes(x)) setOff(cy.getElementById(x), "");
    fresh.forEach((x, k) => {
      const angle = (2 * Math.PI * k) / Math.max(1, fresh.length);
      const r = 60 + 4 * fresh.length;
      cy.add(nodeElement(state.byId.get(x), { x: c.x + r * Math.cos(angle), y: c.y + r * Math.sin(angle) }));
    });
    for (const x of [id, ...others]) {
      for (const e of state.edgesOf.get(x) || []) {
        if (!allowed(e) || cy.getElementById(e.source).empty() || cy.getElementById(e.target).empty()) continue;
        const have = cy.getElementById(edgeId(e));
        if (have.empty()) cy.add(edgeElement(e));
        else if (!cy.getElementById(e.source).hasClass("off") && !cy.getElementById(e.target).hasClass("off")) setOff(have, "");
      }
    }
  });
}

// The evidence opens in a drawer over the right of the page, in view whatever the window's size.
// It starts below the controls, which stay in reach.
function openDrawer(title) {
  $("drawer-title").textContent = title;
  $("drawer").style.top = `${Math.max(0, $("controls").getBoundingClientRect().bottom)}px`;
  $("drawer").hidden = false;
}

function closeDrawer() {
  $("drawer").hidden = true;
  $("evidence").replaceChildren();
}

// --- saved views ------------------------------------------------------------------------------

const VIEWS_QUERY = `query($l: String!) { savedViews(locality: $l) { id name user savedAt state shared mine } }`;
const SAVE_VIEW = `mutation($n: String!, $l: String!, $s: JSON!, $sh: Boolean!) {
  saveView(name: $n, locality: $l, state: $s, shared: $sh) { id } }`;
const CHANGES_QUERY = `query($d: String!, $l: String!) { changesSince(date: $d, locality: $l) {
  since links { type source target } childrenRaised { id name now before } childrenNewlyKnown { id name }
  hotspots { id name now } personsOfConcern { id name now before } } }`;

async function loadViews() {
  const locality = $("locality").value;
  if (!locality) return;
  const { savedViews } = await gql(VIEWS_QUERY, { l: locality });
  state.views = savedViews;
  $("saved-views").replaceChildren(
    el("option", { value: "" }, savedViews.length ? "Saved views…" : "No saved view"),
    ...savedViews.map((v) => el("option", { value: v.id }, `${v.name} — ${v.mine ? "yours" : v.user}, ${longDate(v.savedAt.slice(0, 10))}${v.shared ? ", shared" : ""}`)),
  );
}

async function saveView() {
  const name = $("view-name").value.trim();
  if (!name) return status("Name the view first.", true);
  const vars = filters();
  if (vars.error) return status(vars.error, true);
  const pinned = JSON.parse(sessionStorage.getItem(pinKey()) || "{}");
  const saved = { since: vars.since, until: vars.until, types: vars.types, undated: vars.undated, initials: $("initials").checked, focus: $("main").dataset.focused || null, pinned };
  try {
    await gql(SAVE_VIEW, { n: name, l: vars.l, s: saved, sh: $("view-shared").checked });
    $("view-name").value = "";
    status(`Saved “${name}” for ${vars.l}.`);
    await loadViews();
  } catch (e) {
    status(e.message, true);
  }
}

// Opening a view puts back its filter, pinned places and focus, then shows what changed since.
async function openView(id) {
  const v = (state.views || []).find((x) => x.id === id);
  if (!v) return;
  const s = v.state || {};
  $("since").value = s.since || "";
  $("until").value = s.until || "";
  $("undated").checked = s.undated !== false;
  // a view saved by initials is opened by initials; one saved with names never takes them off a
  // page that shows initials (it may be on a screen shared with the meeting)
  const naming = namesWanted();
  if (state.me.role !== "mace" && s.initials) $("initials").checked = true;
  if (namesWanted() !== naming) $("main").hidden = true; // drawn with names: not shown until redrawn
  for (const box of document.querySelectorAll("#types input")) box.checked = !s.types || s.types.includes(box.value);
  state.dataNaming = namesWanted(); // (its pins are in the naming it is opened in)
  keepPins(s.pinned || {});
  // the view's own drawing: built afresh from its pins, with nothing of the one before kept
  state.cyView = null;
  delete $("main").dataset.focused;
  await show();
  if (s.focus) focus(s.focus);
  const day = v.savedAt.slice(0, 10);
  try {
    const ch = (await gql(CHANGES_QUERY, { d: day, l: $("locality").value })).changesSince;
    const parts = [el("p", { "data-testid": "changes-since" }, `Since “${v.name}” was saved on ${longDate(day)}: ${ch.links.length} new links.`)];
    const list = (title, xs, text) => xs.length && parts.push(el("h3", {}, title), el("ul", {}, ...xs.map((x) => el("li", {}, el("bdi", {}, x.name), text(x)))));
    list("Children raised", ch.childrenRaised, (x) => `: ${x.before == null ? "new" : x.before.toFixed(2)} → ${(x.now ?? 0).toFixed(2)}`);
    list("Children newly known to be exploited", ch.childrenNewlyKnown, () => "");
    list("Hotspots new or raised", ch.hotspots, (x) => ` (${(x.now ?? 0).toFixed(2)})`);
    list("Persons of concern reaching more children", ch.personsOfConcern, (x) => `: ${x.before ?? 0} → ${x.now}`);
    openDrawer(`What changed: ${v.name}`);
    $("evidence").replaceChildren(...parts);
  } catch (e) {
    status(e.message, true);
  }
}

// --- the partnership report ---------------------------------------------------------------------

// The report of the dates chosen (else the twelve months to today) for the locality, made by the
// service and shown in a frame to read or print to PDF (its head and foot carry the marking and
// the period on every page).
async function openReport() {
  const today = new Date().toISOString().slice(0, 10);
  const yearAgo = new Date(Date.now() - 364 * 86400000).toISOString().slice(0, 10);
  const from = $("since").value || yearAgo;
  const to = $("until").value || today;
  const locality = $("locality").value;
  status(`Making the partnership report for ${locality}, ${longDate(from)} to ${longDate(to)}…`);
  const d = await gql(REPORT_QUERY, { from, to, l: locality });
  $("report-title").textContent = `Partnership report: ${locality}, ${longDate(from)} to ${longDate(to)}`;
  $("report-frame").srcdoc = d.report.html;
  $("report-dialog").showModal();
  status(`The partnership report for ${locality}, ${longDate(from)} to ${longDate(to)}.`);
}

// --- the timeline -----------------------------------------------------------------------------

// Dated facts by month, for the locality as loaded without a window, and below them the tracking
// records about its children, places and groups (missing episodes, referrals, assessments, plans,
// disruptions...) by kind; the window shown is marked, and dragging across the strip sets it
// (the one filter: both views, the list and the hotspots).
const RECORD_COLOURS = {
  missing_episode: "#c62828",
  referral: "#6a1b9a",
  risk_assessment: "#ef6c00",
  plan: "#2e7d32",
  disruption: "#37474f",
  outcome_review: "#00838f",
  service_episode: "#8d6e63",
  custody: "#ad1457",
  investigation: "#5d4037",
};
const SPARE_COLOURS = ["#0277bd", "#9e9d24", "#4527a0", "#d84315"];

function recordKinds(tracking) {
  // the kinds of record present: those with a colour first, in its order; a kind the page does not
  // know yet takes a spare colour, so that a new kind of record is drawn rather than dropped
  const present = new Set((tracking || []).map((t) => t.record.toLowerCase()));
  const known = Object.keys(RECORD_COLOURS).filter((k) => present.has(k));
  const other = [...present].filter((k) => !(k in RECORD_COLOURS)).sort();
  return [...known, ...other].map((k) => [k, RECORD_COLOURS[k] || SPARE_COLOURS[other.indexOf(k) % SPARE_COLOURS.length]]);
}

function months(edges, tracking) {
  const counts = new Map();
  const records = new Map();
  for (const e of edges) {
    const d = e.lastSeen || e.firstSeen;
    if (d) counts.set(d.slice(0, 7), (counts.get(d.slice(0, 7)) || 0) + 1);
  }
  for (const t of tracking || []) {
    const kinds = records.get(t.month) || {};
    kinds[t.record.toLowerCase()] = (kinds[t.record.toLowerCase()] || 0) + t.count;
    records.set(t.month, kinds);
  }
  const keys = [...new Set([...counts.keys(), ...records.keys()])].sort();
  if (!keys.length) return [];
  const out = [];
  let [y, m] = keys[0].split("-").map(Number);
  const [ly, lm] = keys[keys.length - 1].split("-").map(Number);
  while (y < ly || (y === ly && m <= lm)) {
    const k = `${y}-${String(m).padStart(2, "0")}`;
    out.push([k, counts.get(k) || 0, records.get(k) || {}]);
    m += 1;
    if (m > 12) [y, m] = [y + 1, 1];
  }
  return out;
}

function drawTimeline(locality, vars) {
  const canvas = $("timeline");
  const here = state.range && state.range.locality === locality;
  const range = here ? months(state.range.edges, state.range.tracking) : [];
  state.timeline = range;
  const width = canvas.clientWidth || 600;
  canvas.width = width;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, width, canvas.height);
  drawTimelineLegend(here ? state.range.tracking : []);
  if (!range.length) return;
  const kinds = recordKinds(state.range.tracking);
  const tracked = kinds.length > 0;
  const band = tracked ? 26 : 0; // the records' band, under the facts
  const factsHeight = canvas.height - 16 - band;
  const top = Math.max(1, ...range.map(([, n]) => n));
  const topRecords = Math.max(1, ...range.map(([, , r]) => Object.values(r).reduce((a, b) => a + b, 0)));
  const w = width / range.length;
  const since = vars.since ? vars.since.slice(0, 7) : null;
  const until = vars.until ? vars.until.slice(0, 7) : null;
  range.forEach(([k, n, r], i) => {
    const inside = (!since || k >= since) && (!until || k <= until);
    g.fillStyle = inside ? "#1565c0" : "#c5cdd6";
    const h = Math.round(factsHeight * (n / top));
    g.fillRect(i * w + 1, factsHeight - h, Math.max(1, w - 2), h);
    let y = canvas.height - 14;
    for (const [kind, colour] of kinds) {
      if (!r[kind]) continue;
      const hr = Math.max(1, Math.round((band - 4) * (r[kind] / topRecords)));
      g.globalAlpha = inside ? 1 : 0.35;
      g.fillStyle = colour;
      g.fillRect(i * w + 1, y - hr, Math.max(1, w - 2), hr);
      y -= hr;
    }
    g.globalAlpha = 1;
  });
  g.fillStyle = "#5b6472";
  g.font = "10px system-ui, sans-serif";
  g.fillText(range[0][0], 2, canvas.height - 2);
  const last = range[range.length - 1][0];
  g.fillText(last, width - g.measureText(last).width - 2, canvas.height - 2);
}

function drawTimelineLegend(tracking) {
  // the kinds of record drawn under the facts, each with its colour and how many there are
  const totals = {};
  for (const t of tracking || []) totals[t.record.toLowerCase()] = (totals[t.record.toLowerCase()] || 0) + t.count;
  const items = recordKinds(tracking).map(([k, colour]) =>
    el("span", { class: "record-key", "data-record": k, "data-count": String(totals[k]) },
      el("i", { style: `background:${colour}` }),
      `${k.replace(/_/g, " ")}${k.endsWith("y") ? "" : "s"} ${totals[k].toLocaleString()}`),
  );
  const facts = el("span", { class: "record-key" }, el("i", { style: "background:#1565c0" }), "dated facts");
  $("timeline-legend").replaceChildren(...(items.length ? [facts, ...items] : []));
}

function setupTimeline() {
  const canvas = $("timeline");
  let from = null;
  const monthAt = (ev) => {
    const r = canvas.getBoundingClientRect();
    const i = Math.floor(((ev.clientX - r.left) / r.width) * state.timeline.length);
    return state.timeline[Math.min(state.timeline.length - 1, Math.max(0, i))][0];
  };
  canvas.addEventListener("mousedown", (ev) => {
    if (state.timeline && state.timeline.length) from = monthAt(ev);
  });
  canvas.addEventListener("mouseup", (ev) => {
    if (from === null) return;
    const to = monthAt(ev);
    const [a, b] = from <= to ? [from, to] : [to, from];
    from = null;
    const [by, bm] = b.split("-").map(Number);
    const end = new Date(Date.UTC(by, bm, 0)).toISOString().slice(0, 10); // the month's last day
    $("since").value = `${a}-01`;
    $("until").value = end;
    show({ filterOnly: true });
  });
  canvas.addEventListener("dblclick", () => {
    $("since").value = "";
    $("until").value = "";
    show({ filterOnly: true });
  });
}

// --- the map view -----------------------------------------------------------------------------

function hull(points) {
  // Andrew's monotone chain: the outline of the locality's points, drawn without any tiles.
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper = [];
  for (const q of p.reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

function recency(iso, latest) {
  // measured back from the latest date on the map, so that an old extract still shows its pattern
  if (!iso) return "#f9a825";
  const days = (latest - Date.parse(iso)) / 864e5;
  return days < 90 ? "#c62828" : days < 365 ? "#ef6c00" : "#f9a825";
}

// A place's tooltip: the top places' names always shown beside them, the others' words on hover.
// A tooltip's words as text: Leaflet puts a string into the page as HTML, and a place's name comes
// from the notes.
// A name is isolated (<bdi>): one written right to left does not carry the words around it with it.
function plain([before, name, after]) {
  return el("span", {}, before, el("bdi", {}, name), after);
}

function tooltip(label) {
  return label ? { permanent: true, direction: "right", className: "place-label", offset: [6, 0] } : { direction: "auto" };
}

// The map's places are the graph's: the entities of a placed kind (a location, a school) with
// coordinates, the same the service's GeoJSON holds (``geojson``, for other tools), not asked for
// again with every filter.
function drawMap(nodes) {
  const placed = new Set(state.config.placed_kinds);
  const places = nodes.filter((n) => placed.has(n.kind) && n.lat !== null && n.lon !== null);
  if (!state.map) {
    state.map = L.map("map", { preferCanvas: true, attributionControl: Boolean(state.config.tiles) });
    $("map").leaflet = state.map; // for automation: the map's Leaflet instance
    if (state.config.tiles) {
      L.tileLayer(state.config.tiles, { attribution: state.config.tile_attribution || "", crossOrigin: true }).addTo(state.map);
    }
  }
  const map = state.map;
  // the markers are kept between drawings, by place: a filter change replaces only those whose
  // look or words changed (building thousands again costs the page more than the change)
  if (!state.layer) state.layer = L.featureGroup();
  const layer = state.layer;
  if (state.hull) state.hull.remove();
  const points = places.map((n) => [n.lat, n.lon]);
  state.hull = points.length >= 3 ? L.polygon(hull(points), { color: "#455a64", weight: 1, dashArray: "4 4", fill: true, fillOpacity: 0.05, interactive: false }) : null;
  const hot = new Map(state.hotspots.map((h) => [h.id, h]));
  const top = Math.max(1, ...state.hotspots.map((h) => h.score));
  const latest = Math.max(0, ...state.hotspots.map((h) => (h.lastSeen ? Date.parse(h.lastSeen) : 0)));
  const kept = state.markers || new Map();
  const markers = new Map();
  const relabel = [];
  for (const f of places) {
    const { lat, lon } = f;
    const h = hot.get(f.id);
    const school = f.kind === "school";
    const look = {
      radius: h ? 5 + 12 * (h.score / top) : 3,
      color: h ? recency(h.lastSeen, latest) : school ? "#455a64" : "#1565c0",
      weight: h ? 2 : 1,
      fillOpacity: h ? 0.55 : 0.35,
    };
    // the top places are named on the map itself (a layer has one tooltip: the label)
    const label = h && h.rank <= 10;
    const parts = label ? [`${h.rank}. `, f.name, ""] : ["", f.name, h ? ` — ${h.text}` : ""];
    const words = parts.join("");
    const at = `${lat},${lon}`;
    const key = JSON.stringify([look, label, words]);
    const was = kept.get(f.id);
    if (was && was.at === at && was.label === label) {
      // the same place, named on the map or not as before: kept as it was, or changed in place
      // (making a marker again costs the page more than the change); one that becomes or stops
      // being one of the top places is made again, with its label
      kept.delete(f.id);
      if (was.key !== key) {
        was.marker.setStyle(look);
        // a label on the map is placed again when its words are set: only when they changed, and
        // all of them together below
        if (was.words !== words) {
          if (label) relabel.push([was.marker.getTooltip(), parts]);
          else was.marker.setTooltipContent(plain(parts));
        }
      }
      markers.set(f.id, { at, key, label, words, marker: was.marker });
      continue;
    }
    const marker = L.circleMarker([lat, lon], look);
    marker.bindTooltip(plain(parts), tooltip(label));
    marker.on("click", () => evidenceFor(f.id));
    markers.set(f.id, { at, key, label, words, marker });
  }
  for (const { marker } of kept.values()) layer.removeLayer(marker);
  state.markers = markers;
  // the labels shown on the map take their new words where they are: a label to the right of its
  // place, on one line (Leaflet's tooltips do not wrap), stays where it was whatever its words,
  // and placing it again measures it, laying the page out once per label (Leaflet 1.9's own
  // Tooltip.setContent, without its placing)
  for (const [t, parts] of relabel) {
    t._content = plain(parts);
    if (t._map) t._updateContent();
  }
  // the view first: a permanent label is placed only on a map that has one; the same places under
  // another filter keep the view the reader left them in
  state.bounds = points.length ? L.latLngBounds(points).pad(0.1) : null;
  const box = state.bounds ? state.bounds.toBBoxString() : "";
  if (box !== state.fitted) {
    if (points.length) map.fitBounds(state.bounds);
    else map.setView([54.5, -2.5], 5);
    state.fitted = box;
  }
  if (state.hull) state.hull.addTo(map).bringToBack(); // beneath the markers kept from before
  for (const { marker } of markers.values()) if (!layer.hasLayer(marker)) marker.addTo(layer);
  if (!map.hasLayer(layer)) layer.addTo(map);
  $("map-legend").replaceChildren(
    ...[
      ["#c62828", "hotspot, linked within 90 days of the latest"],
      ["#ef6c00", "within a year"],
      ["#f9a825", "longer before"],
      ["#1565c0", "place"],
      ["#455a64", "school"],
    ].map(([c, t]) => el("span", {}, el("i", { style: `background:${c}` }), t)),
  );
}

// --- evidence -----------------------------------------------------------------------------

const ENTITY_QUERY = `query($id: ID!) {
  entity(id: $id) { id kind name locality openTo
    timeline(first: 100) { id record date text source grading }
    pathway { day after direction } }
  network(centre: $id, depth: 1) { nodes { id kind name openTo }
    edges { type source target firstSeen lastSeen grading count sources } outside { count text } }
}`;

// What happened over time: the tracking records naming the entity, oldest first, in words, each
// with its source and grading; for a child, the pathway's moves above them.
function timelineRows(entity) {
  const steps = entity.pathway.map((s) => `${s.after} (${s.day}${s.direction === "first" ? "" : `, ${s.direction}`})`);
  const rows = entity.timeline.map((t) =>
    el(
      "tr",
      { "data-testid": "timeline-record", "data-record": t.record.toLowerCase() },
      el("td", {}, t.date.replace("T", " ")),
      el("td", {}, t.record.toLowerCase().replace(/_/g, " ")),
      el("td", {}, t.text),
      el("td", {}, `${t.source}${t.grading ? `, ${t.grading}` : ""}`),
    ),
  );
  return el(
    "section",
    { class: "timeline-records", "data-testid": "entity-timeline" },
    el("h3", {}, "Over time"),
    ...(steps.length ? [el("p", { "data-testid": "pathway" }, `Pathway: ${steps.join(" → ")}`)] : []),
    el("table", { class: "facts" }, el("thead", {}, el("tr", {}, ...["date", "record", "what", "source"].map((h) => el("th", {}, h)))), el("tbody", {}, ...rows)),
  );
}

function factRows(edges, names) {
  return el(
    "table",
    {},
    el("tr", {}, el("th", {}, "link"), el("th", {}, "dates"), el("th", {}, "grading"), el("th", {}, "source notes")),
    ...edges.map((e) =>
      el(
        "tr",
        {},
        el("td", {}, `${names(e.source)} ${e.type.replace(/_/g, " ").toLowerCase()} ${names(e.target)}`),
        el("td", {}, e.firstSeen === e.lastSeen ? longDate(e.lastSeen) : `${longDate(e.firstSeen)} – ${longDate(e.lastSeen)}`),
        el("td", {}, e.grading || "ungraded"),
        el("td", {}, `${(e.sources || []).join(", ")}${e.count > 1 ? ` (${e.count} assertions)` : ""}`),
      ),
    ),
  );
}

// A person's status: open to a service, linked to harm (with the score, where the role sees the
// ranking), flagged; from the evidence's own answer, and the drawing where it holds them.
function statusOf(node) {
  const kind = node.kind.toLowerCase();
  if (!PEOPLE.has(kind)) return "";
  if (kind === "person_of_concern") return "person of concern";
  if (node.openTo && node.openTo.length) return `open to ${node.openTo.join(", ")}`;
  const drawn = state.data && state.data.nodes.find((x) => x.id === node.id);
  const score = drawn && drawn.score;
  if (score) return `linked to harm, not open (score ${score.toFixed(2)})`;
  if (drawn && drawn.flagged) return "flagged at risk, not open";
  return "not open to any service";
}

// A place's links grouped by the person at their other end, each with their status.
function byPerson(placeId, edges, names, nodes) {
  const groups = new Map();
  for (const e of edges) {
    const other = e.source === placeId ? e.target : e.target === placeId ? e.source : null;
    if (other === null) continue;
    if (!groups.has(other)) groups.set(other, []);
    groups.get(other).push(e);
  }
  const out = [];
  for (const [other, rows] of groups) {
    const st = nodes.has(other) ? statusOf(nodes.get(other)) : "";
    out.push(el("h3", { "data-testid": "evidence-person" }, names(other), st ? el("span", { class: "status-of" }, ` — ${st}`) : ""));
    out.push(factRows(rows, names));
  }
  return out;
}

async function evidenceFor(id) {
  const panel = $("evidence");
  openDrawer("Evidence");
  panel.replaceChildren(el("p", { class: "hint" }, "Loading…"));
  const naming = state.naming;
  try {
    const d = await gql(ENTITY_QUERY, { id });
    if (naming !== state.naming) return;
    if (!d.entity) {
      panel.replaceChildren(el("p", {}, "Not within your localities."));
      return;
    }
    const kinds = new Map(d.network.nodes.map((n) => [n.id, n]));
    const names = (x) => (kinds.has(x) ? kinds.get(x).name : x);
    $("drawer-title").textContent = d.entity.name;
    const parts = [el("p", {}, el("strong", {}, d.entity.name), ` — ${d.entity.kind.toLowerCase().replace(/_/g, " ")}, ${d.entity.locality || ""}`)];
    if (d.entity.openTo.length) parts.push(el("p", {}, `Open to ${d.entity.openTo.join(", ")}.`));
    const child = state.atRisk.find((c) => c.id === id);
    if (child) {
      parts.push(el("p", {}, `Linked to harm, not open to any service: score ${child.score.toFixed(2)}, rank ${child.rank}.`));
      for (const r of child.reasons) parts.push(el("p", { class: "reason" }, "• ", r.text));
      if (child.furtherPieces) {
        const n = child.furtherPieces;
        parts.push(el("p", { class: "reason" }, `• and ${n} further piece${n === 1 ? "" : "s"} of evidence, adding ${child.further.toFixed(2)}`));
      }
    }
    const h = state.hotspots.find((x) => x.id === id);
    if (h) parts.push(el("p", { class: "reason" }, `Hotspot ${h.rank}: ${h.text}`));
    const place = d.entity.kind === "LOCATION" || d.entity.kind === "SCHOOL";
    if (place) parts.push(...byPerson(id, d.network.edges, names, kinds));
    else parts.push(factRows(d.network.edges, names));
    for (const o of d.network.outside) parts.push(el("p", { class: "hint" }, o.text));
    if (d.entity.timeline.length) parts.push(timelineRows(d.entity));
    if (PEOPLE.has(d.entity.kind.toLowerCase())) parts.push(pathForm(id));
    panel.replaceChildren(...parts);
    for (const li of document.querySelectorAll("#at-risk li")) li.classList.toggle("chosen", li.dataset.id === id);
  } catch (e) {
    panel.replaceChildren(el("p", {}, e.message));
  }
}

// --- how two people are linked ------------------------------------------------------------------

const PATH_QUERY = `query($a: ID!, $b: ID!) {
  paths(from: $a, to: $b, maxLength: 5, first: 3) { length entities { id kind name }
    steps { source target links { type source target firstSeen lastSeen grading count sources } } }
}`;

// The names of the people in view, suggested as a path's other end: made when a path form opens
// (thousands of suggestions made on every redraw would cost each filter change their time).
function suggestPeople() {
  if (state.people || !state.data) return;
  state.people = state.data.nodes.filter((n) => PEOPLE.has(n.kind)).map((n) => n.name);
  $("people-list").replaceChildren(...state.people.map((name) => el("option", { value: name })));
}

function pathForm(fromId) {
  suggestPeople();
  const input = el("input", { type: "search", placeholder: "a name, then Enter", "data-testid": "path-to" });
  input.setAttribute("list", "people-list");
  const form = el("form", { class: "path-form", "data-testid": "path-form" }, el("label", {}, "How is this linked to ", input), el("button", { type: "submit" }, "Find links"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = input.value.trim().toLowerCase();
    if (!t || !state.data) return;
    const people = state.data.nodes.filter((n) => n.id !== fromId && PEOPLE.has(n.kind));
    const to = people.find((n) => n.name.toLowerCase() === t) || people.find((n) => n.name.toLowerCase().includes(t));
    if (!to) return status(`No one called “${input.value}” in this view.`, true);
    showPaths(fromId, to.id);
  });
  return form;
}

async function showPaths(a, b) {
  const panel = $("evidence");
  openDrawer("How they are linked");
  panel.replaceChildren(el("p", { class: "hint" }, "Looking…"));
  const naming = state.naming;
  try {
    const { paths } = await gql(PATH_QUERY, { a, b });
    if (naming !== state.naming) return;
    if (!paths.length) {
      panel.replaceChildren(el("p", { "data-testid": "no-path" }, "Not linked within five steps in what you may see."));
      return;
    }
    const parts = [];
    if (state.cy) state.cy.elements().unselect();
    paths.forEach((p, i) => {
      const names = new Map(p.entities.map((e) => [e.id, e.name]));
      const name = (x) => names.get(x) || x;
      const along = p.entities.flatMap((e, j) => (j ? [" → ", el("bdi", {}, e.name)] : [el("bdi", {}, e.name)]));
      parts.push(el("h3", { "data-testid": "path" }, `${i + 1}. ${p.length} step${p.length === 1 ? "" : "s"}: `, ...along));
      parts.push(factRows(p.steps.flatMap((s) => s.links), name));
      if (state.cy) {
        drawPath(p);
        showHiddenCount();
      }
    });
    panel.replaceChildren(...parts);
  } catch (e) {
    panel.replaceChildren(el("p", {}, e.message));
  }
}

// A path on the network: its entities in this view drawn (one not drawn yet is put beside the
// one before it), shown and chosen, with the links of each step that the filters keep in view.
function drawPath(p) {
  const cy = state.cy;
  cy.batch(() => {
    let before = null;
    for (const e of p.entities) {
      const n = state.byId.get(e.id);
      let node = cy.getElementById(e.id);
      if (n && node.empty()) {
        const at = before ? before.position() : { x: (cy.extent().x1 + cy.extent().x2) / 2, y: (cy.extent().y1 + cy.extent().y2) / 2 };
        node = cy.add(nodeElement(n, { x: at.x + 60, y: at.y + 30 }));
      }
      if (node.nonempty()) {
        setOff(node, "");
        node.removeClass("hidden faded").select();
        before = node;
      }
    }
    for (const step of p.steps) {
      for (const f of step.links) {
        // only a link the filters keep in view (the drawer lists every one)
        const fact = state.factOf.get(edgeId(f));
        if (!fact || cy.getElementById(f.source).empty() || cy.getElementById(f.target).empty()) continue;
        let link = cy.getElementById(edgeId(f));
        if (link.empty()) link = cy.add(edgeElement(fact));
        setOff(link, "");
        link.removeClass("hidden faded").select();
      }
    }
  });
}

async function evidenceForLink(fact) {
  const panel = $("evidence");
  const naming = state.naming;
  try {
    const d = await gql(ENTITY_QUERY, { id: fact.source });
    if (naming !== state.naming) return;
    const kinds = new Map(d.network.nodes.map((n) => [n.id, n]));
    const names = (x) => (kinds.has(x) ? kinds.get(x).name : x);
    const same = d.network.edges.filter((e) => e.type === fact.type && ((e.source === fact.source && e.target === fact.target) || (e.source === fact.target && e.target === fact.source)));
    openDrawer("Link");
    panel.replaceChildren(factRows(same, names));
  } catch (e) {
    panel.replaceChildren(el("p", {}, e.message));
  }
}

// Focus on someone: their network two steps out stays, the rest fades; at once, without animation.
function focus(id) {
  focusOn(id);
  evidenceFor(id);
}

// Chosen while a view under another date window is on its way: focused once that view is drawn,
// from its links (as a node expanded meanwhile is).
function focusOn(id) {
  const cy = state.cy;
  if (cy && state.asking && windowAsked()) {
    state.focusAfter = id;
    return;
  }
  if (cy) {
    if (cy.getElementById(id).empty() || cy.getElementById(id).hasClass("off")) expand(id);
    const n = cy.getElementById(id);
    // only an entity in the view is focused: one the filter leaves out is not drawn
    if (n.nonempty() && state.byId.has(id) && !n.hasClass("off")) {
      const near = nearOf(id);
      cy.batch(() => {
        cy.elements().unselect();
        n.select();
      });
      fadeBut(near);
      cy.fit(cy.elements().filter((x) => near.has(x.id())), 40);
      $("main").dataset.focused = id;
    }
  }
}

// Find asks the API's search, which forgives a letter or two and knows aliases: one hit is
// focused at once; several are listed in the drawer, best first, each a click from its evidence.
const SEARCH_QUERY = `query($t: String!) { search(text: $t, first: 20) { id kind name locality } }`;

async function find(text) {
  const t = text.trim();
  if (!t) return;
  try {
    const hits = (await gql(SEARCH_QUERY, { t })).search;
    if (!hits.length) return status(`No one and nothing called “${t}” within your localities.`, true);
    if (hits.length === 1) return focus(hits[0].id);
    openDrawer(`${hits.length} found for “${t}”`);
    $("evidence").replaceChildren(
      el(
        "ul",
        { class: "hits" },
        ...hits.map((h) => {
          const li = el("li", { "data-testid": "find-hit", "data-id": h.id }, el("strong", {}, h.name), ` — ${h.kind.toLowerCase().replace(/_/g, " ")}, ${h.locality || ""}`);
          li.addEventListener("click", () => focus(h.id));
          return li;
        }),
      ),
    );
  } catch (e) {
    status(e.message, true);
  }
}

// --- export and print -----------------------------------------------------------------------------

function download(url, name) {
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// A picture of the network, whole, within 2,400 × 1,800 pixels however large the graph.
function networkCanvas() {
  const img = new Image();
  img.src = state.cy.png({ full: true, maxWidth: 2400, maxHeight: 1800, bg: "#ffffff" });
  return img.decode().then(() => img);
}

function mapCanvas() {
  const box = $("map").getBoundingClientRect();
  const c = document.createElement("canvas");
  const scale = 2;
  c.width = box.width * scale;
  c.height = box.height * scale;
  const g = c.getContext("2d");
  g.scale(scale, scale);
  g.fillStyle = "#eef1ec";
  g.fillRect(0, 0, box.width, box.height);
  for (const layer of $("map").querySelectorAll("img.leaflet-tile, canvas")) {
    const r = layer.getBoundingClientRect();
    try {
      g.drawImage(layer, r.left - box.left, r.top - box.top, r.width, r.height);
    } catch {
      /* a tile from a server that does not allow it: left out */
    }
  }
  return c;
}

// Every exported picture carries the locality, the date, who made it and the handling marking
// above, and the legends of what it shows below.
const HEAD = 56;
const FOOT = 30;

function legendText(which) {
  const parts = [];
  if (which !== "map") parts.push([...$("network-legend").querySelectorAll("span")].map((s) => s.textContent).join(" · "));
  if (which !== "network") parts.push([...$("map-legend").querySelectorAll("span")].map((s) => s.textContent).join(" · "));
  return parts.join("   |   ");
}

// A printed pack or a picture leaves the service with someone: it is made only once the access log
// records it as a disclosure to them, naming the people the view holds (by initials where the
// view gives initials), as an export file is.
const COPY_QUERY = `query($l: String!, $since: String, $until: String, $types: [RelationshipType!], $undated: Boolean!, $r: String!, $c: ViewCopy!) {
  localityMap(locality: $l, since: $since, until: $until, types: $types, undated: $undated, first: 5000, recipient: $r, copy: $c) { locality }
}`;

function recipientFor(what) {
  const recipient = $("export-recipient").value.trim();
  if (!recipient) {
    status(`Say who the ${what} is for: it leaves the service, and the access log records it.`, true);
    $("export-recipient").focus();
  }
  return recipient;
}

async function copyLogged(copy, recipient) {
  const vars = filters();
  if (vars.error) {
    status(`Not made: ${vars.error}`, true);
    return false;
  }
  try {
    await gql(COPY_QUERY, { ...vars, r: recipient, c: copy });
    return true;
  } catch (e) {
    status(`Not made: ${e.message}`, true);
    return false;
  }
}

// Whether what is drawn may be printed or pictured: drawn for the user signed in, in the naming the
// box asks for (a copy made while the page is redrawn for "Initials only" would hold full names).
function drawnAsAsked() {
  return Boolean(state.me && state.data && !$("main").hidden && state.dataNaming === namesWanted());
}

const NOT_DRAWN = "Not made: the page is not drawn as chosen yet (it is being asked for again): try again once it is.";

async function printPack() {
  if (!drawnAsAsked()) return status(NOT_DRAWN, true);
  const recipient = recipientFor("printed pack");
  if (!recipient || !(await copyLogged("PRINTED_PACK", recipient))) return;
  state.printLogged = recipient;
  window.print();
}

// Printed from the browser's own menu, not the page's button: logged all the same, for whoever
// the page was told the copy is for, or as not said.
function printedFromMenu() {
  if (state.printLogged || !state.me) return;
  copyLogged("PRINTED_PACK", $("export-recipient").value.trim() || "not said: printed from the browser's menu");
}

async function exportView(which) {
  if (!drawnAsAsked()) return status(NOT_DRAWN, true);
  const recipient = recipientFor("picture");
  if (!recipient || !(await copyLogged("PICTURE", recipient))) return;
  const name = `contextgraph-${$("locality").value}-${which}.png`;
  const pictures = [];
  if (which !== "map") pictures.push(await networkCanvas());
  if (which !== "network") pictures.push(mapCanvas());
  const width = Math.max(900, pictures.reduce((w, p) => w + p.width, 0));
  const height = Math.max(...pictures.map((p) => p.height));
  const c = document.createElement("canvas");
  c.width = width;
  c.height = HEAD + height + FOOT;
  const g = c.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, c.width, c.height);
  let x = 0;
  for (const p of pictures) {
    g.drawImage(p, x, HEAD);
    x += p.width;
  }
  g.fillStyle = "#1d2430";
  g.font = "bold 16px system-ui, sans-serif";
  g.fillText(`${$("locality").value} — ${new Date().toLocaleDateString("en-GB")} — prepared by ${state.me.user} (${state.me.role}) for ${recipient}`, 12, 22, width - 24);
  g.fillStyle = "#7a1b1b";
  g.font = "bold 14px system-ui, sans-serif";
  g.fillText($("marking").textContent, 12, 44, width - 24);
  g.fillStyle = "#5b6472";
  g.font = "13px system-ui, sans-serif";
  g.fillText(legendText(which), 12, HEAD + height + 20, width - 24);
  download(c.toDataURL("image/png"), name);
}

// A file for an analyst's tool (or the interchange files) of what the signed-in user sees of the
// locality (the window and the types chosen), made by the service as the command line makes it: a
// disclosure, so it says who it is for, and the access log records it with the ids it gives.
async function exportFile(again = true) {
  const recipient = $("export-recipient").value.trim();
  if (!recipient) {
    status("Say who the export is for: it is a disclosure, and the access log records it.", true);
    $("export-recipient").focus();
    return;
  }
  const vars = filters();
  if (vars.error) {
    status(`Not exported: ${vars.error}`, true);
    return;
  }
  // what the views show: the locality, the window and the types chosen
  const locality = $("locality").value;
  const query = new URLSearchParams({ format: $("export-format").value, recipient, locality });
  if (vars.since) query.set("since", vars.since);
  if (vars.until) query.set("until", vars.until);
  for (const t of vars.types || []) query.append("type", t);
  if (!vars.undated) query.set("undated", "false");
  const r = await fetch(`export?${query}`, {
    headers: {
      Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`,
      "X-Purpose": "locality mapping page: export",
      "X-Names": namesWanted(),
    },
  });
  if (r.status === 401) {
    if (again && (await refreshSignIn())) return exportFile(false);
    signOut("expired");
    return;
  }
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg || String(d)).join("; ") : body.detail || r.statusText;
    status(`Not exported: ${detail}`, true);
    return;
  }
  const given = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
  const name = (given ? given[1] : "contextgraph-export").replace("contextgraph-", `contextgraph-${locality}-`);
  const url = URL.createObjectURL(await r.blob());
  download(url, name);
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  status(`Exported ${name} for ${recipient}; the access log records the disclosure.`);
}

function forWhom() {
  const recipient = state.printLogged || $("export-recipient").value.trim();
  return recipient ? ` for ${recipient}` : "";
}

// The pack's running head, printed at the top of every page.
function drawPack(locality) {
  const vars = filters();
  const window = vars.since || vars.until ? ` — facts ${vars.since ? longDate(vars.since) : "from the start"} to ${vars.until ? longDate(vars.until) : "the latest"}` : "";
  $("pack").replaceChildren(
    el("p", {}, el("strong", {}, `${locality}${window}`), ` — prepared ${new Date().toLocaleString("en-GB")} by ${state.me.user} (${state.me.role})${forWhom()}`),
    el("p", {}, `${$("marking").textContent}. Every score comes with its reasons; each reason names its source notes, dates and gradings.`),
  );
}

// Before printing, each view is printed as a picture of the whole of it — the network entire,
// the map fitted to the locality — scaled into the space a page gives it, whatever the window.
// What the browser prints when nothing may be: a line saying so, in place of the pack.
function unprintable() {
  const note = el("div", { class: "print-pack" }, "Nothing printed: the page was not drawn as chosen. Print again once it is.");
  note.id = "print-pack";
  const old = $("print-pack");
  if (old) old.replaceWith(note);
  else document.body.append(note);
}

function printViews() {
  closeDrawer();
  if (state.cy) {
    state.cy.stop();
    $("network-print").src = state.cy.png({ full: true, maxWidth: 2200, maxHeight: 1500, bg: "#ffffff" });
  }
  // (asked again once the print layout hides the live map, as a PDF export does: the picture taken stays)
  const box = $("map").getBoundingClientRect();
  if (state.map && box.width > 0 && box.height > 0) {
    if (state.bounds) state.map.fitBounds(state.bounds, { animate: false });
    $("map-print").src = mapCanvas().toDataURL("image/png");
  }
  drawPack($("locality").value); // its head says who it is for
  buildPack();
}

// The printed pack is a table whose head — locality, window, date, author, marking — the browser
// repeats at the top of every page; its body holds copies of the views, the list and the hotspots.
function buildPack() {
  const copy = (node) => {
    const c = node.cloneNode(true);
    for (const x of [c, ...c.querySelectorAll("[id]")]) x.removeAttribute("id");
    return c;
  };
  const views = copy(document.querySelector("main .views"));
  const row = (...nodes) => el("tr", {}, el("td", {}, ...nodes));
  const list = el("aside", {}, el("h2", {}, "Linked to harm, not open to any service"), copy($("at-risk")));
  const hot = el("aside", {}, el("h2", {}, "Hotspots"), copy($("hotspots")));
  const head = copy($("pack"));
  // a row a part: the browser breaks pages between rows, and repeats the head on each
  const table = el(
    "table",
    { class: "print-pack" },
    el("thead", {}, row(head)),
    el("tbody", {}, row(views), ...(state.me.role === "mace" ? [] : [row(list)]), row(hot)),
  );
  table.id = "print-pack";
  const old = $("print-pack");
  if (old) old.replaceWith(table);
  else document.body.append(table);
}

// --- start -----------------------------------------------------------------------------

async function start() {
  state.config = await (await fetch("config.json")).json();
  $("types").replaceChildren(
    ...state.config.relationship_types.map((t) =>
      el("label", {}, el("input", { type: "checkbox", value: t, checked: true }), ` ${t.replace(/_/g, " ").toLowerCase()}`),
    ),
  );
  setupReview({ gql, el }, state.config.relationship_types);
  if (state.config.oidc) $("oidc").hidden = false;
  if (!state.config.token_paste) $("token").closest("label").hidden = true;
  $("signin").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const t = $("token").value.trim();
    if (!t) return status("Paste a token first.", true);
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token").value = "";
    try {
      await signedIn();
    } catch (e) {
      if (e.message !== "not signed in") status(e.message, true);
    }
  });
  $("oidc").addEventListener("click", () => oidcStart().catch((e) => status(e.message, true)));
  // the form is live only now: a sign-in sent before the page is wired would reload it and lose the token
  $("sign-in").disabled = false;
  $("sign-out").addEventListener("click", () => signOut());
  $("show").addEventListener("click", show);
  const refilter = () => show({ filterOnly: true });
  for (const id of ["since", "until", "undated"]) $(id).addEventListener("change", refilter);
  $("types").addEventListener("change", () => {
    // the new view is asked for first; the drawing shows the change itself (links of the types
    // left out hidden) only when the answer is slow to come: a quick answer draws it once, where
    // the change shown first and the answer after would each redraw the whole network
    refilter();
    const load = state.load;
    setTimeout(() => {
      // not when a view at least as new is drawn; otherwise (a later change refused, failed or
      // slow too) the boxes as they are now
      if (!state.cy || state.drawnLoad >= load) return;
      const types = chosenTypes();
      if (types && !types.length) return;
      const on = types ? new Set(types) : null;
      const cy = state.cy;
      cy.batch(() => {
        // only the links whose type changed are restyled: a type ticked again shows its links
        // with their ends; a type unticked hides its links, and the entities they leave with no
        // link in view (a flagged child and a person of concern stay)
        // (only while the dates are those of the view drawn: a window asked for since could
        // leave the links out as well, and the answer then says)
        const v = state.vars || {};
        const sameDates = ($("since").value || null) === (v.since || null) && ($("until").value || null) === (v.until || null);
        const back = sameDates ? cy.edges(".offtype").filter((e) => (on === null || on.has(e.data("type"))) && state.byId.has(e.data("source")) && state.byId.has(e.data("target"))) : cy.collection();
        back.removeClass("offtype");
        back.connectedNodes(".off").removeClass("off");
        if (on) {
          const gone = cy.edges().filter((e) => !on.has(e.data("type")) && shownLink(e));
          gone.addClass("offtype");
          gone.connectedNodes().forEach((n) => {
            const d = state.byId.get(n.id());
            if (d && staysUnlinked(d)) return;
            if (!n.connectedEdges().some(shownLink)) n.addClass("off");
          });
        }
        refocus(); // in the same batch: each element changed is restyled once
      });
      showHiddenCount();
      $("main").dataset.filtered = String(Math.round(performance.now()));
    }, SHOW_CHANGE_AFTER_MS);
  });
  $("locality").addEventListener("change", show);
  $("initials").addEventListener("change", async () => {
    // everything on the page was named as the box was: clear it, and ask again
    state.naming += 1; // an answer asked for before the change is not drawn
    const naming = state.naming;
    closeDrawer();
    if (!state.data) return;
    $("main").hidden = true; // named as the box was: not shown, printed nor pictured until redrawn
    status("Asking again for the naming chosen…");
    await carryOver().catch((e) => status(e.message, true));
    if (naming === state.naming) show(); // (not when the box changed again meanwhile)
  });
  $("find").addEventListener("keydown", (ev) => ev.key === "Enter" && find(ev.target.value));
  $("drawer-close").addEventListener("click", closeDrawer);
  $("save-view").addEventListener("click", saveView);
  $("saved-views").addEventListener("change", (ev) => ev.target.value && openView(ev.target.value));
  $("locality").addEventListener("change", () => loadViews().catch((e) => status(e.message, true)));
  $("by-group").addEventListener("change", () => showGroups().catch((e) => status(e.message, true)));
  $("show-hidden").addEventListener("click", () => {
    state.cy.elements(".hidden").removeClass("hidden");
    showHiddenCount();
  });
  setupTimeline();
  document.addEventListener("keydown", (ev) => ev.key === "Escape" && !$("drawer").hidden && closeDrawer());
  $("export").addEventListener("click", () => exportView("both"));
  $("export-network").addEventListener("click", () => exportView("network"));
  $("export-map").addEventListener("click", () => exportView("map"));
  $("export-file").addEventListener("click", () => exportFile().catch((e) => status(e.message, true)));
  $("print").addEventListener("click", () => printPack().catch((e) => status(e.message, true)));
  $("report-open").addEventListener("click", () => openReport().catch((e) => status(e.message, true)));
  $("report-close").addEventListener("click", () => $("report-dialog").close());
  $("report-print").addEventListener("click", () => $("report-frame").contentWindow.print());
  window.addEventListener("beforeprint", () => {
    // printed from the browser's menu (which cannot be stopped): only what is drawn as asked
    if (!drawnAsAsked()) return unprintable();
    printedFromMenu();
    printViews();
  });
  window.addEventListener("afterprint", () => {
    state.printLogged = null;
  });
  try {
    if (state.config.oidc && (await oidcFinish())) return signedIn();
    if (sessionStorage.getItem(TOKEN_KEY)) return signedIn();
  } catch (e) {
    if (e.message !== "not signed in") status(e.message, true);
    return;
  }
  const why = new URLSearchParams(location.search).get("signed-out");
  if (why) history.replaceState(null, "", location.pathname);
  status(SIGNED_OUT[why] || "Sign in to begin.", why === "expired");
}

start();
