// The one visibility rule (DESIGN.md's marking table), for an assertion `x`
// that carries its reporter (org), marking and sharedWith (shared). The loader
// puts it wherever a query says /*visible:VAR*/, with VAR for x.
// $markings: those the caller reads at all (every one, or up to a max_marking ceiling).
// $as_of: a view as of a time (microseconds since the epoch), null for today's; `at` is
// when the assertion was reported (a node holding several, the first of them).
(x.marking IN $markings
 AND (x.marking IN ['CLEAR', 'GREEN'] OR x.org = $org OR $org IN x.shared
      OR (x.marking = 'AMBER' AND $org_type IN ['PLATFORM', 'REGULATOR'])
      OR (x.marking = 'AMBER_STRICT' AND $org_type = 'PLATFORM'))
 AND ($as_of IS NULL OR x.at <= $as_of))
