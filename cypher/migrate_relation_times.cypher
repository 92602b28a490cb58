// Migration to views as of a time: relation facts take their report's time.
MATCH (:Entity)-[x:REL]->(:Entity)
WHERE x.at IS NULL
WITH x LIMIT $limit
MATCH (r:Report {seq: x.seq})
SET x.at = r.at
RETURN count(x) AS done
