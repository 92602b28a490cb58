MATCH (e:Entity)<-[:OF]-(f:EFact)
WHERE /*visible:f*/
RETURN e.id AS id, e.reporters AS reporters, f.seq AS seq, f.confidence AS confidence,
       f.kind AS kind, f.name AS name, f.region AS region, f.status AS status,
       f.properties AS properties, f.identifier_kind AS identifier_kind, f.value AS value
ORDER BY f.seq
