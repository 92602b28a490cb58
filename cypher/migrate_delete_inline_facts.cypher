// Migration to entity summaries: the facts an entity's summaries now hold inline.
UNWIND $rows AS row
MATCH (f:EFact)
WHERE f.eid = row.eid AND f.seq IN row.seqs
DETACH DELETE f
