// Review a note before it is recorded: the note's own text with every entity it would record
// highlighted, the entities and links listed with controls, and a commit that records what is
// shown. The note's text is only ever put on the page as text nodes, never as markup.
// Offsets from the service count Unicode code points; the page converts them to the UTF-16
// indices of JavaScript strings and back.

const KINDS = ["child", "person_of_concern", "location", "school", "group"];
const KIND_LABEL = { child: "child", person_of_concern: "person of concern", location: "place", school: "school", group: "group" };
const SERVICES = ["CSC", "YJS", "EARLY_HELP", "EXPLOITATION_TEAM", "CAMHS"];

const PREVIEW = `query($text: String!, $name: String) {
  notePreview(text: $text, name: $name) {
    name text digest sourceRef recorded kind date locality queued
    entities { id kind name aliases mentions confidence outcome existing { id kind name locality } candidates { id kind name locality } }
    links { id type source target date grading evidence confidence }
  }
}`;
const COMMIT = `mutation($text: String!, $name: String, $digest: String!, $edits: NoteEdits) {
  noteCommit(text: $text, name: $name, digest: $digest, edits: $edits) {
    result { status sourceRef created matched queued relationshipsAdded relationshipsUpdated }
    entities { id stored kind name merged }
    links { id type source target }
  }
}`;
const SEARCH = `query($t: String!, $kinds: [EntityKind!]) { search(text: $t, kinds: $kinds, first: 10) { id kind name locality } }`;

let api = null; // { gql, el }
let r = null; // the review in progress
let fileText = null; // an uploaded note's own text, while the box shows it unedited

const $ = (id) => document.getElementById(id);
const lower = (k) => String(k).toLowerCase();
const words = (t) => t.replace(/_/g, " ").toLowerCase();

// --- offsets: code points (the service) and UTF-16 indices (the page) -------------------------

function indexMaps(text) {
  const toUnit = []; // code point -> UTF-16 index
  let u = 0;
  for (const ch of text) {
    toUnit.push(u);
    u += ch.length;
  }
  toUnit.push(u);
  const toPoint = new Map(toUnit.map((x, i) => [x, i]));
  return { toUnit, toPoint };
}

// --- state ---------------------------------------------------------------------------------

function kindOf(id) {
  return r.retype.get(id) || lower(r.byId.get(id).kind);
}

function removedLink(l) {
  if (r.removeLinks.has(l.id)) return true;
  return r.remove.has(l.source) || (!l.target.startsWith("svc-") && r.remove.has(l.target));
}

function entityName(id) {
  if (r.byId.has(id)) return r.byId.get(id).name;
  if (id.startsWith("svc-")) return id.slice(4);
  return r.found.get(id)?.name || id;
}

function confidence(x) {
  return typeof x.confidence === "number" ? `confidence ${x.confidence.toFixed(2)}` : "";
}

// --- drawing ---------------------------------------------------------------------------------

function drawNote(focus = null) {
  const { el } = api;
  const text = r.p.text;
  const spans = [];
  for (const e of r.p.entities) for (const [a, b] of e.mentions) spans.push({ a, b, e });
  if (focus) spans.push({ a: focus[0], b: focus[1], evidence: true });
  spans.sort((x, y) => x.a - y.a || y.b - x.b);
  const parts = [];
  let at = 0;
  for (const s of spans) {
    if (s.a < at) continue; // overlapping: the first is kept
    if (s.a > at) parts.push(document.createTextNode(text.slice(r.maps.toUnit[at], r.maps.toUnit[s.a])));
    const shown = text.slice(r.maps.toUnit[s.a], r.maps.toUnit[s.b]);
    if (s.evidence) {
      parts.push(el("mark", { class: "evidence", title: "the evidence of the link chosen", "data-testid": "evidence-mark" }, shown));
    } else {
      const k = kindOf(s.e.id);
      const gone = r.remove.has(s.e.id);
      const title = [s.e.name, KIND_LABEL[k], confidence(s.e), gone ? "removed" : ""].filter(Boolean).join(" — ");
      parts.push(
        el("mark", { class: `m k-${k}${gone ? " gone" : ""}`, title, "data-testid": "mention", "data-entity": s.e.id, "data-kind": k }, shown),
      );
    }
    at = s.b;
  }
  const end = [...text].length;
  if (at < end) parts.push(document.createTextNode(text.slice(r.maps.toUnit[at])));
  $("review-note").replaceChildren(...parts);
}

