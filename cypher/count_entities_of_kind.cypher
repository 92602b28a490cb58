// How many entities the caller knows as $kind: with a visible summary of that kind, and
// that kind on the first summary (by first report key) the caller sees of them.
MATCH (s:ESum)
WHERE s.kind = $kind AND /*visible:s*/
WITH DISTINCT s.eid AS id
MATCH (t:ESum)
WHERE t.eid = id AND /*visible:t*/
WITH id, t
ORDER BY t.first_seq
WITH id, collect(t.kind)[0] AS kind
WHERE kind = $kind
RETURN count(id) AS total
