// Migration to views as of a time: hub facts take their report's time, $limit at a time.
MATCH (f:EFact)
WHERE f.at IS NULL
WITH f LIMIT $limit
MATCH (r:Report {seq: f.seq})
SET f.at = r.at
RETURN count(f) AS done
