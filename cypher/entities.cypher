-- Entity records. Every entity has the label Entity and the label of its kind
-- (__LABEL__, filled in from the vocabulary).

-- name: entities_by_id
UNWIND $ids AS id
MATCH (n:Entity {id: id})
OPTIONAL MATCH (m:Entity {merged_into: n.id})
RETURN n, collect(m.id) AS members

-- name: merged_into
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE n.merged_into IS NOT NULL
RETURN n.id AS id, n.merged_into AS into

-- name: members_of
MATCH (m:Entity {merged_into: $id})
RETURN m.id AS id
ORDER BY id

-- name: create_entities
UNWIND $rows AS row
CREATE (n:Entity:__LABEL__)
SET n = row

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
CALL db.index.fulltext.queryNodes("entity_names", $text, {limit: $limit})
YIELD node
RETURN coalesce(node.merged_into, node.id) AS id

-- name: projection_nodes
MATCH (n:Entity)
WHERE n.merged_into IS NULL
  AND ($kinds IS NULL OR n.kind IN $kinds)
  AND ($localities IS NULL OR n.kind = $service OR n.locality IN $localities)
RETURN n.id AS id, n.kind AS kind, n.locality AS locality

-- name: all_entities
MATCH (n:Entity)
RETURN n
ORDER BY n.id
