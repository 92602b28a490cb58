// Provenance by report key; the keys come from facts the caller may already see.
MATCH (r:Report) WHERE r.seq IN $seqs
RETURN r.seq AS seq, r.report_id AS report_id, r.org AS org, r.received_at AS received_at,
       r.source AS source, r.confidence AS confidence, r.marking AS marking,
       r.shared AS shared, r.evidence AS evidence
