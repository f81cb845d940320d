"""The network view's layout is seeded: the same view is laid out the same in any process and
whatever ran before it (igraph draws from one generator for the whole process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from contextgraph.interchange import entity_from_json, relationship_from_json
from contextgraph.interchange.synth import generate
from contextgraph.store import open_store

LAY_OUT = """
import json, sys
import igraph as ig
from contextgraph.service.graphql.maps import network_core
from contextgraph.store import open_store
with open_store(sys.argv[1]) as s:
    p = s.projection()
    kept = [i for i in range(p.n_nodes) if p.localities[int(p.locality[i])] == sys.argv[2]]
    scores = {p.ids[i]: 1.0 for i in kept if p.kind_of(i) == "child"}
    first = network_core(p, kept, scores)
    ig.Graph.Erdos_Renyi(n=50, m=80).layout_fruchterman_reingold()  # igraph's generator moved on
    again = network_core(p, kept, scores)
assert first == again, "laid out differently in one process"
print(json.dumps(sorted((p.ids[i], xy) for i, xy in first.items())))
"""


def test_the_same_view_is_laid_out_the_same_in_any_process(tmp_path: Path) -> None:
    data = generate(children=600, seed=8)
    url = f"sqlite:///{tmp_path / 'area.db'}"
    with open_store(url) as s:
        s.upsert([entity_from_json(e) for e in data.entities], [relationship_from_json(r) for r in data.relationships])
    locality = next(e["locality"] for e in data.entities if e.get("locality"))
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    runs = [
        subprocess.run([sys.executable, "-c", LAY_OUT, url, locality], capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    laid = [json.loads(r.stdout) for r in runs]
    assert len(laid[0]) > 50 and laid[0] == laid[1]
