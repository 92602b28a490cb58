// The newest report key of each visibility class written ($rows: key, org, marking,
// shared, seq, at), read by read_view_version: one (:VClass) per class, carrying what
// the visibility fragment reads (at: the time of its first report).
UNWIND $rows AS row
MERGE (c:VClass {key: row.key})
ON CREATE SET c.org = row.org, c.marking = row.marking, c.shared = row.shared, c.seq = row.seq,
              c.at = row.at
SET c.seq = CASE WHEN c.seq < row.seq THEN row.seq ELSE c.seq END,
    c.at = CASE WHEN c.at IS NULL OR row.at < c.at THEN row.at ELSE c.at END
