-- Relationships. One relationship per type and pair of entities; its
-- assertions (one JSON text, an entry per source statement) say who asserted
-- it, when and how graded (compact JSON, see store/base.py encode_assertions).
-- Symmetric types are stored once, smaller id first.

-- name: relationships_by_key
UNWIND $keys AS k
MATCH (a:Entity {id: k[0]})-[r:__TYPE__]->(b:Entity {id: k[1]})
RETURN collect([a.id, b.id, r.assertions, r.properties]) AS rows

-- name: relationships_of
UNWIND $ids AS id
MATCH (n:Entity {id: id})-[r]-()
WITH DISTINCT r
RETURN collect([type(r), startNode(r).id, endNode(r).id, r.assertions, r.properties]) AS rows

-- name: create_relationships
UNWIND $rows AS row
MATCH (a:Entity {id: row.source})
MATCH (b:Entity {id: row.target})
CREATE (a)-[r:__TYPE__]->(b)
SET r.assertions = row.assertions, r.properties = row.properties, r.first_seen = row.first_seen,
    r.last_seen = row.last_seen, r.count = row.count, r.grading = row.grading

-- name: create_missing_relationships
-- Create the rows not stored yet (one relationship per type and pair); return
-- the stored form of the others, to be merged and updated.
UNWIND $rows AS row
MATCH (a:Entity {id: row.source})
MATCH (b:Entity {id: row.target})
OPTIONAL MATCH (a)-[old:__TYPE__]->(b)
FOREACH (_ IN CASE WHEN old IS NULL THEN [1] ELSE [] END |
  CREATE (a)-[r:__TYPE__]->(b)
  SET r += row.set)
WITH a, b, old
WHERE old IS NOT NULL
RETURN collect([a.id, b.id, old.assertions, old.properties]) AS rows

-- name: update_relationships
UNWIND $rows AS row
MATCH (a:Entity {id: row.source})-[r:__TYPE__]->(b:Entity {id: row.target})
SET r.assertions = row.assertions, r.properties = row.properties, r.first_seen = row.first_seen,
    r.last_seen = row.last_seen, r.count = row.count, r.grading = row.grading

-- name: delete_relationships
UNWIND $keys AS k
MATCH (a:Entity {id: k[0]})-[r:__TYPE__]->(b:Entity {id: k[1]})
DELETE r

-- name: expand
-- The live relationships of the given entities that pass the filter, each with
-- the entity at its other end and the ids merged into that entity.
UNWIND $ids AS id
MATCH (n:Entity {id: id})-[r]-(o:Entity)
WHERE o.merged_into IS NULL AND o <> n
  AND ($types IS NULL OR type(r) IN $types)
  AND ($since IS NULL OR r.last_seen >= $since OR (r.last_seen IS NULL AND $undated))
  AND ($until IS NULL OR r.first_seen <= $until OR (r.first_seen IS NULL AND $undated))
  AND ($kinds IS NULL OR o.kind IN $kinds)
  AND ($localities IS NULL OR o.kind = $service OR o.locality IN $localities)
RETURN collect([type(r), startNode(r).id, endNode(r).id, r.assertions, r.properties, o {.*},
                COUNT { MATCH (m:Entity {merged_into: o.id}) }]) AS rows

-- name: expand_keys
-- As expand with no filter, for a store that keeps records in memory: the store's
-- version (read before the walk), and for each entity given, each relationship
-- as its type, the id and kind of the entity at its other end, and whether it
-- starts at the entity given.
OPTIONAL MATCH (v:Record {id: 'store-version'})
WITH [v.body, v.seq] AS version
CALL {
  UNWIND $ids AS id
  MATCH (n:Entity {id: id})
  CALL {
    WITH n
    MATCH (n)-[r]-(o:Entity)
    WHERE o.merged_into IS NULL AND o <> n
    RETURN collect([type(r), o.id, o.kind, startNode(r) = n]) AS steps
  }
  RETURN collect([n.id, steps]) AS rows
}
RETURN version, rows

-- name: expand_keys_filtered
-- As expand_keys, keeping to the filter as expand does (a separate query, since
-- testing the filter on every row costs even when nothing is filtered).
OPTIONAL MATCH (v:Record {id: 'store-version'})
WITH [v.body, v.seq] AS version
CALL {
  UNWIND $ids AS id
  MATCH (n:Entity {id: id})
  CALL {
    WITH n
    MATCH (n)-[r]-(o:Entity)
    WHERE o.merged_into IS NULL AND o <> n
      AND ($types IS NULL OR type(r) IN $types)
      AND ($since IS NULL OR r.last_seen >= $since OR (r.last_seen IS NULL AND $undated))
      AND ($until IS NULL OR r.first_seen <= $until OR (r.first_seen IS NULL AND $undated))
      AND ($kinds IS NULL OR o.kind IN $kinds)
      AND ($localities IS NULL OR o.kind = $service OR o.locality IN $localities)
    RETURN collect([type(r), o.id, o.kind, startNode(r) = n]) AS steps
  }
  RETURN collect([n.id, steps]) AS rows
}
RETURN version, rows

-- name: projection_edges
MATCH (a:Entity)-[r]->(b:Entity)
WHERE a <> b
  AND ($types IS NULL OR type(r) IN $types)
  AND ($since IS NULL OR r.last_seen >= $since OR (r.last_seen IS NULL AND $undated))
  AND ($until IS NULL OR r.first_seen <= $until OR (r.first_seen IS NULL AND $undated))
RETURN collect([a.id, b.id, type(r), r.first_seen, r.last_seen, r.count, r.grading]) AS rows

-- name: relationships_from_page
-- The relationships that start at a page of entities (every relationship starts at one).
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r]->(b:Entity)
RETURN collect([type(r), a.id, b.id, r.assertions, r.properties]) AS rows

-- name: conditional_keys
-- Live relationships with an assertion graded with conditions (3x5x2 handling C, legacy handling 2-5).
MATCH (a:Entity)-[r]->(b:Entity)
WHERE a <> b AND a.merged_into IS NULL AND r.grading IS NOT NULL
  AND (r.assertions CONTAINS ' C"' OR r.assertions =~ '.*"[A-E][1-5][2-5]".*')
RETURN collect([type(r), a.id, b.id]) AS rows
