// The entities a search for $needle (lower-cased, plain ASCII) may find for the caller:
// its id, or a visible summary's data (names, properties, inline facts' properties)
// holding it, or a visible hub fact's properties; and any whose texts hold a character
// that case-folds to ASCII ($folding, a regular expression: "ß" holds "ss"). A
// superset: the store checks each on its node data (reads.search_rank).
MATCH (s:ESum)
WHERE /*visible:s*/
  AND (toLower(s.data) CONTAINS $needle OR s.data =~ $folding)
RETURN DISTINCT s.eid AS id
UNION
MATCH (f:EFact)
WHERE f.properties IS NOT NULL AND /*visible:f*/
  AND (toLower(f.properties) CONTAINS $needle OR f.properties =~ $folding)
RETURN DISTINCT f.eid AS id
