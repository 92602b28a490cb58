// The kind each entity is known by to the caller: that of its first visible fact,
// the first fact of its earliest visible class.
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
WITH s.eid AS id, s ORDER BY s.first_seq
RETURN id, collect(s.kind)[0] AS kind
