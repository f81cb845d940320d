-- The gazetteer: postcodes and places known by name, with their coordinates. Reference
-- data about no one, kept apart from the graph's Entity nodes.

-- name: constraint_postcode
CREATE CONSTRAINT gazetteer_postcode IF NOT EXISTS FOR (p:Postcode) REQUIRE p.code IS UNIQUE

-- name: constraint_named_place
CREATE CONSTRAINT gazetteer_named_place IF NOT EXISTS FOR (g:NamedPlace) REQUIRE g.uid IS UNIQUE

-- name: index_named_place_key
CREATE INDEX gazetteer_named_place_key IF NOT EXISTS FOR (g:NamedPlace) ON (g.key)

-- name: put_postcodes
-- Rows of {code, lat, lon}; a postcode held already takes the new coordinates.
UNWIND $rows AS row
MERGE (p:Postcode {code: row.code})
SET p.lat = row.lat, p.lon = row.lon

-- name: put_named_places
-- Rows of {uid, key, name, lat, lon, locality, kind}; uid is the key and locality together.
UNWIND $rows AS row
MERGE (g:NamedPlace {uid: row.uid})
SET g.key = row.key, g.name = row.name, g.lat = row.lat, g.lon = row.lon, g.locality = row.locality,
    g.kind = row.kind

-- name: postcodes
MATCH (p:Postcode)
WHERE p.code IN $codes
RETURN p.code AS code, p.lat AS lat, p.lon AS lon

-- name: named_places
MATCH (g:NamedPlace)
WHERE g.key IN $keys
RETURN g.key AS key, g.name AS name, g.lat AS lat, g.lon AS lon, g.locality AS locality, g.kind AS kind
ORDER BY key, locality

-- name: gazetteer_size
RETURN COUNT { MATCH (:Postcode) } AS postcodes, COUNT { MATCH (:NamedPlace) } AS named
