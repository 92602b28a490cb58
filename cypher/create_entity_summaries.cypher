// The first facts of an (entity, visibility class): its summary, which carries the
// class (org, marking, shared) for the visibility fragment, and the report keys of
// its inline facts (seqs) for read_entity_records; at: its first fact's time.
UNWIND $rows AS row
CREATE (:ESum {skey: row.skey, eid: row.eid, org: row.org, marking: row.marking,
               shared: row.shared, first_seq: row.first_seq, kind: row.kind,
               data: row.data, seqs: row.seqs, at: row.at})
