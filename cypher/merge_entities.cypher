// The entities a batch of reports names, each id once: the ends relations join.
UNWIND $ids AS id
MERGE (:Entity {id: id})
