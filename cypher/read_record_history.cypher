// Every version of one record (key: kind and id joined) written at or before $at (all
// when null), oldest first.
MATCH (h:RecordVersion {hkey: $key})
WHERE $at IS NULL OR h.at <= $at
RETURN h.kind AS kind, h.id AS id, h.version AS version, h.sort AS sort, h.terms AS terms,
       h.doc AS doc
ORDER BY version
