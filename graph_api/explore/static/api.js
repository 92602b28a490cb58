// The public GraphQL API, and nothing else: every call is POST /graphql with the
// caller's bearer token, so the page can show only what the API answers that caller.

export const API_LIMIT = 10000; // DESIGN.md "Limits and errors": limit <= 10,000
export const DEFAULT_LIMIT = 2000; // the API's own default for network(limit:)
export const MAX_HOPS = 8;

const TOKEN_KEY = "graph_api.explore.token";

export function clampLimit(value) {
  const n = Math.floor(Number(value));
  if (!Number.isFinite(n) || n < 1) return DEFAULT_LIMIT;
  return Math.min(n, API_LIMIT);
}

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// The time the view is drawn as of: null for now, else the ISO text of an instant
// (as the API wrote it, microseconds kept: "at or before" compares full precision).
let asOf = null;
export const clock = {
  get: () => asOf,
  set: (iso) => { asOf = iso || null; },
};

const timedText = new Map();

/**
 * ``query`` carrying the operation directive ``@asOf(at: $asOf)``, or null when it is
 * not a query operation (a mutation is always now). Only the page's own query texts
 * (``Q``) come here, never text a user typed.
 */
export function timed(query) {
  if (!timedText.has(query)) {
    const text = query.trimStart();
    let out = null;
    if (text.startsWith("{")) {
      out = `query ($asOf: DateTime!) @asOf(at: $asOf) ${text}`;
    } else {
      const m = /^query\s*(\w*)\s*(\(([^)]*)\))?/.exec(text);
      if (m) {
        const vars = m[3] ? `${m[3]}, $asOf: DateTime!` : "$asOf: DateTime!";
        out = `query ${m[1]}(${vars}) @asOf(at: $asOf)${text.slice(m[0].length)}`;
      }
    }
    timedText.set(query, out);
  }
  return timedText.get(query);
}

/**
 * Ask the API. While the view is drawn as of a past time (``clock``), every query
 * operation is asked as of it; ``gqlNow`` asks as of now whatever the clock says
 * (login, the liaison's cases: what exists today).
 */
export async function gql(query, variables = {}, bearer = token.get()) {
  const past = asOf && timed(query);
  return past ? gqlNow(past, { ...variables, asOf }, bearer) : gqlNow(query, variables, bearer);
}

