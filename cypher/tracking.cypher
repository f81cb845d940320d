-- Tracking records (missing episodes, referrals, assessments, plans, disruptions, outcome
-- reviews) as Tracking nodes holding JSON bodies, apart from the graph's Entity nodes, with one
-- TrackingName node for each entity a record names (a timeline starts from those).

-- name: constraint_tracking_id
CREATE CONSTRAINT tracking_id IF NOT EXISTS FOR (t:Tracking) REQUIRE t.id IS UNIQUE

-- name: index_tracking_name
CREATE INDEX tracking_name_entity IF NOT EXISTS FOR (n:TrackingName) ON (n.entity)

-- name: index_tracking_name_record
CREATE INDEX tracking_name_record IF NOT EXISTS FOR (n:TrackingName) ON (n.id)

-- name: put_tracking
-- Rows of {id, record, subject, date, body, names}: a record of the same id is replaced.
UNWIND $rows AS row
MERGE (t:Tracking {id: row.id})
SET t.record = row.record, t.subject = row.subject, t.date = row.date, t.body = row.body
WITH row
OPTIONAL MATCH (old:TrackingName {id: row.id})
DETACH DELETE old
WITH DISTINCT row
UNWIND row.names AS entity
CREATE (:TrackingName {id: row.id, entity: entity})

-- name: tracking_of
MATCH (n:TrackingName)
WHERE n.entity IN $ids
WITH DISTINCT n.id AS id
MATCH (t:Tracking {id: id})
RETURN t.body AS body

-- name: tracking_by_id
MATCH (t:Tracking)
WHERE t.id IN $ids
RETURN t.body AS body

-- name: delete_tracking
MATCH (t:Tracking)
WHERE t.id IN $ids
OPTIONAL MATCH (n:TrackingName {id: t.id})
DETACH DELETE t, n

-- name: all_tracking
MATCH (t:Tracking)
RETURN t.body AS body
ORDER BY t.date, t.id

-- name: all_tracking_any_order
MATCH (t:Tracking)
RETURN t.body AS body

-- name: count_tracking
MATCH (t:Tracking)
RETURN t.record AS key, count(*) AS n
