MATCH (a:Entity)-[r:REL]-(b:Entity)
WHERE a.id IN $ids AND ($kinds IS NULL OR r.kind IN $kinds) AND /*visible:r*/
RETURN DISTINCT startNode(r).id AS source, endNode(r).id AS target, r.kind AS kind,
       r.seq AS seq, r.confidence AS confidence
