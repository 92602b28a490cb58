MATCH (e:Entity)<-[:OF]-(f:EFact)
WHERE /*visible:f*/
RETURN DISTINCT e.id AS id ORDER BY id
