-- Tracking records checked in another process and handed over as one SQLite file, a staging
-- database (see contextgraph.store.staged); the embedded store attaches it as `staged` and
-- copies its rows in a statement each.

-- name: staged_tracking_table
-- Keyed by line, so that the records are read in the order of their lines without a sort.
CREATE TABLE staged_tracking (
    line INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL,
    subject TEXT NOT NULL,
    date TEXT,
    body TEXT NOT NULL
)

-- name: staged_names_table
CREATE TABLE staged_names (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    field TEXT NOT NULL,
    PRIMARY KEY (entity, id)
) WITHOUT ROWID

-- name: stage_tracking
INSERT INTO staged_tracking (id, line, record, subject, date, body) VALUES (?, ?, ?, ?, ?, ?)

-- name: stage_name
INSERT OR IGNORE INTO staged_names (entity, id, field) VALUES (?, ?, ?)

-- name: staging_pragmas
-- A staging file is written once, by one process, read once in order, and thrown away after: no
-- journal, no syncs, and large pages (a sixteenth of the reads and writes of the default's).
PRAGMA page_size = 65536;
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF

-- name: staged_bodies
SELECT line, body FROM staged_tracking ORDER BY line

-- name: attach_staged
ATTACH ? AS staged

-- name: detach_staged
DETACH staged

-- name: staged_unstored
-- A name of a staged record that no stored entity answers to, with the record's line and field.
SELECT t.line, n.field, n.entity
FROM staged.staged_names AS n
JOIN staged.staged_tracking AS t ON t.id = n.id
WHERE NOT EXISTS (SELECT 1 FROM entities AS e WHERE e.id = n.entity)
ORDER BY t.line
LIMIT 1

-- name: drop_staged_held_names
-- The names of records held before, which the staged ones replace.
DELETE FROM tracking_names WHERE id IN (SELECT id FROM staged.staged_tracking)

-- name: put_staged_tracking
INSERT OR REPLACE INTO tracking (id, record, subject, date, body)
SELECT id, record, subject, date, body FROM staged.staged_tracking ORDER BY line

-- name: put_staged_names
INSERT OR IGNORE INTO tracking_names (entity, id) SELECT entity, id FROM staged.staged_names

-- Relationships made into rows in another process for a first load (see
-- contextgraph.interchange.staged_links), numbered as the store will number them; attached as
-- `staged_links` and copied in one statement.

-- name: staged_links_table
-- A row's type and ends are its edge key's: type code << 56 | source << 28 | target. A row of one
-- statement by its own ends leaves last_seen, count and properties empty: its first_seen, 1, {}.
CREATE TABLE staged_links (
    rid INTEGER PRIMARY KEY,
    key INTEGER NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER,
    grading TEXT,
    assertions TEXT NOT NULL,
    properties TEXT
)

-- name: staged_types_table
CREATE TABLE staged_types (code INTEGER PRIMARY KEY, name TEXT NOT NULL)

-- name: stage_type
INSERT INTO staged_types (name, code) VALUES (?, ?)

-- name: stage_plain_link
INSERT INTO staged_links (rid, key, first_seen, grading, assertions) VALUES (?, ?, ?, ?, ?)

-- name: stage_link
INSERT INTO staged_links (rid, key, first_seen, last_seen, count, grading, assertions, properties)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)

-- name: attach_staged_links
ATTACH ? AS staged_links

-- name: detach_staged_links
DETACH staged_links

-- name: put_staged_links
-- In the order of the rows (CROSS JOIN keeps the rows the outer loop); :mask is 2 ** 28 - 1.
INSERT INTO relationships (rid, type, src, dst, first_seen, last_seen, count, grading, assertions, properties)
SELECT l.rid, t.name, (l.key >> 28) & :mask, l.key & :mask, l.first_seen, coalesce(l.last_seen, l.first_seen),
       coalesce(l.count, 1), l.grading, l.assertions, coalesce(l.properties, '{}')
FROM staged_links.staged_links AS l CROSS JOIN staged_links.staged_types AS t ON t.code = l.key >> 56
ORDER BY l.rid
