// Migration to views as of a time: reports without their time as a number yet.
MATCH (r:Report)
WHERE r.at IS NULL
RETURN r.seq AS seq, r.received_at AS received_at
LIMIT $limit