function kindSelect(e) {
  const { el } = api;
  const s = el("select", { "aria-label": `Kind of ${e.name}`, "data-testid": "entity-kind" });
  for (const k of KINDS) s.append(el("option", { value: k, selected: k === kindOf(e.id) }, KIND_LABEL[k]));
  s.disabled = r.remove.has(e.id);
  s.addEventListener("change", () => {
    if (s.value === lower(e.kind)) r.retype.delete(e.id);
    else r.retype.set(e.id, s.value);
    redraw();
  });
  return s;
}

function mergeSelect(e) {
  const { el } = api;
  const s = el("select", { "aria-label": `Record ${e.name} is filed under`, "data-testid": "entity-merge" });
  const chosen = r.merge.has(e.id) ? r.merge.get(e.id) : undefined;
  const opt = (value, label) => el("option", { value, selected: value === (chosen === undefined ? "" : chosen ?? "new") }, label);
  s.append(opt("", e.existing ? `as proposed: on record as ${e.existing.name} (${e.existing.id})` : "as proposed: a new record"));
  if (e.existing) s.append(opt("new", "a new record, not that one"));
  for (const c of [...e.candidates, ...(r.options.get(e.id) || [])]) {
    if (c.id !== e.existing?.id) s.append(opt(c.id, `on record: ${c.name} (${c.id}, ${c.locality || "no locality"})`));
  }
  s.disabled = r.remove.has(e.id);
  s.addEventListener("change", () => {
    if (s.value === "") r.merge.delete(e.id);
    else r.merge.set(e.id, s.value === "new" ? null : s.value);
    redraw();
  });
  return s;
}

function findBox(e) {
  const { el } = api;
  const box = el("input", { type: "search", placeholder: "find a record, Enter", "aria-label": `Find a record of yours for ${e.name}`, "data-testid": "entity-find" });
  box.addEventListener("keydown", async (ev) => {
    if (ev.key !== "Enter" || !box.value.trim()) return;
    ev.preventDefault();
    try {
      const found = (await api.gql(SEARCH, { t: box.value.trim(), kinds: [kindOf(e.id).toUpperCase()] })).search;
      r.options.set(e.id, found);
      for (const f of found) r.found.set(f.id, f);
      result(found.length ? `${found.length} record${found.length > 1 ? "s" : ""} found for ${e.name}: choose one under “filed under”.` : `No record of yours is called “${box.value.trim()}”.`);
      redraw();
    } catch (err) {
      result(err.message, true);
    }
  });
  return box;
}

function drawEntities() {
  const { el } = api;
  $("review-entities").replaceChildren(
    ...r.p.entities.map((e) => {
      const gone = r.remove.has(e.id);
      const k = kindOf(e.id);
      const outcome =
        e.outcome === "match" ? `on record as ${e.existing.name}` : e.outcome === "review" ? "may be on record: left for review" : "new";
      const remove = el("button", { type: "button", "data-testid": "entity-remove", "aria-pressed": String(gone) }, gone ? "Keep" : "Remove");
      remove.setAttribute("aria-label", `${gone ? "Keep" : "Remove"} ${e.name}`);
      remove.addEventListener("click", () => {
        if (gone) r.remove.delete(e.id);
        else r.remove.add(e.id);
        redraw();
      });
      return el(
        "li",
        { class: gone ? "gone" : "", "data-testid": "review-entity", "data-entity": e.id },
        el("span", { class: `swatch k-${k}`, title: KIND_LABEL[k] }),
        el("span", { class: "what" }, el("strong", {}, e.name), e.aliases.length ? ` (${e.aliases.join(", ")})` : ""),
        el("span", { class: "note" }, [outcome, confidence(e), `${e.mentions.length} mention${e.mentions.length === 1 ? "" : "s"}`].filter(Boolean).join(" · ")),
        el("label", {}, "Kind ", kindSelect(e)),
        el("label", {}, "Filed under ", mergeSelect(e)),
        findBox(e),
        remove,
      );
    }),
  );
  for (const li of document.querySelectorAll("#review-entities li")) {
    const k = kindOf(li.dataset.entity);
    li.querySelector(".swatch").style.background = KIND_COLOURS[k];
  }
}

