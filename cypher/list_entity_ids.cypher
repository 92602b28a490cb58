MATCH (s:ESum)
WHERE /*visible:s*/
RETURN DISTINCT s.eid AS id ORDER BY id
