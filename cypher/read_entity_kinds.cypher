// The kind each entity is known by to the caller: that of its first visible fact.
MATCH (e:Entity)<-[:OF]-(f:EFact)
WHERE e.id IN $ids AND /*visible:f*/
WITH e.id AS id, f ORDER BY f.seq
RETURN id, collect(f.kind)[0] AS kind
