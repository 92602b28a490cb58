// The change log of the STIX feeds (graph_api.store.events): one node per report,
// written in the report's transaction, with its class and the ids of what it stated.
UNWIND $rows AS row
CREATE (:ReportLog {seq: row.seq, org: row.org, marking: row.marking, shared: row.shared,
                    entities: row.entities, sources: row.sources, kinds: row.kinds,
                    targets: row.targets, at: row.at})
