-- Entities: one row each, with the number the adjacency index knows them by (nid).
-- A list of numbers or ids travels as one JSON array parameter, read with json_each.

-- name: entities_by_nid
SELECT nid, id, kind, name, aliases, dob, locality, lat, lon, properties, sources,
       first_seen, last_seen, grading, handling, open_record
FROM entities
WHERE nid IN (SELECT value FROM json_each(?))

-- name: all_entities
SELECT nid, id, kind, name, aliases, dob, locality, lat, lon, properties, sources,
       first_seen, last_seen, grading, handling, open_record
FROM entities
ORDER BY nid

-- name: insert_entity
INSERT INTO entities (nid, id, kind, name, aliases, dob, locality, lat, lon, properties, sources,
                      first_seen, last_seen, grading, handling, open_record)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: update_entity
UPDATE entities
SET kind = ?, name = ?, aliases = ?, dob = ?, locality = ?, lat = ?, lon = ?, properties = ?,
    sources = ?, first_seen = ?, last_seen = ?, grading = ?, handling = ?,
    open_record = ?
WHERE nid = ?

-- name: delete_entities
DELETE FROM entities WHERE id IN (SELECT value FROM json_each(?))

-- name: set_merged_into
UPDATE entities SET merged_into = ? WHERE id = ?

-- name: any_entity
SELECT 1 FROM entities LIMIT 1

-- name: drop_entities_id
-- Dropped for a large load into an empty table, and built again at commit.
DROP INDEX IF EXISTS entities_id

-- name: create_entities_id
CREATE UNIQUE INDEX IF NOT EXISTS entities_id ON entities(id)

-- name: top_nid
SELECT max(nid) FROM entities

-- name: entity_index_rows
SELECT nid, id, kind, locality, merged_into FROM entities ORDER BY nid

-- name: entity_properties
SELECT nid, properties FROM entities WHERE properties != '{}'

-- name: entity_names
SELECT nid, name, aliases, merged_into FROM entities

-- name: entity_labels
SELECT nid, name, lat, lon, kind FROM entities

-- name: entity_labels_by_nid
SELECT nid, name, lat, lon, kind FROM entities WHERE nid IN (SELECT value FROM json_each(?))

-- name: entity_ids
SELECT nid, id FROM entities

-- name: conditional_entities
-- Entities named only under condition C, in themselves and in every record merged into them.
SELECT id FROM entities
WHERE merged_into IS NULL AND handling = '["C"]'
  AND id NOT IN (SELECT merged_into FROM entities WHERE merged_into IS NOT NULL AND handling != '["C"]')

-- name: named_under_c
-- Live entities some statement under condition C named, in themselves or a record merged into them.
-- (handling is kept as a sorted JSON list of P and C: the two values naming C are these)
SELECT DISTINCT coalesce(merged_into, id) FROM entities WHERE handling IN ('["C"]', '["C","P"]')

-- name: count_entities_by_kind
SELECT kind, count(*) FROM entities WHERE merged_into IS NULL GROUP BY kind

-- name: count_entities_by_locality
SELECT locality, count(*) FROM entities WHERE merged_into IS NULL AND kind != 'service' GROUP BY locality

-- name: count_merged
SELECT count(*) FROM entities WHERE merged_into IS NOT NULL
