// Migration to entity summaries: the next page of entities with facts, by id, and
// whether each has summaries already (then it is done).
MATCH (f:EFact)
WHERE f.eid > $after
WITH DISTINCT f.eid AS eid
ORDER BY eid
LIMIT $limit
OPTIONAL MATCH (s:ESum)
WHERE s.eid = eid
RETURN eid, count(s) > 0 AS summaries
ORDER BY eid
