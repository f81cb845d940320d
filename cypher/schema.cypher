-- Constraints and indexes, created idempotently when a store opens.

-- name: constraint_entity_id
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE

-- name: index_entity_merged_into
CREATE INDEX entity_merged_into IF NOT EXISTS FOR (n:Entity) ON (n.merged_into)

-- name: index_entity_locality
CREATE INDEX entity_locality IF NOT EXISTS FOR (n:Entity) ON (n.locality)

-- name: index_entity_names
CREATE FULLTEXT INDEX entity_names IF NOT EXISTS FOR (n:Entity) ON EACH [n.search]

-- name: constraint_record_id
CREATE CONSTRAINT record_id IF NOT EXISTS FOR (r:Record) REQUIRE r.id IS UNIQUE

-- name: index_record_table
CREATE INDEX record_table IF NOT EXISTS FOR (r:Record) ON (r.tbl, r.seq)

-- name: await_indexes
CALL db.awaitIndexes(300)
