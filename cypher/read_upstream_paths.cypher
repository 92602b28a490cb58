// Every relation on traceToSource's walk from $ids in one round trip: the visible
// SHIPS_FROM, SUPPLIED_BY and OPERATES paths forwards of at most $steps relations,
// the visible LISTS into $ids, and the forward paths from those storefronts (the
// walk's LISTS step backwards); each part at most $cap rows. (The var-length bound
// must be a literal: 9 = the deepest walk, 8 hops, plus one. Paths start from nodes
// matched in the same pattern: ArcadeDB expands a node passed on by WITH from scratch.)
MATCH (a:Entity)-[rs:REL*1..9]->(:Entity)
WHERE a.id IN $ids AND size(rs) <= $steps
  AND ALL(r IN rs WHERE r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/)
UNWIND rs AS r
WITH DISTINCT r LIMIT $cap
RETURN startNode(r).id AS source, endNode(r).id AS target, r.kind AS kind, r.seq AS seq,
       r.confidence AS confidence
UNION ALL
MATCH (s:Entity)-[r:REL]->(a:Entity)
WHERE a.id IN $ids AND r.kind = 'LISTS' AND /*visible:r*/
RETURN s.id AS source, a.id AS target, r.kind AS kind, r.seq AS seq,
       r.confidence AS confidence
UNION ALL
MATCH (a:Entity)<-[l:REL]-(:Entity)-[rs:REL*1..8]->(:Entity)
WHERE a.id IN $ids AND l.kind = 'LISTS' AND /*visible:l*/ AND size(rs) < $steps
  AND ALL(r IN rs WHERE r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/)
UNWIND rs AS r
WITH DISTINCT r LIMIT $cap
RETURN startNode(r).id AS source, endNode(r).id AS target, r.kind AS kind, r.seq AS seq,
       r.confidence AS confidence
