// The newest version written at or before $at of every record of $kind.
MATCH (h:RecordVersion {kind: $kind})
WHERE h.at <= $at
WITH h.id AS id, h ORDER BY h.version DESC
WITH id, collect([h.kind, h.id, h.version, h.sort, h.terms, h.doc])[0] AS v
RETURN v[0] AS kind, v[1] AS id, v[2] AS version, v[3] AS sort, v[4] AS terms, v[5] AS doc
