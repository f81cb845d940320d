-- The embedded store's connection settings and transaction control.

-- name: settings
-- Every commit flushed, a deleted value overwritten rather than left in a free page, and a
-- quarter of a gigabyte of page cache. The journal's mode follows: write_ahead, or first_load
-- for a new file.
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = OFF;
PRAGMA busy_timeout = 10000;
PRAGMA cache_size = -262144;
PRAGMA secure_delete = ON;

-- name: page_size
-- A new file's pages: 16 KiB, a quarter of the reads and writes of SQLite's default 4 KiB in a
-- large load (set before the file's first table; a file keeps the size it was made with).
PRAGMA page_size = 16384

-- name: first_load
-- A new file is filled in rollback-journal mode until its first write is committed: pages added
-- at the end of a file are not journalled, so a first load writes each page once, not twice (to
-- the write-ahead log, then into the file), and is as atomic and durable.
PRAGMA journal_mode = DELETE

-- name: write_ahead
-- A write-ahead log: the file's mode from its first write on (kept in the file).
PRAGMA journal_mode = WAL

-- name: data_version
-- Changes when another connection has committed a write to the file.
PRAGMA data_version

-- name: user_version
PRAGMA user_version

-- name: set_user_version
-- The schema's version after a migration; __VERSION__ is filled only with an integer.
PRAGMA user_version = __VERSION__

-- name: begin_write
-- Take the write lock first, so that the index is brought up to date under it.
BEGIN IMMEDIATE

-- name: begin_read
BEGIN

-- name: commit
COMMIT

-- name: rollback
ROLLBACK

-- name: checkpoint
-- Copy the write-ahead log into the file and empty it.
PRAGMA wal_checkpoint(TRUNCATE)
