-- Entity records. Every entity has the label Entity and the label of its kind
-- (__LABEL__, filled in from the vocabulary).
--
-- Reads of many rows return one record of collected lists: the Python driver
-- pays per record, so this is many times faster than a record per row.

-- name: entities_by_id
UNWIND $ids AS id
MATCH (n:Entity {id: id})
OPTIONAL MATCH (m:Entity {merged_into: n.id})
WITH n, collect(m.id) AS members
RETURN collect(n {.*, members: members}) AS rows

-- name: merged_into
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE n.merged_into IS NOT NULL
RETURN collect([n.id, n.merged_into]) AS pairs

-- name: any_merged
MATCH (n:Entity)
WHERE n.merged_into IS NOT NULL
RETURN count(n) > 0 AS any
LIMIT 1

-- name: members_of
MATCH (m:Entity {merged_into: $id})
RETURN m.id AS id
ORDER BY id

-- name: create_entities
UNWIND $rows AS row
CREATE (n:Entity:__LABEL__)
SET n = row

-- name: create_missing_entities
-- Create the rows whose id is not stored yet; return the stored records of the others.
UNWIND $rows AS row
OPTIONAL MATCH (old:Entity {id: row.id})
FOREACH (_ IN CASE WHEN old IS NULL THEN [1] ELSE [] END |
  CREATE (n:Entity:__LABEL__)
  SET n = row)
WITH old
WHERE old IS NOT NULL
OPTIONAL MATCH (m:Entity {merged_into: old.id})
WITH old, collect(m.id) AS members
RETURN collect(old {.*, members: members}) AS rows

-- name: update_entities
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n += row

-- name: delete_entities
UNWIND $ids AS id
MATCH (n:Entity {id: id})
DETACH DELETE n

-- name: set_merged_into
UNWIND $ids AS id
MATCH (n:Entity {id: id})
SET n.merged_into = $into

-- name: search_names
-- The entities a name or alias may match, best first (a record merged into another answers for
-- it), of the best $scan matches, cut to $limit only after the reader's kinds and localities
-- ($kinds, $localities: null for any; a service is in every locality) and, for a reader cleared
-- for P only ($public_only), after what only statements under C named, and what P statements
-- place outside those localities ($away), is left out: so that many
-- of one name the reader may not see do not crowd out the one they may (up to $scan matches).
CALL db.index.fulltext.queryNodes("entity_names", $text, {limit: $scan})
YIELD node
WITH coalesce(node.merged_into, node.id) AS id
MATCH (e:Entity {id: id})
WHERE ($kinds IS NULL OR e.kind IN $kinds)
  AND ($localities IS NULL OR e.kind = $service OR e.locality IN $localities)
  AND (NOT $public_only OR NOT e.id IN $away)
  AND (NOT $public_only OR e.handling IS NULL OR e.handling <> ['C']
       OR EXISTS { MATCH (m:Entity {merged_into: e.id}) WHERE m.handling IS NULL OR m.handling <> ['C'] })
RETURN DISTINCT id
LIMIT $limit

-- name: projection_nodes
MATCH (n:Entity)
WHERE n.merged_into IS NULL
  AND ($kinds IS NULL OR n.kind IN $kinds)
  AND ($localities IS NULL OR n.kind = $service OR n.locality IN $localities)
RETURN collect([n.id, n.kind, n.locality,
                CASE WHEN n.properties IS NULL OR n.properties = '{}' THEN null ELSE n.properties END]) AS rows

-- name: merged_properties
-- The properties of merged records, which count for the entity they were merged into.
MATCH (m:Entity)
WHERE m.merged_into IS NOT NULL AND m.properties IS NOT NULL AND m.properties <> '{}'
RETURN collect([m.merged_into, m.properties]) AS rows

-- name: entities_page
-- A page of every stored record, in id order, after the id $after.
MATCH (n:Entity)
WHERE n.id > $after
WITH n ORDER BY n.id LIMIT $page
RETURN collect(n {.*}) AS rows

-- name: merged_pairs
-- Every merged record with the entity it was merged into.
MATCH (m:Entity)
WHERE m.merged_into IS NOT NULL
RETURN collect([m.id, m.merged_into]) AS pairs

-- name: entities_view
-- Each id's entity as readers see it: a merged id followed to the entity it was
-- merged into, with the records merged into that entity.
UNWIND $ids AS id
MATCH (x:Entity {id: id})
OPTIONAL MATCH (c:Entity {id: x.merged_into})
WITH id, coalesce(c, x) AS n
OPTIONAL MATCH (m:Entity {merged_into: n.id})
WITH id, n, collect(m {.*}) AS members
RETURN collect([id, n {.*}, members]) AS rows

-- name: linked_only_by
-- Live entities of the kinds given with at least one relationship to a live entity, every one of a
-- type in $types: places a reader who never sees those types knows nothing of.
MATCH (n:Entity)
WHERE n.merged_into IS NULL AND n.kind IN $kinds
  AND EXISTS { MATCH (n)-[]-(o:Entity) WHERE o.merged_into IS NULL AND o <> n }
  AND NOT EXISTS { MATCH (n)-[r]-(o:Entity) WHERE o.merged_into IS NULL AND o <> n AND NOT type(r) IN $types }
RETURN collect(n.id) AS ids

-- name: linked_only_by_ids
-- As linked_only_by, of the entities of $ids only.
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE n.merged_into IS NULL AND n.kind IN $kinds
  AND EXISTS { MATCH (n)-[]-(o:Entity) WHERE o.merged_into IS NULL AND o <> n }
  AND NOT EXISTS { MATCH (n)-[r]-(o:Entity) WHERE o.merged_into IS NULL AND o <> n AND NOT type(r) IN $types }
RETURN collect(n.id) AS ids

-- name: named_under_c
-- Live entities some statement under handling code C named, in themselves or a record merged into them.
MATCH (n:Entity)
WHERE 'C' IN n.handling
RETURN collect(DISTINCT coalesce(n.merged_into, n.id)) AS ids

-- name: conditional_entities
-- Live entities named only under handling code C, with every record merged into them.
MATCH (n:Entity)
WHERE n.merged_into IS NULL AND n.handling = ['C']
  AND NOT EXISTS { MATCH (m:Entity {merged_into: n.id}) WHERE m.handling IS NULL OR m.handling <> ['C'] }
RETURN collect(n.id) AS ids
