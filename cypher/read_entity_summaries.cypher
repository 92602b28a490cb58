// The caller's summaries of entities: one row per visible (entity, class).
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
RETURN s.eid AS id, s.org AS org, s.first_seq AS first_seq, s.kind AS kind,
       s.count AS count, s.summary AS summary,
       s.facts AS facts
