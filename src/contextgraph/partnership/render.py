"""A partnership report written out: JSON and CSV for those who count again, and one HTML file —
its charts drawn by matplotlib as SVG inside it, so that it can be emailed whole — that prints
to a PDF with the handling marking and the period on every page (:mod:`.pdf`).

Counts below the report's small count (for a recipient outside the partnership) are shown as
``<5``, in every format, and a count beside one that would let it be worked back as ``withheld``.

>>> suppressed({"children": 3, "by_level": {"red": 12, "green": 1, "amber": 9}, "rows": (4, 0), "mean": 2.5}, 5)
{'children': '<5', 'by_level': {'red': 12, 'green': '<5', 'amber': 'withheld'}, 'rows': ['<5', 0], 'mean': None}
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from ..interchange.analyst import cell
from ..model.demographics import ETHNICITY
from ..model.tracking import CODE_LISTS
from .build import Report


def suppressed(value: Any, below: int | None) -> Any:
    """``value`` (a report as plain data) with each whole number from 1 to ``below`` - 1 shown as
    ``<below``, and as :func:`outside` hides more beside it (ranks are not counts)."""
    if below is None:
        return value
    return _suppress(value, below, frozenset())[0]


WITHHELD = "withheld"
"""How a count is shown that is not small itself but hidden so that a small one beside it cannot
be worked back from it (secondary suppression)."""
NOT_COUNTS = frozenset({"rank", "small_count"})
"""Keys of whole numbers that are not counts of anyone."""


def _count(key: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and key not in NOT_COUNTS


def to_hide(cells: dict[Any, int], below: int) -> set[Any]:
    """Which of sibling counts ``cells`` to hide: each from 1 to ``below`` - 1, and then the
    smallest of the others shown (zeros apart) until no hidden one can be worked out from their
    sum — which a total shown elsewhere gives — and what each label says of it (a small one is
    1 to ``below`` - 1, one withheld at least ``below``): two or more hidden, adding up to ``below``
    or more, and neither all at their least nor all small ones at their most.

    >>> sorted(to_hide({"female": 11, "male": 16, "not_known": 2}, 5))
    ['female', 'not_known']
    >>> sorted(to_hide({"a": 1, "b": 2, "c": 0, "d": 9}, 5)), to_hide({"a": 7, "b": 0}, 5)
    (['a', 'b', 'd'], set())
    >>> sorted(to_hide({"green": 5, "amber": 4, "red": 4}, 5))  # 4 and 4 would be all they can be
    ['amber', 'green', 'red']
    """
    hidden = {k for k, v in cells.items() if 0 < v < below}
    while hidden:
        small = sum(1 for k in hidden if cells[k] < below)
        withheld = len(hidden) - small
        total = sum(cells[k] for k in hidden)
        least, most = small + withheld * below, small * (below - 1)
        if len(hidden) >= 2 and total >= below and total > least and (withheld or total < most):
            break
        rest = sorted((v, str(k), k) for k, v in cells.items() if k not in hidden and v > 0)
        if not rest:
            break
        hidden.add(rest[0][2])
    return hidden


TOTALS = frozenset({"children", "total", "episodes"})
"""Keys of counts that are wholes whose parts are counted beside them, and are given again in
other sections: hidden only when small themselves (hiding one here would not hide it there)."""


def _records(value: Any) -> bool:
    """Whether ``value`` is a list of records each counting a part (a cohort's groups)."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(x, dict) and _count("count", x.get("count")) for x in value)
    )


def _shown(v: int, below: int) -> str:
    return f"<{below}" if 0 < v < below else WITHHELD


