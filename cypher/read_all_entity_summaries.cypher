// Every summary the caller may see (their data, as read_entity_summaries), collected
// per entity.
MATCH (s:ESum)
WHERE /*visible:s*/
RETURN s.eid AS id, collect(s.data) AS sums
