// One hop in one round trip: the caller's relations at $ids (of $kinds, or all), then
// the caller's summaries of each relation's other end and of $ids themselves.
// Relation rows have a source; summary rows have none. (ArcadeDB finds the ends'
// summaries by index after an UNWIND of ids matched by map, not after `a.id IN $ids`.)
MATCH (a:Entity)-[r:REL]-(b:Entity)
WHERE a.id IN $ids AND ($kinds IS NULL OR r.kind IN $kinds) AND /*visible:r*/
RETURN DISTINCT startNode(r).id AS source, endNode(r).id AS target, r.kind AS kind,
       r.seq AS seq, r.confidence AS confidence, null AS id, null AS org,
       null AS first_seq, null AS count, null AS summary,
       null AS facts
UNION ALL
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r:REL]-(b:Entity)
WHERE ($kinds IS NULL OR r.kind IN $kinds) AND /*visible:r*/
WITH DISTINCT b.id AS eid
MATCH (s:ESum)
WHERE s.eid = eid AND /*visible:s*/
RETURN null AS source, null AS target, s.kind AS kind, null AS seq, null AS confidence,
       s.eid AS id, s.org AS org, s.first_seq AS first_seq, s.count AS count,
       s.summary AS summary, s.facts AS facts
UNION ALL
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
RETURN null AS source, null AS target, s.kind AS kind, null AS seq, null AS confidence,
       s.eid AS id, s.org AS org, s.first_seq AS first_seq, s.count AS count,
       s.summary AS summary, s.facts AS facts
