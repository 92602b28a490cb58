UNWIND $keys AS k
MATCH (r:Report {report_id: k.report_id}) WHERE r.org = k.org
RETURN r.org AS org, r.report_id AS report_id, r.digest AS digest, r.entities AS entities,
       r.relations AS relations
