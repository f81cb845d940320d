-- Records (judgements, erasures, reviews, settings) as JSON bodies, and the store's meta values.

-- name: add_record
INSERT INTO records (tbl, body) VALUES (?, ?)

-- name: records
SELECT body FROM records WHERE tbl = ? ORDER BY seq

-- name: records_with_seq
SELECT seq, body FROM records WHERE tbl = ?

-- name: delete_record
DELETE FROM records WHERE seq = ?

-- name: count_records_by_table
SELECT tbl, count(*) FROM records GROUP BY tbl

-- name: set_meta
INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)

-- name: meta
SELECT value FROM meta WHERE key = ?

-- name: renew_stamp
-- A new random stamp: every write renews it, so a copy of the index taken at another stamp is stale.
INSERT OR REPLACE INTO meta (key, value) VALUES ('stamp', randomblob(16))

-- name: ensure_stamp
INSERT OR IGNORE INTO meta (key, value) VALUES ('stamp', randomblob(16))

-- name: index_copy
SELECT key, value FROM meta WHERE key LIKE 'index.%'

-- name: drop_index_copy
DELETE FROM meta WHERE key LIKE 'index.%'

-- name: add_meta
INSERT INTO meta (key, value) VALUES (?, ?)
