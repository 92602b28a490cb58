MATCH (f:EFact)
WHERE /*visible:f*/
RETURN f.eid AS id, f.org AS org, f.seq AS seq, f.confidence AS confidence, f.kind AS kind,
       f.name AS name, f.region AS region, f.status AS status, f.properties AS properties,
       f.identifier_kind AS identifier_kind, f.value AS value
ORDER BY f.seq