const KIND_COLOURS = { child: "#c62828", person_of_concern: "#6a1b9a", location: "#1565c0", school: "#455a64", group: "#ef6c00" };

function linkText(l) {
  return `${entityName(l.source)} ${words(l.type)} ${entityName(l.target)}`;
}

function drawLinks() {
  const { el } = api;
  const items = r.p.links.map((l) => {
    const gone = removedLink(l);
    const byEntity = !r.removeLinks.has(l.id) && gone;
    const facts = [l.date || "undated", l.grading || "ungraded", confidence(l)].filter(Boolean).join(" · ");
    const remove = el("button", { type: "button", "data-testid": "link-remove" }, r.removeLinks.has(l.id) ? "Keep" : "Remove");
    remove.setAttribute("aria-label", `${r.removeLinks.has(l.id) ? "Keep" : "Remove"} the link ${linkText(l)}`);
    remove.disabled = byEntity;
    remove.addEventListener("click", () => {
      if (r.removeLinks.has(l.id)) r.removeLinks.delete(l.id);
      else r.removeLinks.add(l.id);
      redraw();
    });
    const show = el("button", { type: "button", class: "small", "data-testid": "link-evidence" }, "Show in the note");
    show.setAttribute("aria-label", `Show where the note says ${linkText(l)}`);
    show.disabled = !l.evidence;
    show.addEventListener("click", () => {
      drawNote(l.evidence);
      document.querySelector("#review-note mark.evidence")?.scrollIntoView({ block: "nearest" });
    });
    return el(
      "li",
      { class: gone ? "gone" : "", "data-testid": "review-link", "data-link": l.id },
      el("span", { class: "what" }, linkText(l)),
      el("span", { class: "note" }, byEntity ? `${facts} · goes with the entity removed` : facts),
      show,
      remove,
    );
  });
  const added = r.added.map((a, i) => {
    const remove = el("button", { type: "button", "data-testid": "added-remove" }, "Remove");
    remove.setAttribute("aria-label", `Remove the link added ${a.label}`);
    remove.addEventListener("click", () => {
      r.added.splice(i, 1);
      redraw();
    });
    return el(
      "li",
      { "data-testid": "review-added" },
      el("span", { class: "what" }, el("em", {}, "added: "), a.label),
      el("span", { class: "note" }, `“${a.quote}”`),
      remove,
    );
  });
  $("review-links").replaceChildren(...items, ...added);
}

function endOptions(select, side) {
  const { el } = api;
  const keep = select.value;
  const opts = r.p.entities.filter((e) => !r.remove.has(e.id)).map((e) => el("option", { value: `p:${e.id}` }, `${e.name} (${KIND_LABEL[kindOf(e.id)]}, in the note)`));
  for (const f of r.found.values()) opts.push(el("option", { value: `x:${f.id}` }, `${f.name} (${KIND_LABEL[lower(f.kind)]}, on record ${f.id})`));
  if (side === "target") for (const s of SERVICES) opts.push(el("option", { value: `s:${s}` }, `${s} (service)`));
  select.replaceChildren(...opts);
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

function drawAdd() {
  endOptions($("add-source"), "source");
  endOptions($("add-target"), "target");
  $("add-link").disabled = !r.selection;
}

function redraw() {
  drawNote();
  drawEntities();
  drawLinks();
  drawAdd();
}

function result(text, error = false, nodes = []) {
  const box = $("review-result");
  box.classList.toggle("error", error);
  box.setAttribute("role", error ? "alert" : "status");
  box.replaceChildren(api.el("p", {}, text), ...nodes);
}

// --- selection: the evidence of a link added ---------------------------------------------------

function selectionSpan() {
  const sel = document.getSelection();
  const pre = $("review-note");
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!pre.contains(range.startContainer) || !pre.contains(range.endContainer)) return null;
  const upTo = (node, offset) => {
    const before = document.createRange();
    before.setStart(pre, 0);
    before.setEnd(node, offset);
    return before.toString().length;
  };
  let a = upTo(range.startContainer, range.startOffset);
  let b = upTo(range.endContainer, range.endOffset);
  const text = r.p.text;
  while (a < b && /\s/.test(text[a])) a++;
  while (b > a && /\s/.test(text[b - 1])) b--;
  if (a >= b) return null;
  const pa = r.maps.toPoint.get(a);
  const pb = r.maps.toPoint.get(b);
  if (pa === undefined || pb === undefined) return null; // inside a character written as two units
  return [pa, pb];
}

