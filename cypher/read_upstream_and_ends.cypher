// One upstream step from $ids, as traceToSource walks (SHIPS_FROM, SUPPLIED_BY and
// OPERATES forwards, LISTS backwards), and the caller's summaries of $ids and of
// the nodes stepped to. Relation rows have a source; summary rows have none.
MATCH (a:Entity)-[r:REL]->(b:Entity)
WHERE a.id IN $ids AND r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/
RETURN a.id AS source, b.id AS target, r.kind AS kind, r.seq AS seq,
       r.confidence AS confidence, null AS id, null AS org, null AS first_seq,
       null AS count, null AS summary, null AS facts
UNION ALL
MATCH (b:Entity)-[r:REL]->(a:Entity)
WHERE a.id IN $ids AND r.kind = 'LISTS' AND /*visible:r*/
RETURN b.id AS source, a.id AS target, r.kind AS kind, r.seq AS seq,
       r.confidence AS confidence, null AS id, null AS org, null AS first_seq,
       null AS count, null AS summary, null AS facts
UNION ALL
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r:REL]->(b:Entity)
WHERE r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/
WITH DISTINCT b.id AS eid
MATCH (s:ESum)
WHERE s.eid = eid AND /*visible:s*/
RETURN null AS source, null AS target, s.kind AS kind, null AS seq, null AS confidence,
       s.eid AS id, s.org AS org, s.first_seq AS first_seq, s.count AS count,
       s.summary AS summary, s.facts AS facts
UNION ALL
UNWIND $ids AS id
MATCH (b:Entity)-[r:REL]->(a:Entity {id: id})
WHERE r.kind = 'LISTS' AND /*visible:r*/
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
