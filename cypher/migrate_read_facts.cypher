// Migration to entity summaries: every fact of some entities, whoever may read it
// (the summaries keep the classes apart; no caller sees these rows), oldest first.
MATCH (f:EFact)
WHERE f.eid IN $ids
RETURN f.eid AS id, f.seq AS seq, f.org AS org, f.marking AS marking, f.shared AS shared,
       f.confidence AS confidence, f.kind AS kind, f.name AS name, f.region AS region,
       f.status AS status, f.properties AS properties, f.identifier_kind AS identifier_kind,
       f.value AS value
ORDER BY f.seq
