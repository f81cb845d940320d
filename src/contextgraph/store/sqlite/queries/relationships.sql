-- Relationships: one row per type and pair, its assertions encoded in one column.

-- name: relationships_by_rid
SELECT rid, type, src, dst, assertions, properties
FROM relationships
WHERE rid IN (SELECT value FROM json_each(?))

-- name: all_relationships
SELECT rid, type, src, dst, assertions, properties FROM relationships ORDER BY rid

-- name: insert_relationship
INSERT INTO relationships (rid, type, src, dst, first_seen, last_seen, count, grading, assertions, properties)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: update_relationship
UPDATE relationships
SET first_seen = ?, last_seen = ?, count = ?, grading = ?, assertions = ?, properties = ?
WHERE rid = ?

-- name: delete_relationships
DELETE FROM relationships WHERE rid IN (SELECT value FROM json_each(?))

-- name: top_rid
SELECT max(rid) FROM relationships

-- name: relationship_index_rows
SELECT rid, type, src, dst, first_seen, last_seen, count, grading FROM relationships ORDER BY rid

-- name: relationship_facts_by_rid
SELECT rid, first_seen, last_seen, grading, count, assertions
FROM relationships
WHERE rid IN (SELECT value FROM json_each(?))

-- name: conditional_relationships
-- Relationships whose encoded assertions hold a grading with conditions (the 3x5x2 handling
-- code C, or a legacy 2-5 code with conditions).
SELECT r.type, a.id, b.id
FROM relationships r
JOIN entities a ON a.nid = r.src
JOIN entities b ON b.nid = r.dst
WHERE r.grading IS NOT NULL AND r.src != r.dst
  AND (instr(r.assertions, ' C"') > 0 OR r.assertions GLOB '*"[A-E][1-5][2-5]"*')

-- name: count_relationships_by_type
SELECT type, count(*) FROM relationships WHERE src != dst GROUP BY type
