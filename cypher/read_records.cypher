// Workflow records by key (kind and id joined).
MATCH (r:Record) WHERE r.key IN $keys AND r.doc IS NOT NULL
RETURN r.kind AS kind, r.id AS id, r.version AS version, r.sort AS sort, r.terms AS terms,
       r.doc AS doc
