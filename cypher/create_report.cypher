CREATE (r:Report {seq: $seq, org: $org, report_id: $report_id, principal: $principal,
                  received_at: $received_at, source: $source, confidence: $confidence,
                  marking: $marking, shared: $shared, digest: $digest, evidence: $evidence,
                  entities: $entities, relations: $relations})