function onSelection() {
  if (!r) return;
  const span = selectionSpan();
  if (!span) return;
  r.selection = span;
  const quote = r.p.text.slice(r.maps.toUnit[span[0]], r.maps.toUnit[span[1]]);
  $("review-selection").textContent = `Evidence selected: “${quote}”. Choose the two ends and the type, then add the link.`;
  $("add-link").disabled = false;
}

function addLink() {
  if (!r.selection) return;
  const end = (v) => (v.startsWith("p:") ? { proposed: v.slice(2) } : v.startsWith("x:") ? { existing: v.slice(2) } : { service: v.slice(2) });
  const s = $("add-source").value;
  const t = $("add-target").value;
  const type = $("add-type").value;
  if (!s || !t) return result("Choose both ends of the link.", true);
  if (s === t) return result("A link joins two different entities.", true);
  const span = r.selection;
  const quote = r.p.text.slice(r.maps.toUnit[span[0]], r.maps.toUnit[span[1]]);
  const name = (v) => entityName(v.slice(2).startsWith("svc-") ? v.slice(2) : v.startsWith("s:") ? `svc-${v.slice(2)}` : v.slice(2));
  r.added.push({ type, source: end(s), target: end(t), evidence: span, quote, label: `${name(s)} ${words(type)} ${name(t)}` });
  r.selection = null;
  $("review-selection").textContent = "Link added. Select more text to add another.";
  result(`Link added: ${name(s)} ${words(type)} ${name(t)}.`);
  redraw();
}

// --- preview and commit ----------------------------------------------------------------------

async function previewNote() {
  const text = fileText && fileText.source === $("review-text").value ? fileText.text : $("review-text").value;
  if (!text.trim()) return result("Paste a note or upload one first.", true);
  const name = $("review-name").value.trim() || "note.md";
  result("Reading the note…");
  try {
    const p = (await api.gql(PREVIEW, { text, name })).notePreview;
    r = {
      p,
      name,
      maps: indexMaps(p.text),
      byId: new Map(p.entities.map((e) => [e.id, e])),
      remove: new Set(),
      retype: new Map(),
      merge: new Map(),
      removeLinks: new Set(),
      added: [],
      options: new Map(),
      found: new Map(),
      selection: null,
    };
    $("review-meeting").textContent = `${p.kind} — ${p.locality || "no locality"} — ${p.date || "undated"}; to be recorded as ${p.sourceRef}.`;
    $("review-body").hidden = false;
    redraw();
    const held = p.queued ? (p.queued.entities || []).length + (p.queued.relationships || []).length : 0;
    const queued = held
      ? ` ${held} ${held === 1 ? "fact is" : "facts are"} below the confidence threshold: committing queues ${held === 1 ? "it" : "them"} for review (with ${held === 1 ? "its" : "their"} sentence), not in the graph.`
      : "";
    if (p.recorded) result(`This note is already recorded (${p.recorded}): committing it again changes nothing.`);
    else result(`${p.entities.length} entities and ${p.links.length} links would be recorded.${queued} Review them, then commit.`);
  } catch (e) {
    $("review-body").hidden = true;
    result(e.message, true);
  }
}

