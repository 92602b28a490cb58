// The entities a search for $needle (case-folded, plain ASCII) may find for the caller:
// its id, or a visible summary's data (names, properties, inline facts' properties)
// holding it, or a visible hub fact's properties. Case is folded as str.casefold folds
// every character whose folding holds ASCII (toUpper then toLower, twice: "ß" -> "ss",
// "ẞ" -> "ß" -> "ss"; tested against the server). A superset: the store checks each on
// its node data (reads.search_rank).
MATCH (s:ESum)
WHERE /*visible:s*/ AND toLower(toUpper(toLower(toUpper(s.data)))) CONTAINS $needle
RETURN DISTINCT s.eid AS id
UNION
MATCH (f:EFact)
WHERE f.properties IS NOT NULL AND /*visible:f*/
  AND toLower(toUpper(toLower(toUpper(f.properties)))) CONTAINS $needle
RETURN DISTINCT f.eid AS id
