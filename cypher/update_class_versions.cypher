// The newest report key of each visibility class written ($rows: key, org, marking,
// shared, seq), read by read_view_version: one (:VClass) per class, carrying what the
// visibility fragment reads.
UNWIND $rows AS row
MERGE (c:VClass {key: row.key})
ON CREATE SET c.org = row.org, c.marking = row.marking, c.shared = row.shared, c.seq = row.seq
SET c.seq = CASE WHEN c.seq < row.seq THEN row.seq ELSE c.seq END
