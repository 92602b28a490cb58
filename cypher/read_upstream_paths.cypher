// Every relation on traceToSource's walk from $ids in one round trip, as [source,
// target, kind, seq, confidence] collected per part: the visible SHIPS_FROM,
// SUPPLIED_BY and OPERATES paths forwards of at most $steps relations, the visible
// LISTS into $ids, and the forward paths from those storefronts (the walk's LISTS
// step backwards); each part at most $cap relations. Then the caller's summaries of
// $ids and of those storefronts, and the version of the caller's view (as
// read_view_version, with the epoch of the report counter): the store keeps other
// nodes' summaries for the view while it holds.
// (The var-length bound must be a literal: 9 = the deepest walk, 8 hops, plus one.
// Paths start from nodes matched in the same pattern: ArcadeDB expands a node passed
// on by WITH from scratch. Summaries of the nodes on the paths in this query took
// ArcadeDB 650 ms instead of 2.6 ms in a query of their own; the storefronts' part
// must name the matched id first, `(b)-[l]->(:Entity {id: id})` scans: 550 ms.)
MATCH (a:Entity)-[rs:REL*1..9]->(:Entity)
WHERE a.id IN $ids AND size(rs) <= $steps
  AND ALL(r IN rs WHERE r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/)
UNWIND rs AS r
WITH DISTINCT r LIMIT $cap
RETURN collect([startNode(r).id, endNode(r).id, r.kind, r.seq, r.confidence]) AS rels,
       null AS sums, null AS version
UNION ALL
MATCH (s:Entity)-[r:REL]->(a:Entity)
WHERE a.id IN $ids AND r.kind = 'LISTS' AND /*visible:r*/
RETURN collect([s.id, a.id, r.kind, r.seq, r.confidence]) AS rels,
       null AS sums, null AS version
UNION ALL
MATCH (a:Entity)<-[l:REL]-(:Entity)-[rs:REL*1..8]->(:Entity)
WHERE a.id IN $ids AND l.kind = 'LISTS' AND /*visible:l*/ AND size(rs) < $steps
  AND ALL(r IN rs WHERE r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/)
UNWIND rs AS r
WITH DISTINCT r LIMIT $cap
RETURN collect([startNode(r).id, endNode(r).id, r.kind, r.seq, r.confidence]) AS rels,
       null AS sums, null AS version
UNION ALL
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
RETURN null AS rels, collect(s.data) AS sums, null AS version
UNION ALL
UNWIND $ids AS id
MATCH (:Entity {id: id})<-[l:REL]-(b:Entity)
WHERE l.kind = 'LISTS' AND /*visible:l*/
WITH DISTINCT b.id AS eid
MATCH (s:ESum)
WHERE s.eid = eid AND /*visible:s*/
RETURN null AS rels, collect(s.data) AS sums, null AS version
UNION ALL
OPTIONAL MATCH (c:VClass)
WHERE /*visible:c*/
WITH coalesce(max(c.seq), 0) AS seq
OPTIONAL MATCH (m:Meta {key: 'seq'})
RETURN null AS rels, null AS sums, [seq, m.epoch] AS version
