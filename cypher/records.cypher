-- Judgements (merges and splits), erasure records and store metadata, kept as
-- append-only Record nodes holding JSON bodies.

-- name: add_record
OPTIONAL MATCH (x:Record {tbl: $tbl})
WITH coalesce(max(x.seq), 0) + 1 AS seq
CREATE (:Record {id: $id, tbl: $tbl, seq: seq, body: $body})

-- name: records
MATCH (r:Record {tbl: $tbl})
RETURN r.body AS body
ORDER BY r.seq

-- name: delete_records
-- Remove records by id: an erasure, for review items that name the person erased; an owner, for a saved view.
MATCH (r:Record {tbl: $tbl})
WHERE r.id IN $ids
DETACH DELETE r

-- name: ping
RETURN 1 AS ok

-- name: bump_version
-- Every write transaction ends here, so that readers can tell the store has changed.
MERGE (v:Record {id: 'store-version'})
  ON CREATE SET v.tbl = 'version', v.seq = 0, v.body = $token
SET v.seq = v.seq + 1

-- name: version
MATCH (v:Record {id: 'store-version'})
RETURN [v.body, v.seq] AS version

-- name: set_audit_head
-- The access log's head (the sequence and hash of the record of this write), kept in the
-- write's own transaction so that the log and the store can be checked against each other.
MERGE (h:Record {id: 'audit-head'})
  ON CREATE SET h.tbl = 'audit', h.seq = 0
SET h.body = $body

-- name: audit_head
MATCH (h:Record {id: 'audit-head'})
RETURN h.body AS body
