// One upstream step from $ids, as traceToSource walks (SHIPS_FROM, SUPPLIED_BY and
// OPERATES forwards, LISTS backwards), and the caller's summaries of $ids and of the
// nodes stepped to; shaped as read_relations_and_ends.
MATCH (a:Entity)-[r:REL]->(b:Entity)
WHERE a.id IN $ids AND r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/
RETURN collect([a.id, b.id, r.kind, r.seq, r.confidence]) AS rels, null AS sums
UNION ALL
MATCH (b:Entity)-[r:REL]->(a:Entity)
WHERE a.id IN $ids AND r.kind = 'LISTS' AND /*visible:r*/
RETURN collect([b.id, a.id, r.kind, r.seq, r.confidence]) AS rels, null AS sums
UNION ALL
UNWIND $ids AS id
MATCH (:Entity {id: id})-[r:REL]->(b:Entity)
WHERE r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/
WITH DISTINCT b.id AS eid
MATCH (s:ESum)
WHERE s.eid = eid AND /*visible:s*/
RETURN null AS rels,
       collect(s.data) AS sums
UNION ALL
UNWIND $ids AS id
MATCH (b:Entity)-[r:REL]->(:Entity {id: id})
WHERE r.kind = 'LISTS' AND /*visible:r*/
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
