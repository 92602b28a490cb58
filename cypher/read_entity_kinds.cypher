// The kind each entity is known by to the caller: that of its first visible fact,
// the first fact of its earliest visible class. (Ids by UNWIND and map match: ArcadeDB
// answers `s.eid IN $ids` in time growing with the square of the ids, 3x slower at
// 3,000 and 6x at 12,000, the size a bulk batch asks for.)
UNWIND $ids AS id
MATCH (s:ESum {eid: id})
WHERE /*visible:s*/
WITH id, s ORDER BY s.first_seq
RETURN id, collect(s.kind)[0] AS kind
