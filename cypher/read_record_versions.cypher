// Each record's newest version written at or before $at, by key (kind and id joined).
UNWIND $keys AS key
MATCH (h:RecordVersion {hkey: key})
WHERE h.at <= $at
WITH key, h ORDER BY h.version DESC
WITH key, collect([h.kind, h.id, h.version, h.sort, h.terms, h.doc])[0] AS v
RETURN v[0] AS kind, v[1] AS id, v[2] AS version, v[3] AS sort, v[4] AS terms, v[5] AS doc