def _suppress(value: Any, below: int, forced: frozenset[Any]) -> tuple[Any, bool]:
    """``value`` suppressed, and whether a count directly in it was hidden; ``forced``: keys of
    ``value`` to hide as its siblings elsewhere decided (a record's count in a list)."""
    if isinstance(value, list | tuple):
        if _records(value):
            hide = to_hide({i: x["count"] for i, x in enumerate(value)}, below)
            return [
                _suppress(x, below, frozenset({"count"} if i in hide else ()))[0] for i, x in enumerate(value)
            ], False
        ints = {i: x for i, x in enumerate(value) if _count(None, x)}
        hide = to_hide(ints, below) if len(ints) > 1 else {i for i, x in ints.items() if 0 < x < below}
        return [
            _shown(x, below) if i in hide else _suppress(x, below, frozenset())[0] for i, x in enumerate(value)
        ], False
    if not isinstance(value, dict):
        return (_shown(value, below) if _count(None, value) and 0 < value < below else value), False
    # the parts of one whole: the dict's own counts and the counts of its lists of records
    cells: dict[tuple[Any, Any], int] = {
        ("", k): v for k, v in value.items() if _count(k, v) and k not in TOTALS and k not in forced
    }
    lists = {k: v for k, v in value.items() if _records(v)}
    cells.update({(k, i): r["count"] for k, rows in lists.items() for i, r in enumerate(rows)})
    hide = to_hide(cells, below)
    own = {k for a, k in hide if a == ""} | set(forced)
    own |= {k for k in TOTALS if _count(k, value.get(k)) and 0 < value[k] < below}
    out: dict[Any, Any] = {}
    for k, v in value.items():
        if k in own and _count(k, v):
            out[k] = _shown(v, below)
        elif k in lists:
            out[k] = [_suppress(r, below, frozenset({"count"} if (k, i) in hide else ()))[0] for i, r in enumerate(v)]
        elif isinstance(v, dict | list | tuple):
            out[k] = _suppress(v, below, frozenset())[0]
        else:
            out[k] = v
    hidden_here = bool(own & set(value))
    if hidden_here:  # every figure worked out from a count hidden here is left out too
        for k, v in out.items():
            if isinstance(v, float) or (isinstance(v, dict) and v and all(isinstance(x, float) for x in v.values())):
                out[k] = None
    return out, hidden_here


def _outside(data: dict[str, Any], below: int) -> dict[str, Any]:
    """What a recipient outside the partnership is shown: every small count suppressed, with the
    counts beside it that would let it be worked back (:func:`to_hide`), and every figure worked
    out from one (a rate, a mean, a share, an interval) left out."""
    out: dict[str, Any] = suppressed(data, below)
    out["small_count"] = below
    return out


def plain(report: Report) -> dict[str, Any]:
    """The report as plain data (lists, not tuples), with what a recipient outside the partnership
    may not see left out when it is for one."""
    data: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(report))
    data["where"] = report.where
    data["marking"] = report.marking
    return _outside(data, report.small_count) if report.small_count else data


def to_json(report: Report) -> bytes:
    return msgspec.json.format(msgspec.json.encode(plain(report)))


