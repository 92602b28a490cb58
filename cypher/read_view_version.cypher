// The version of the caller's view: the newest report key among the visibility classes
// it may see (one (:VClass) per class, moved by every write of that class), 0 when none.
// A write of a class the caller may not see leaves it as it was.
OPTIONAL MATCH (c:VClass)
WHERE /*visible:c*/
RETURN coalesce(max(c.seq), 0) AS value
