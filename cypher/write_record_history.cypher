// The versions a record write makes, appended to the records' history (never changed):
// hkey is kind and id joined, at the writer's clock in microseconds.
UNWIND $rows AS row
CREATE (:RecordVersion {hkey: row.hkey, kind: row.kind, id: row.id, version: row.version,
                        at: row.at, sort: row.sort, terms: row.terms, doc: row.doc})