export async function gqlNow(query, variables = {}, bearer = token.get()) {
  const endpoint = document.body.dataset.graphql || "/graphql";
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
    credentials: "omit",
    cache: "no-store",
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP ${response.status}`, "INTERNAL");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, (first.extensions || {}).code || "INTERNAL");
  }
  return body.data;
}

// Fields every drawn element needs: its marking comes from its visible assertions.
// Their report times give the time slider its stops.
const N = `fragment N on Entity { id kind name region status confidence identifierKind value
  assertions { marking reportedAt } }`;
const R = `fragment R on Relation { id kind confidence from { id } to { id }
  assertions { marking reportedAt } }`;
// What happened to an entity, in time order (Entity.timeline).
const T = `fragment T on TimelineEvent { at kind summary marking recordId cursor
  reportedBy { id name } }`;

export const Q = {
  me: `{ me { id role org { id name type } } }`,

  // Feature detection: the contract's openCase may not be served yet.
  mutations: `{ __type(name: "Mutation") { fields { name } } }`,

  search: `query Search($search: String, $kind: EntityKind, $first: Int, $after: String) {
    entities(search: $search, kind: $kind, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { ...N } }
    } } ${N}`,

  entity: `query Entity($id: ID!) { entity(id: $id) {
    id kind name region status properties confidence value identifierKind
    assertions { reportId reportedAt source confidence marking
      reportedBy { id name type } sharedWith { id name }
      evidence { id kind description sha256 uri } }
    relations(first: 1) { totalCount }
    timeline(first: 20) { ...T }
  } } ${T}`,

  timeline: `query Timeline($id: ID!, $after: String) { entity(id: $id) {
    timeline(first: 50, after: $after) { ...T } } } ${T}`,

  network: `query Net($seeds: [ID!]!, $maxHops: Int, $kinds: [RelationKind!], $limit: Int) {
    network(seeds: $seeds, maxHops: $maxHops, kinds: $kinds, limit: $limit) {
      truncated nodes { ...N } relations { ...R } } } ${N} ${R}`,

  trace: `query Trace($from: ID!, $maxDepth: Int, $minConfidence: Float) {
    traceToSource(from: $from, maxDepth: $maxDepth, minConfidence: $minConfidence) {
      origin { ...N }
      sources { score depth entity { ...N }
        paths(first: 3) { confidence nodes { ...N } relations { ...R } } }
    } } ${N} ${R}`,

  // The trace's shape only: ids are cheap to resolve, and one network() call then
  // fetches each entity and relation once instead of once per path.
  traceIds: `query TraceIds($from: ID!, $maxDepth: Int, $minConfidence: Float) {
    traceToSource(from: $from, maxDepth: $maxDepth, minConfidence: $minConfidence) {
      origin { id name }
      sources { score depth entity { id }
        paths(first: 3) { confidence nodes { id } relations { id } } }
    } }`,

  linked: `query Linked($id: ID!, $maxHops: Int) {
    linkedEntities(id: $id, maxHops: $maxHops) {
      entity { ...N } sharedIdentifiers { ...N }
      path { confidence nodes { ...N } relations { ...R } }
    } } ${N} ${R}`,

  rings: `query Rings($minSize: Int, $first: Int) { rings(minSize: $minSize, first: $first) {
      id size regions
      members { ...N } sources { ...N } knownRing { id name }
      keyPlayers(first: 5) { score entity { ...N } }
    } } ${N}`,

  relation: `query Rel($id: ID!, $kinds: [RelationKind!]) { entity(id: $id) {
    relations(direction: OUT, kinds: $kinds, first: 500) { edges { node { id
      assertions { reportId reportedAt source confidence marking
        reportedBy { id name type } sharedWith { id name }
        evidence { id kind description sha256 uri } } } } } } }`,

  openCase: `mutation OpenCase($input: CaseInput!) {
    openCase(input: $input) { id title status openedAt marking } }`,

  cases: `{ cases { id title status openedAt marking entities { id } } }`,

  exportCase: `mutation ExportCase($id: ID!, $recipient: String!, $formats: [ExportFormat!]!,
      $maxMarking: Marking, $asOf: DateTime) {
    exportCase(id: $id, recipient: $recipient, formats: $formats, maxMarking: $maxMarking,
        asOf: $asOf) {
      id createdAt downloadUrl manifestSha256 files { name bytes sha256 } case { id title } } }`,

  brands: `{ entities(kind: BRAND, first: 200) { edges { node { id name } } } }`,

  plan: `query Plan($brand: ID, $budget: Int!, $maxDepth: Int) {
    interdictionPlan(brand: $brand, budget: $budget, maxDepth: $maxDepth) {
      listingsConsidered cut remaining steps { cutAfter entity { ...N } } } } ${N}`,

  simulate: `query Simulate($remove: [ID!]!, $brand: ID, $maxDepth: Int) {
    simulateInterdiction(remove: $remove, brand: $brand, maxDepth: $maxDepth) {
      removed { id name }
      listingsCut(first: 1000) { id } storefrontsCut(first: 1000) { id }
      sourcesRemaining(first: 1000) { id }
      hotspotsBefore { region listings share } hotspotsAfter { region listings share } } }`,
};

// The relation kinds rings are computed over (DESIGN.md "rings").
export const RING_KINDS = [
  "OPERATES", "USES", "SUPPLIED_BY", "SHIPS_FROM", "MEMBER_OF", "ASSOCIATED_WITH",
];
