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

-- name: ping
RETURN 1 AS ok
