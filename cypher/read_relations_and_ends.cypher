// One hop in one round trip: the caller's relations at $ids (of $kinds, or all) as
// [source, target, kind, seq, confidence], then the caller's summaries (as in
// read_entity_summaries) of each relation's other end and of $ids themselves; each
// part collected into one row. (ArcadeDB finds the ends' summaries by index after an
// UNWIND of ids matched by map, not after `a.id IN $ids`.)
MATCH (a:Entity)-[r:REL]-(:Entity)
WHERE a.id IN $ids AND ($kinds IS NULL OR r.kind IN $kinds) AND /*visible:r*/
RETURN collect([startNode(r).id, endNode(r).id, r.kind, r.seq, r.confidence]) AS rels,
       null AS sums
UNION ALL
UNWIND $ids AS id
MATCH (:Entity {id: id})-[r:REL]-(b:Entity)
WHERE ($kinds IS NULL OR r.kind IN $kinds) AND /*visible:r*/
WITH DISTINCT b.id AS eid
MATCH (s:ESum)
WHERE s.eid = eid AND /*visible:s*/
RETURN null AS rels,
       collect(s.data) AS sums
UNION ALL
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
RETURN null AS rels,
       collect(s.data) AS sums
