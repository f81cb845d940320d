-- Administration of a scratch database (tests and benchmarks only).

-- name: clear_all
MATCH (n)
CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
