MATCH (r:Report {report_id: $report_id}) WHERE r.org = $org
RETURN r.digest AS digest, r.entities AS entities, r.relations AS relations
