// A page of the caller's entities by id after $after, at most $limit ids: those with a
// visible summary (of kind $kind, when not null; the kind the caller knows an entity
// by is its first visible summary's, decided on the summaries returned), each with
// every summary of it the caller sees.
MATCH (s:ESum)
WHERE s.eid > $after AND ($kind IS NULL OR s.kind = $kind) AND /*visible:s*/
WITH DISTINCT s.eid AS id
ORDER BY id
LIMIT $limit
MATCH (t:ESum)
WHERE t.eid = id AND /*visible:t*/
RETURN id, collect(t.data) AS sums
