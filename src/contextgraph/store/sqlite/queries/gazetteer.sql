-- The gazetteer: postcodes, and places known by name ('' for no locality).

-- name: put_postcode
INSERT OR REPLACE INTO postcodes (postcode, lat, lon) VALUES (?, ?, ?)

-- name: put_named_place
INSERT OR REPLACE INTO named_places (key, locality, name, lat, lon, kind) VALUES (?, ?, ?, ?, ?, ?)

-- name: postcode_at
SELECT lat, lon FROM postcodes WHERE postcode = ?

-- name: postcodes_in
SELECT postcode, lat, lon FROM postcodes WHERE postcode IN (SELECT value FROM json_each(?))

-- name: named_places_in
SELECT key, name, lat, lon, locality, kind
FROM named_places
WHERE key IN (SELECT value FROM json_each(?))
ORDER BY key, locality

-- name: count_postcodes
SELECT count(*) FROM postcodes

-- name: count_named_places
SELECT count(*) FROM named_places
