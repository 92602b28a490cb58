// One entity as a record and its relations, in one round trip (the `entity` query asks
// for both, a round trip costs more than either): the caller's summaries of $ids and
// the envelopes of their inline facts (as read_entity_records), the caller's relations
// at $ids as [source, target, kind, seq, confidence], at most $cap of them (a store that
// gets $cap reads a relation page by itself), and the caller's summaries of their other
// ends (as read_relations_and_ends, whose shapes ArcadeDB answers by index).
MATCH (s:ESum)
WHERE s.eid IN $ids AND /*visible:s*/
RETURN collect(s.data) AS sums, null AS envs, null AS rels
UNION ALL
UNWIND $ids AS id
MATCH (s:ESum {eid: id})
WHERE /*visible:s*/
UNWIND s.seqs AS seq
MATCH (r:Report {seq: seq})
RETURN null AS sums,
       collect([r.seq, r.report_id, r.org, r.received_at, r.source, r.confidence,
                r.marking, r.shared, r.evidence]) AS envs,
       null AS rels
UNION ALL
MATCH (a:Entity)-[r:REL]-(:Entity)
WHERE a.id IN $ids AND /*visible:r*/
WITH r LIMIT $cap
RETURN null AS sums, null AS envs,
       collect([startNode(r).id, endNode(r).id, r.kind, r.seq, r.confidence]) AS rels
UNION ALL
UNWIND $ids AS id
MATCH (:Entity {id: id})-[r:REL]-(b:Entity)
WHERE /*visible:r*/
WITH DISTINCT b.id AS eid LIMIT $cap
MATCH (s:ESum)
WHERE s.eid = eid AND /*visible:s*/
RETURN collect(s.data) AS sums, null AS envs, null AS rels
