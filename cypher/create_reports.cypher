UNWIND $rows AS row
CREATE (r:Report {seq: row.seq, org: row.org, report_id: row.report_id,
                  principal: row.principal, received_at: row.received_at, source: row.source,
                  confidence: row.confidence, marking: row.marking, shared: row.shared,
                  digest: row.digest, evidence: row.evidence, entities: row.entities,
                  relations: row.relations, at: row.at})
