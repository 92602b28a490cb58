MATCH (a:Entity)-[r:REL]->(b:Entity)
WHERE /*visible:r*/
RETURN a.id AS source, b.id AS target, r.kind AS kind, r.seq AS seq, r.confidence AS confidence
