-- The embedded store's schema: migration_N takes a file from version N-1 to N, in one
-- transaction. A migration, once released, is never changed: a change is a new migration.

-- name: migration_1
-- entities, relationships, judgement and erasure records
CREATE TABLE entities (
    nid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    dob TEXT,
    locality TEXT,
    lat REAL,
    lon REAL,
    properties TEXT NOT NULL DEFAULT '{}',
    sources TEXT NOT NULL DEFAULT '[]',
    first_seen TEXT,
    last_seen TEXT,
    grading TEXT,
    merged_into TEXT
);
CREATE UNIQUE INDEX entities_id ON entities(id);
CREATE TABLE relationships (
    rid INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    src INTEGER NOT NULL REFERENCES entities(nid),
    dst INTEGER NOT NULL REFERENCES entities(nid),
    first_seen TEXT,
    last_seen TEXT,
    count INTEGER NOT NULL,
    grading TEXT,
    assertions TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX records_tbl ON records(tbl);


-- name: migration_2
-- the handling codes under which each entity was named
ALTER TABLE entities ADD COLUMN handling TEXT NOT NULL DEFAULT '[]';


-- name: migration_3
-- a stamp renewed by every write, and a copy of the adjacency index taken at a stamp
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB);


-- name: migration_4
-- the gazetteer: postcodes, and places known by name ('' for no locality)
CREATE TABLE postcodes (postcode TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE named_places (
    key TEXT NOT NULL,
    locality TEXT NOT NULL,
    name TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (key, locality)
) WITHOUT ROWID;


-- name: migration_5
-- tracking records (missing episodes, referrals, assessments, plans, disruptions, outcomes), each
-- with the entities it names, for a timeline
CREATE TABLE tracking (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    subject TEXT NOT NULL,
    date TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX tracking_record ON tracking(record, date);
CREATE TABLE tracking_names (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (entity, id)
) WITHOUT ROWID;
CREATE INDEX tracking_names_id ON tracking_names(id);


-- name: migration_6
-- what statements under handling code P alone say of an entity named under both codes (JSON)
ALTER TABLE entities ADD COLUMN open_record TEXT;


-- name: migration_7
-- the entities a statement under C named, found without reading the whole table
CREATE INDEX entities_named_under_c ON entities(merged_into, id) WHERE handling IN ('["C"]', '["C","P"]');
