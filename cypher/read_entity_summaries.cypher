// The caller's summaries of entities, one entry per visible (entity, class): the
// summary node's data, collected into one row (a row and a value cost the driver
// more than their bytes).
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
RETURN collect(s.data) AS sums
