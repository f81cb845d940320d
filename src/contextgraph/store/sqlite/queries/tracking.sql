-- Tracking records as JSON bodies, with the entities each names (a timeline reads those).

-- name: put_tracking
INSERT OR REPLACE INTO tracking (id, record, subject, date, body) VALUES (?, ?, ?, ?, ?)

-- name: any_tracking
SELECT 1 FROM tracking LIMIT 1

-- name: drop_tracking_record
-- Dropped for a large load into an empty table, and built again at commit (as the next).
DROP INDEX IF EXISTS tracking_record

-- name: create_tracking_record
CREATE INDEX IF NOT EXISTS tracking_record ON tracking(record, date)

-- name: drop_tracking_names_id
DROP INDEX IF EXISTS tracking_names_id

-- name: create_tracking_names_id
CREATE INDEX IF NOT EXISTS tracking_names_id ON tracking_names(id)

-- name: tracking_held
-- Those of a JSON array of record ids already held.
SELECT t.id FROM json_each(?) AS w JOIN tracking AS t ON t.id = w.value

-- name: drop_tracking_names
DELETE FROM tracking_names WHERE id = ?

-- name: add_tracking_name
INSERT OR IGNORE INTO tracking_names (entity, id) VALUES (?, ?)

-- name: tracking_of
-- The records naming any of a JSON array of entity ids.
SELECT DISTINCT t.body
FROM json_each(?) AS w
JOIN tracking_names AS n ON n.entity = w.value
JOIN tracking AS t ON t.id = n.id

-- name: tracking_by_id
SELECT t.body FROM json_each(?) AS w JOIN tracking AS t ON t.id = w.value

-- name: delete_tracking
DELETE FROM tracking WHERE id = ?

-- name: all_tracking
SELECT body FROM tracking ORDER BY date, id

-- name: all_tracking_any_order
SELECT body FROM tracking

-- name: count_tracking
SELECT record, count(*) FROM tracking GROUP BY record
