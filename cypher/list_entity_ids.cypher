MATCH (f:EFact)
WHERE /*visible:f*/
RETURN DISTINCT f.eid AS id ORDER BY id