def rows(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str, Any]]:
    """(section, measure, value) for each figure: the measure a path of keys."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from rows(v, (*path, str(k)))
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        for i, v in enumerate(data):
            key = v.get("measure") or v.get("name") or v.get("group") or v.get("dimension") or str(i)
            if "respondent" in v:
                key = f"{v['respondent']} {v['stage']}"
            yield from rows({k: x for k, x in v.items() if x is not key}, (*path, str(key)))
    elif path:
        yield (path[0], ".".join(path[1:]), "; ".join(map(str, data)) if isinstance(data, list) else data)


def to_csv(report: Report) -> bytes:
    """One row per figure: section, measure, value (the methods left out)."""
    data = plain(report)
    data.pop("methods", None)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "measure", "value"])
    for section, measure, value in rows(data):  # a place's or an agency's name can read as a formula
        w.writerow([cell(section), cell(measure), cell(value, numeric=isinstance(value, int | float))])
    return buf.getvalue().encode("utf-8")


# --- HTML ----------------------------------------------------------------------------------------

STYLE = """
@page { size: A4; margin: 12mm 14mm; }
body { font: 10.5pt/1.4 system-ui, "DejaVu Sans", sans-serif; color: #1d2330; margin: 0 auto; max-width: 190mm; }
table.page { width: 100%; border: 0; margin: 0; font-size: inherit; }
table.page > thead td, table.page > tfoot td { border: 0; font-size: 8.5pt; padding: 0.2rem 0 0.6rem; }
table.page > thead td { color: #7a1010; font-weight: 600; }
table.page > tfoot td { color: #5b6472; padding: 0.6rem 0 0; }
table.page > tbody > tr > td { border: 0; padding: 0; }
h1 { font-size: 17pt; margin: 0 0 0.2rem; } h2 { font-size: 13pt; margin: 1.2rem 0 0.3rem; break-after: avoid; }
h3 { font-size: 11pt; margin: 0.6rem 0 0.2rem; break-after: avoid; }
section { break-inside: auto; } figure { margin: 0.4rem 0; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
p.method { color: #5b6472; font-size: 9pt; margin: 0.2rem 0 0.4rem; }
p.warning { color: #7a1010; font-weight: 600; }
table { border-collapse: collapse; margin: 0.3rem 0; font-size: 9.5pt; break-inside: avoid; }
th, td { border-bottom: 1px solid #d6dbe3; padding: 0.15rem 0.5rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.small { color: #7a8391; font-style: italic; }
.summary { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; margin: 0.5rem 0; }
.summary div { border-left: 3px solid #1565c0; padding-left: 0.4rem; }
.summary b { display: block; font-size: 14pt; }
"""

BLUE, GREY, RED = "#1565c0", "#9aa5b1", "#c62828"


def _svg(draw: Callable[[Any], None], width: float = 6.6, height: float = 2.3) -> str:
    """A chart drawn by ``draw(axes)``, as SVG text (matplotlib, without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    try:
        draw(ax)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=8)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    finally:
        plt.close(fig)
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.S)  # no date, no licence
    return text


def _bars(values: dict[str, Any], colour: str = BLUE, horizontal: bool = False) -> Callable[[Any], None]:
    """Bars of counts, whole numbers on the axis; a suppressed count (``<5``) is written where its
    bar would stand, not drawn as nothing."""
    numbers = {k: (v if isinstance(v, (int, float)) else 0) for k, v in values.items()}
    hidden = {k: v for k, v in values.items() if isinstance(v, str)}

    def draw(ax: Any) -> None:
        from matplotlib.ticker import MaxNLocator

        keys = list(numbers)
        if horizontal:
            ax.barh(keys[::-1], [numbers[k] for k in keys][::-1], color=colour)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            for k, v in hidden.items():
                ax.text(0, keys[::-1].index(k), f" {v}", va="center", fontsize=7, color=GREY)
        else:
            ax.bar(keys, [numbers[k] for k in keys], color=colour)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            for k, v in hidden.items():
                ax.text(keys.index(k), 0, v, ha="center", va="bottom", fontsize=7, color=GREY)
            if len(keys) > 8:
                ax.tick_params(axis="x", labelrotation=45)

    return draw


def _bar_figure(values: dict[str, Any], caption: str, horizontal: bool = False) -> str:
    """A bar chart of ``values`` with its caption (nothing when there are none)."""
    if not values:
        return ""
    chart = _svg(_bars(values, horizontal=horizontal), height=2.6 if horizontal else 2.3)
    return f"<figure>{chart}<figcaption>{_e(caption)}</figcaption></figure>"


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _n(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    if isinstance(x, int):
        return f"{x:,}"
    return _e(x if x is not None else "—")


def _table(head: list[str], body: list[list[Any]], numeric_from: int = 1) -> str:
    th = "".join(f'<th class="{"n" if i >= numeric_from else ""}">{_e(h)}</th>' for i, h in enumerate(head))
    tr = "".join(
        "<tr>"
        + "".join(f'<td class="{"n" if i >= numeric_from else ""}">{_n(v)}</td>' for i, v in enumerate(row))
        + "</tr>"
        for row in body
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{tr}</tbody></table>"


def _counts(title: str, values: dict[str, Any], label: str = "") -> str:
    if not values:
        return ""
    return f"<h3>{_e(title)}</h3>" + _table([label or title, "count"], [[k, v] for k, v in values.items()])


def _section(key: str, title: str, body: str, data: dict[str, Any], empty: bool) -> str:
    method = f'<p class="method">Method: {_e(data["methods"][key])}</p>'
    inner = '<p class="small">No records in this period.</p>' if empty else body
    return f'<section id="{key}"><h2>{_e(title)}</h2>{method}{inner}</section>'


def to_html(report: Report) -> str:
    """The report as one self-contained HTML file."""
    d = plain(report)
    p = d["period"]
    where = d["where"]
    sections = [
        _referrals(d),
        _caseload(d),
        _pathway(d),
        _missing(d),
        _before_during(d),
        _outcomes(d),
        _contexts(d),
        _representation(d),
        _quality(d),
    ]
    note = (
        f'<p class="warning">For a recipient outside the partnership: counts below {report.small_count} are shown as '
        f"&lt;{report.small_count}, a count that would let one of them be worked out as {WITHHELD}, and a rate, "
        "mean or share worked out from either is left out.</p>"
        if report.small_count
        else ""
    )
    # the marking and the period in a table's head and foot, which a browser prints on every page
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Partnership report, {_e(where)}, {_e(p['start'])} to {_e(p['end'])}</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<table class="page"><thead><tr><td class="marking">{_e(d["marking"])}</td></tr></thead>'
        f'<tfoot><tr><td class="marking">{_e(where)}, {_e(p["start"])} to {_e(p["end"])} · contextgraph partnership '
        f"report · made {_e(d['made'])}</td></tr></tfoot><tbody><tr><td>"
        f"<h1>Partnership report: {_e(where)}</h1>"
        f"<p>{_e(p['start'])} to {_e(p['end'])}. Figures only: no child is named.</p>{note}"
        + _summary(d)
        + "".join(sections)
        + "</td></tr></tbody></table></body></html>"
    )


def _summary(d: dict[str, Any]) -> str:
    m, c, r = d["missing"], d["caseload"], d["referrals"]
    items = [
        ("referrals", r["total"]),
        ("accepted", r["by_decision"]["accepted"]),
        ("on the caseload at the end", c["children"]),
        ("missing episodes", m["episodes"]),
        ("children missing", m["children"]),
        ("return interviews within 72 hours", m["within_72_hours"]),
    ]
    return '<div class="summary">' + "".join(f"<div><b>{_n(v)}</b>{_e(k)}</div>" for k, v in items) + "</div>"


def _referrals(d: dict[str, Any]) -> str:
    r = d["referrals"]
    body = (
        f"<p>{_n(r['total'])} referrals about {_n(r['children'])} children: "
        f"{_n(r['by_decision']['accepted'])} accepted, "
        f"{_n(r['by_decision']['rejected'])} not accepted, {_n(r['by_decision']['pending'])} not yet decided; "
        f"{_n(r['to_plan'])} of those accepted became a plan.</p>"
        + _bar_figure(r["by_month"], "Referrals by month")
        + _counts("By locality", r["by_locality"], "locality")
        + _counts("By the agency that referred", r["by_agency"], "agency")
        + _counts(
            "By exploitation of concern",
            {CODE_LISTS["exploitation_type"].get(k, k): v for k, v in r["by_type"].items()},
            "exploitation",
        )
        + _counts("Why referrals were not accepted (as coded)", r["rejected_reasons"], "reason")
    )
    return _section("referrals", "1. Referrals", body, d, r["total"] == 0)


def _caseload(d: dict[str, Any]) -> str:
    c = d["caseload"]
    cap = c["capacity"]
    against = (
        f" against a capacity of {_n(cap)}"
        if cap is not None
        else " (no capacity is configured: CONTEXTGRAPH_TEAM_CAPACITY)"
    )
    body = (
        f"<p>{_n(c['children'])} children open to the exploitation team on {_e(c['on'])}{against}; "
        f"{_n(c['started'])} started and {_n(c['ended'])} ended in the period.</p>"
        + _bar_figure(c["by_level"], "Caseload by level on the pathway")
        + _counts("By level on the pathway", c["by_level"], "level")
    )
    return _section("caseload", "2. Caseload", body, d, c["children"] == 0 and c["started"] == 0)


def _pathway(d: dict[str, Any]) -> str:
    p = d["pathway"]
    cols = list(next(iter(p["transitions"].values()), {b: 0 for b in [*p["levels"], "left"]}))
    body_rows = [[f"from {a}", *[t.get(b, 0) for b in cols]] for a, t in p["transitions"].items()]
    body = (
        f"<p>{_n(p['stepped_up'])} children stepped up and {_n(p['stepped_down'])} stepped down between the start and "
        f"the end of the period; {_n(p['same'])} ended where they started, {_n(p['new'])} were new and {_n(p['left'])} "
        f"left; {_n(p['other'])} moved to or from a level no longer configured. In all, {_n(p['steps_up'])} steps "
        f"up and {_n(p['steps_down'])} steps down were assessed.</p>"
        + _table(["level before", *[f"at the end: {c}" for c in cols]], body_rows)
        + _counts("Mean days on each level in the period", p["mean_days"], "level")
    )
    return _section("pathway", "3. Pathway movement", body, d, not p["transitions"])


def _missing(d: dict[str, Any]) -> str:
    m = d["missing"]
    body = (
        f"<p>{_n(m['episodes'])} episodes of {_n(m['children'])} children ({_n(m['per_child'])} each). "
        "Return interviews: "
        f"{_n(m['interviews_done'])} done, {_n(m['within_72_hours'])} within 72 hours, {_n(m['declined'])} declined, "
        f"{_n(m['not_offered'])} not offered, {_n(m['no_interview_recorded'])} with none recorded. "
        f"{_n(m['out_of_area'])} ended out of the area; {_n(m['together'])} episodes were with another child "
        f"({_n(m['pairs'])} pairs, {_n(m['repeat_pairs'])} together on more than one day).</p>"
        + _bar_figure(m["by_month"], "Missing episodes by month")
        + _counts("Where episodes ended most often", m["ended_at"], "place")
    )
    return _section("missing", "4. Missing from home and care", body, d, m["episodes"] == 0)


def _before_during(d: dict[str, Any]) -> str:
    b = d["before_and_during"]
    rows_ = b["rows"]

    def draw(ax: Any) -> None:
        names = [r["measure"] for r in rows_]
        x = range(len(names))
        ax.bar([i - 0.2 for i in x], [r["rate_before"] or 0 for r in rows_], 0.4, color=GREY, label="the year before")
        ax.bar([i + 0.2 for i in x], [r["rate_during"] or 0 for r in rows_], 0.4, color=BLUE, label="since the start")
        ax.set_xticks(list(x), [n.replace("investigations as ", "inv. ") for n in names])
        ax.set_ylabel("a child-year", fontsize=8)
        ax.legend(fontsize=8, frameon=False)

    table = _table(
        ["measure", "before", "rate before", "during", "rate during", "change"],
        [
            [
                r["measure"] + (" (too few to mean much)" if r["small"] else ""),
                r["before"],
                r["rate_before"],
                r["during"],
                r["rate_during"],
                f"{r['change']:+.0%}" if isinstance(r["change"], float) else "—",
            ]
            for r in rows_
        ],
    )
    warn = f'<p class="warning">{_e(b["warning"])}</p>' if b["warning"] else ""
    body = (
        f"<p>{_n(b['children'])} children who started with the team: {_n(b['years_before'])} child-years before, "
        f"{_n(b['years_during'])} since.</p>{warn}<figure>{_svg(draw)}<figcaption>Records a child-year, before and "
        f"since the start</figcaption></figure>{table}"
    )
    return _section("before_and_during", "5. Before and during", body, d, b["children"] == 0)


def _outcomes(d: dict[str, Any]) -> str:
    o = d["outcomes"]
    scores = _table(
        ["who answered", "when", "mean score (0-10)", "answers"],
        [[s["respondent"], s["stage"], s["mean"], s["count"]] for s in o["scores"]],
        2,
    )
    body = (
        f"<p>{_n(o['reviews'])} outcome reviews, {_n(o['left'])} of children who left the team; "
        f"{_n(o['no_benchmark'])} met no benchmark.</p>"
        + (_bar_figure(o["benchmarks"], "Reviews meeting each benchmark", horizontal=True) if o["reviews"] else "")
        + _counts("Benchmarks met", o["benchmarks"], "benchmark")
        + ("<h3>Scores</h3>" + scores if o["scores"] else "")
    )
    return _section("outcomes", "6. Outcomes", body, d, o["reviews"] == 0)


def _contexts(d: dict[str, Any]) -> str:
    c = d["contexts"]
    hot = _table(
        ["rank", "place", "locality", "score", "children at risk", "persons of concern", "last linked"],
        [
            [
                h["rank"],
                h["name"],
                h["locality"],
                h["score"],
                h["children_at_risk"],
                h["persons_of_concern"],
                h["last_seen"],
            ]
            for h in d["hotspots"]
        ],
        3,
    )
    body = (
        f"<p>{_n(c['plans'])} plans and conferences opened, "
        f"{_n(c['actions'])} actions agreed ({_n(c['actions_open'])} not yet done); disruption in respect of "
        f"{_n(c['children_named'])} children.</p>"
        + _counts("Plans and conferences by kind", c["plans_by_kind"], "kind")
        + _counts("Plans by what they are about", c["plans_about"], "about")
        + _bar_figure(c["disruptions_by_kind"], "Disruption by kind", horizontal=True)
        + _counts("Disruption against", c["disruptions_against"], "against")
        + _counts("What came of disruption (as coded)", c["disruption_results"], "result")
        + ("<h3>Hotspots as of the period's end</h3>" + hot if d["hotspots"] else "")
    )
    empty = not c["plans_by_kind"] and not c["disruptions_by_kind"] and not d["hotspots"]
    return _section("contexts", "7. Contexts and disruption", body, d, empty)


def _group_label(dim: str, g: str) -> str:
    return ETHNICITY.get(g, g) if dim == "ethnicity" else g


def _representation(d: dict[str, Any]) -> str:
    r = d["representation"]
    parts = []
    findings = r["findings"]
    parts.append(
        "<p><b>Findings:</b></p><ul>" + "".join(f"<li>{_e(f)}</li>" for f in findings) + "</ul>"
        if findings
        else "<p>No group is over-represented beyond the uncertainty of these numbers.</p>"
    )
    for dim in r["dimensions"]:
        parts.append(f"<h3>By {_e(dim['dimension'])}</h3>")
        if not dim["population"]:
            parts.append('<p class="small">No census table for this: shares only.</p>')
        head = ["group", "population", *[c["name"] for c in dim["cohorts"]]]
        body = []
        first = dim["cohorts"][0]["groups"] if dim["cohorts"] else []
        for i, g in enumerate(first):
            cells = [c["groups"][i] for c in dim["cohorts"]]
            if not any(x["count"] not in (0, None) for x in cells):
                continue  # no child of the group in any list
            row: list[Any] = [_group_label(dim["dimension"], g["group"]).split(": ")[-1], _pct(g["compared_share"])]
            for x in cells:
                cell = f"{_n(x['count'])} ({_pct(x['share'])})"
                if x["ratio"] is not None:
                    cell += f" × {x['ratio']:.2f} [{x['low']:.2f}–{x['high']:.2f}]"
                if x["small"]:
                    cell += " ·"
                row.append(cell)
            body.append(row)
        body.append(["not known (left out of the shares)", "", *[c["not_known"] for c in dim["cohorts"]]])
        parts.append(_table(head, body))
        parts.append(
            '<p class="method">Each cell: children (share of those recorded) × ratio to the population\'s share '
            "[95% interval]; · fewer than the smallest count the report speaks of: too small to say.</p>"
        )
        if dim["population"] and dim["cohorts"]:
            top = dim["cohorts"][-1]
            parts.append(
                f"<figure>{_svg(_ratio_chart(dim['dimension'], top['groups']), height=2.8)}"
                f"<figcaption>{_e(top['name'])}: each group's share against the population's (1 = as in "
                "the population), with its 95% interval</figcaption></figure>"
            )
    if r.get("note"):
        parts.insert(0, f'<p class="warning">{_e(r["note"])}.</p>')
    src = ", ".join(r["census"]) or "none"
    parts.append(f'<p class="method">Census tables: {_e(src)}.</p>')
    return _section("representation", "8. Over-representation", "".join(parts), d, False)


def _pct(x: Any) -> str:
    return f"{x:.0%}" if isinstance(x, float) else "—"


def _ratio_chart(dim: str, groups: list[dict[str, Any]]) -> Callable[[Any], None]:
    shown = [g for g in groups if g["ratio"] is not None]

    def draw(ax: Any) -> None:
        labels = [_group_label(dim, g["group"]).split(": ")[-1][:28] for g in shown]
        y = list(range(len(shown)))
        ratios = [g["ratio"] for g in shown]
        lows = [max(0.0, g["ratio"] - g["low"]) for g in shown]
        highs = [max(0.0, g["high"] - g["ratio"]) for g in shown]
        ax.errorbar(ratios, y, xerr=[lows, highs], fmt="o", color=BLUE, ecolor=GREY, capsize=2, markersize=3)
        ax.axvline(1, color=RED, linewidth=0.8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()

    return draw


def _quality(d: dict[str, Any]) -> str:
    q = d["quality"]
    items = {
        "children with no ethnicity recorded": q["no_ethnicity"],
        "children with no sex recorded": q["no_sex"],
        "children with no date of birth": q["no_date_of_birth"],
        "children with no locality": q["no_locality"],
        "outcome reviews with no benchmark": q["reviews_without_benchmarks"],
        "missing episodes with no return recorded": q["episodes_without_return"],
        "places episodes ended at that are not located": q["places_not_located"],
    }
    body = f"<p>Of {_n(q['children'])} children the period's records are about:</p>" + _table(
        ["what is missing", "count"], [[k, v] for k, v in items.items()]
    )
    return _section("quality", "9. Data quality", body, d, q["children"] == 0)
