"""Moving an area in and out: the JSON-lines interchange format (read by :mod:`.jsonl`, written by
:mod:`.export`), the files
Neo4j's offline importer reads (:mod:`.neo4j_admin`) and the generated sample area (:mod:`.synth`)."""

from .export import dump_line, export_lines
from .jsonl import (
    ENTITIES_FILE,
    JUDGEMENTS_FILE,
    RELATIONSHIPS_FILE,
    TRACKING_FILE,
    Batch,
    InputError,
    apply_batch,
    entity_from_json,
    read_folder,
    relationship_from_json,
)

__all__ = [
    "ENTITIES_FILE",
    "JUDGEMENTS_FILE",
    "RELATIONSHIPS_FILE",
    "TRACKING_FILE",
    "Batch",
    "InputError",
    "apply_batch",
    "dump_line",
    "entity_from_json",
    "export_lines",
    "read_folder",
    "relationship_from_json",
]
