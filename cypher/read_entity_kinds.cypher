// The kind each entity is known by to the caller: that of its first visible fact.
MATCH (f:EFact)
WHERE f.eid IN $ids AND /*visible:f*/
WITH f.eid AS id, f ORDER BY f.seq
RETURN id, collect(f.kind)[0] AS kind
