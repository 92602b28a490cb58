// Records written before the history existed, entered once as of $at.
MATCH (r:Record)
WHERE r.doc IS NOT NULL
CREATE (:RecordVersion {hkey: r.key, kind: r.kind, id: r.id, version: r.version, at: $at,
                        sort: r.sort, terms: r.terms, doc: r.doc})
