// Entities as records: the caller's summaries (as read_entity_summaries) and the
// envelopes of the reports behind their inline facts (a record's assertions are often
// asked next; the envelopes are kept by report key), each part one row. (ArcadeDB
// answers the second part right, and by index, only in this shape: each id matched
// by map after an UNWIND of the parameter, the report keys unwound without a WITH.)
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
RETURN collect(s.data) AS sums, null AS envs
UNION ALL
UNWIND $ids AS id
MATCH (s:ESum {eid: id})
WHERE /*visible:s*/
UNWIND s.seqs AS seq
MATCH (r:Report {seq: seq})
RETURN null AS sums,
       collect([r.seq, r.report_id, r.org, r.received_at, r.source, r.confidence,
                r.marking, r.shared, r.evidence]) AS envs
