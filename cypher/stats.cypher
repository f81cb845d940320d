-- Counts for `contextgraph stats`.

-- name: count_entities_by_kind
MATCH (n:Entity)
WHERE n.merged_into IS NULL
RETURN n.kind AS key, count(*) AS n

-- name: count_relationships_by_type
MATCH (a:Entity)-[r]->(b:Entity)
WHERE a <> b
RETURN type(r) AS key, count(*) AS n

-- name: count_entities_by_locality
MATCH (n:Entity)
WHERE n.merged_into IS NULL AND n.kind <> $service
RETURN n.locality AS key, count(*) AS n

-- name: count_merged
MATCH (n:Entity)
WHERE n.merged_into IS NOT NULL
RETURN 'merged' AS key, count(*) AS n

-- name: count_records
MATCH (r:Record)
RETURN r.tbl AS key, count(*) AS n
