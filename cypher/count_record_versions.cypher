// How many versions the records' history holds (it only grows).
MATCH (h:RecordVersion)
RETURN count(h) AS count
