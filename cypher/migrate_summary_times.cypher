// Migration to views as of a time: a summary with inline facts takes its first fact's
// time (the earliest of its reports').
MATCH (s:ESum)
WHERE s.at IS NULL AND s.seqs IS NOT NULL
WITH s LIMIT $limit
UNWIND s.seqs AS seq
MATCH (r:Report {seq: seq})
WITH s, min(r.at) AS at
SET s.at = at
RETURN count(s) AS done
