// One upstream step from $ids, as traceToSource walks: SHIPS_FROM, SUPPLIED_BY and
// OPERATES forwards, LISTS backwards (listing to its storefront).
MATCH (a:Entity)-[r:REL]->(b:Entity)
WHERE a.id IN $ids AND r.kind IN ['SHIPS_FROM', 'SUPPLIED_BY', 'OPERATES'] AND /*visible:r*/
RETURN a.id AS source, b.id AS target, r.kind AS kind, r.seq AS seq, r.confidence AS confidence
UNION
MATCH (b:Entity)-[r:REL]->(a:Entity)
WHERE a.id IN $ids AND r.kind = 'LISTS' AND /*visible:r*/
RETURN b.id AS source, a.id AS target, r.kind AS kind, r.seq AS seq, r.confidence AS confidence