function edits() {
  return {
    remove: [...r.remove],
    retype: [...r.retype].filter(([id]) => !r.remove.has(id)).map(([entity, kind]) => ({ entity, kind: kind.toUpperCase() })),
    merge: [...r.merge].filter(([id]) => !r.remove.has(id)).map(([entity, into]) => ({ entity, into })),
    removeLinks: [...r.removeLinks],
    addLinks: r.added.map(({ type, source, target, evidence }) => ({ type, source, target, evidence })),
  };
}

async function commitNote() {
  if (!r) return;
  const { el } = api;
  $("review-commit").disabled = true;
  try {
    const c = (await api.gql(COMMIT, { text: r.p.text, name: r.name, digest: r.p.digest, edits: edits() })).noteCommit;
    const res = c.result;
    if (res.status === "unchanged") {
      result(`Already recorded as ${res.sourceRef}: nothing changed.`);
    } else {
      const stored = new Map(c.entities.map((e) => [e.stored, e.name]));
      const name = (id) => stored.get(id) || entityName(id);
      result(
        `Recorded as ${res.sourceRef}: ${c.entities.length} entities (${c.entities.filter((e) => e.merged).length} filed under records already there), ${c.links.length} links.`,
        false,
        [
          el("ul", { "data-testid": "written-entities" }, ...c.entities.map((e) => el("li", {}, `${e.name} — ${KIND_LABEL[lower(e.kind)]}, ${e.merged ? "filed under" : "new record"} ${e.stored}`))),
          el("ul", { "data-testid": "written-links" }, ...c.links.map((l) => el("li", {}, `${name(l.source)} ${words(l.type)} ${name(l.target)}`))),
        ],
      );
    }
    $("review-body").hidden = true;
    r = null;
  } catch (e) {
    result(`Nothing was recorded: ${e.message}`, true);
  } finally {
    $("review-commit").disabled = false;
  }
}

// --- start -----------------------------------------------------------------------------------

export function setupReview(helpers, relationshipTypes) {
  api = helpers;
  const { el } = api;
  $("add-type").replaceChildren(...relationshipTypes.map((t) => el("option", { value: t }, words(t))));
  $("review-legend").replaceChildren(
    ...KINDS.map((k) => el("span", {}, el("i", { class: `k-${k}`, style: `background:${KIND_COLOURS[k]}` }), KIND_LABEL[k])),
  );
  $("review-preview").addEventListener("click", previewNote);
  $("review-commit").addEventListener("click", commitNote);
  $("add-link").addEventListener("click", addLink);
  $("review-note").addEventListener("mouseup", onSelection);
  $("review-note").addEventListener("keyup", onSelection);
  $("add-find").addEventListener("keydown", async (ev) => {
    if (ev.key !== "Enter" || !ev.target.value.trim() || !r) return;
    ev.preventDefault();
    try {
      const found = (await api.gql(SEARCH, { t: ev.target.value.trim(), kinds: null })).search;
      for (const f of found) r.found.set(f.id, f);
      result(found.length ? `${found.length} record${found.length > 1 ? "s" : ""} of yours added to the ends to choose from.` : "No record of yours by that name.");
      drawAdd();
    } catch (e) {
      result(e.message, true);
    }
  });
  $("review-file").addEventListener("change", async (ev) => {
    const f = ev.target.files[0];
    if (!f) return;
    if (!/\.(md|txt)$/i.test(f.name)) return result("Upload a .md or .txt note.", true);
    const text = await f.text();
    $("review-text").value = text;
    $("review-name").value = f.name;
    // the file's own text (line endings as written), as long as it is not edited in the box
    fileText = { text, source: $("review-text").value };
  });
}

export function showReview(me) {
  // only for roles that may write; a role that may not never sees the panel
  $("review").hidden = !me.mayRecordNotes;
  if (!me.mayRecordNotes) {
    r = null;
    $("review-body").hidden = true;
    $("review-result").replaceChildren();
  }
}
