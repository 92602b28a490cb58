// Migration to views as of a time: a hub class's summary takes its earliest fact's time
// (its facts are EFact nodes of the same entity and class).
MATCH (s:ESum)
WHERE s.at IS NULL AND s.seqs IS NULL
WITH s LIMIT $limit
MATCH (f:EFact {eid: s.eid})
WHERE f.org = s.org AND f.marking = s.marking AND f.shared = s.shared
WITH s, min(f.at) AS at
SET s.at = at
RETURN count(s) AS done
