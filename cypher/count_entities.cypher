// How many entities the caller sees: those with a visible summary.
MATCH (s:ESum)
WHERE /*visible:s*/
RETURN count(DISTINCT s.eid) AS total
