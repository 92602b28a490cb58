CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT org_id IF NOT EXISTS FOR (o:Org) REQUIRE o.id IS UNIQUE;
CREATE CONSTRAINT principal_id IF NOT EXISTS FOR (p:Principal) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (m:Meta) REQUIRE m.key IS UNIQUE;
CREATE CONSTRAINT vclass_key IF NOT EXISTS FOR (c:VClass) REQUIRE c.key IS UNIQUE;
CREATE INDEX efact_eid IF NOT EXISTS FOR (f:EFact) ON (f.eid);
CREATE INDEX principal_token IF NOT EXISTS FOR (p:Principal) ON (p.token_hash);
CREATE INDEX report_id IF NOT EXISTS FOR (r:Report) ON (r.report_id);
CREATE INDEX report_seq IF NOT EXISTS FOR (r:Report) ON (r.seq);
CREATE INDEX audit_seq IF NOT EXISTS FOR (a:Audit) ON (a.seq);
CREATE INDEX audit_org IF NOT EXISTS FOR (a:Audit) ON (a.audience, a.org_seq);
CREATE CONSTRAINT record_key IF NOT EXISTS FOR (r:Record) REQUIRE r.key IS UNIQUE;
CREATE INDEX record_kind IF NOT EXISTS FOR (r:Record) ON (r.kind);
CREATE INDEX term_key IF NOT EXISTS FOR (t:Term) ON (t.tkey);
CREATE CONSTRAINT esum_key IF NOT EXISTS FOR (s:ESum) REQUIRE s.skey IS UNIQUE;
CREATE INDEX esum_eid IF NOT EXISTS FOR (s:ESum) ON (s.eid);
CREATE INDEX report_log_seq IF NOT EXISTS FOR (l:ReportLog) ON (l.seq);
CREATE INDEX record_version_key IF NOT EXISTS FOR (h:RecordVersion) ON (h.hkey);
CREATE INDEX record_version_kind IF NOT EXISTS FOR (h:RecordVersion) ON (h.kind)
