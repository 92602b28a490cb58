// Layouts, computed off screen: a headless Cytoscape holding only the view's bare
// shapes (ids, sizes, boxes, edges) is laid out and its positions returned. The
// drawn graph's full style is then computed once, at the label size the fitted zoom
// needs, instead of once for the layout and again when labels are resized.

// Up to this many entities the cluster layout runs fCoSE in full (spectral, then
// force-directed); past it clusters(): fCoSE takes seconds at a thousand nodes (its
// force-directed step, and joining the components for its spectral one).
export const FULL_LAYOUT_MAX = 150;
// The largest cluster clusters() draws as one disc.
const CLUSTER_MAX = 120;

const BARE = [
  { selector: "node", style: { width: "data(size)", height: "data(size)" } },
  { selector: ":parent", style: { padding: 14 } },
];

const FCOSE = {
  name: "fcose", randomize: true, animate: false, fit: false,
  nodeDimensionsIncludeLabels: false, packComponents: true, tile: true,
  nodeRepulsion: () => 9000, idealEdgeLength: () => 70, edgeElasticity: () => 0.45,
  nestingFactor: 0.1, gravity: 0.25, gravityCompound: 1.2, gravityRangeCompound: 1.5,
  numIter: 2500, nodeSeparation: 110,
};


/**
 * Positions for ``nodes`` ({id, size, parent?}) joined by ``edges`` ({id, source,
 * target}), laid out as ``kind``: "trace" (layered, upstream to the left) or
 * "cluster", for a view ``aspect`` (width / height) wide. Returns a Map id -> {x, y}
 * of the entities (boxes follow their members).
 */
export function layOut(kind, nodes, edges, aspect = 1.2) {
  const h = cytoscape({
    headless: true, styleEnabled: true, style: BARE,
    elements: nodes.map((n) => ({ group: "nodes", data: n }))
      .concat(edges.map((e) => ({ group: "edges", data: e }))),
  });
  const entities = h.nodes().not(":parent");
  if (kind === "trace") {
    // network-simplex ranks more compactly; longest-path is 2-4 times quicker.
    const small = entities.length <= 150;
    h.layout({
      name: "dagre", rankDir: "RL", nodeSep: small ? 34 : 20, rankSep: small ? 190 : 120,
      edgeSep: 10, ranker: small ? "network-simplex" : "longest-path", fit: false,
      animate: false,
    }).run();
  } else {
    cluster(h, entities.length, aspect);
  }
  const positions = new Map();
  entities.forEach((n) => positions.set(n.id(), { ...n.position() }));
  h.destroy();
  return positions;
}

/**
 * fCoSE (npm cytoscape-fcose), a layout for clusters and compound nodes, in full up
 * to FULL_LAYOUT_MAX entities: rings are boxes, each pulled together. Past that,
 * clusters() (fCoSE lays out the clusters, each a disc).
 */
function cluster(h, n, aspect) {
  if (n <= FULL_LAYOUT_MAX) {
    // A small view is drawn near full size: room between nodes for their names.
    const roomy = n <= 60;
    h.layout({
      ...FCOSE, quality: "default",
      ...(roomy ? { idealEdgeLength: () => 130, nodeRepulsion: () => 30000 } : {}),
    }).run();
    return;
  }
  clusters(h, aspect);
}

/**
 * Clusters as discs, for views too large for a force-directed layout in time: each
 * ring box is one cluster, the rest are found by label propagation (capped at
 * CLUSTER_MAX members); each cluster's members sit on a sunflower spiral, most
 * related at its centre; fCoSE then places the discs, joined by the relations
 * between them. Linear in the view, plus fCoSE over the clusters.
 */
function clusters(h, aspect) {
  const nodes = h.nodes().not(":parent");
  const ids = nodes.map((n) => n.id()).sort();
  const neighbours = new Map(ids.map((id) => [id, []]));
  h.edges().forEach((e) => {
    const [s, t] = [e.data("source"), e.data("target")];
    if (s !== t && neighbours.has(s) && neighbours.has(t)) {
      neighbours.get(s).push(t);
      neighbours.get(t).push(s);
    }
  });
  const label = new Map();
  const size = new Map();
  const fixed = new Set();
  nodes.forEach((n) => {
    const parent = n.data("parent");
    const key = parent ? `box:${parent}` : n.id();
    label.set(n.id(), key);
    size.set(key, (size.get(key) || 0) + 1);
    if (parent) fixed.add(n.id());
  });
  for (let round = 0; round < 12; round++) {
    let changed = 0;
    for (const id of ids) {
      if (fixed.has(id)) continue;
      const votes = new Map();
      for (const nb of neighbours.get(id)) {
        if (fixed.has(nb)) continue; // a ring's box is its own cluster
        const l = label.get(nb);
        votes.set(l, (votes.get(l) || 0) + 1);
      }
      const mine = label.get(id);
      let best = mine;
      let bestVotes = votes.get(mine) || 0;
      for (const [l, v] of votes) {
        if (l !== mine && (size.get(l) || 0) >= CLUSTER_MAX) continue;
        if (v > bestVotes || (v === bestVotes && l < best)) {
          best = l;
          bestVotes = v;
        }
      }
      if (best !== mine) {
        size.set(mine, size.get(mine) - 1);
        size.set(best, (size.get(best) || 0) + 1);
        label.set(id, best);
        changed += 1;
      }
    }
    if (!changed) break;
  }
  // Members on a sunflower spiral round each cluster's centre, most related first.
  const members = new Map();
  for (const id of ids) {
    const l = label.get(id);
    if (!members.has(l)) members.set(l, []);
    members.get(l).push(id);
  }
  const local = new Map();
  const radius = new Map();
  for (const [l, list] of members) {
    list.sort((a, b) => neighbours.get(b).length - neighbours.get(a).length || (a < b ? -1 : 1));
    const step = Math.max(...list.map((id) => h.getElementById(id).data("size") || 24)) * 0.62 + 14;
    list.forEach((id, i) => {
      const r = step * Math.sqrt(i);
      const angle = i * 2.39996;
      local.set(id, { x: r * Math.cos(angle), y: r * Math.sin(angle) });
    });
    // A ring's box adds its padding and its title.
    radius.set(l, step * Math.sqrt(list.length) + (l.startsWith("box:") ? 40 : 14));
  }
  // The clusters, as discs joined by the relations between them, laid out by fCoSE.
  const keys = [...members.keys()];
  const index = new Map(keys.map((k, i) => [k, `c${i}`]));
  const links = new Map();
  h.edges().forEach((e) => {
    const a = label.get(e.data("source"));
    const b = label.get(e.data("target"));
    if (a === undefined || b === undefined || a === b) return;
    const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    links.set(key, (links.get(key) || 0) + 1);
  });
  const super_ = cytoscape({
    headless: true, styleEnabled: true, style: BARE,
    elements: keys.map((k) => ({ group: "nodes", data: { id: index.get(k), size: 2 * radius.get(k) } }))
      .concat([...links.keys()].map((key, i) => {
        const [a, b] = key.split("\u0000");
        return { group: "edges", data: { id: `l${i}`, source: index.get(a), target: index.get(b) } };
      })),
  });
  super_.layout({
    ...FCOSE, quality: keys.length <= 400 ? "default" : "draft", nodeRepulsion: () => 20000,
    idealEdgeLength: () => 60, nodeSeparation: 60, numIter: 1500,
  }).run();
  const centre = new Map(keys.map((k) => [k, { ...super_.getElementById(index.get(k)).position() }]));
  super_.destroy();
  const discs = keys.map((k) => ({ c: centre.get(k), r: radius.get(k) }));
  separate(discs);
  // Stretched to the view's shape (then parted again), so the view is filled.
  const xs = discs.map((d) => d.c.x);
  const ys = discs.map((d) => d.c.y);
  const w = Math.max(...xs) - Math.min(...xs) + 1;
  const hgt = Math.max(...ys) - Math.min(...ys) + 1;
  const stretch = (hgt / w) * aspect;
  if (stretch > 1.15 || stretch < 0.87) {
    discs.forEach((d) => {
      if (stretch > 1) d.c.x *= stretch;
      else d.c.y /= stretch;
    });
    separate(discs);
  }
  nodes.forEach((n) => {
    const c = centre.get(label.get(n.id()));
    const p = local.get(n.id());
    n.position({ x: c.x + p.x, y: c.y + p.y });
  });
}

/**
 * Push apart clusters ({c: {x, y}, r}) whose squares overlap (a ring's box is the
 * square round its disc, and fCoSE leaves some overlap), along the axis of least
 * overlap, a few rounds.
 */
function separate(discs) {
  for (let round = 0; round < 80; round++) {
    let moved = false;
    for (let i = 0; i < discs.length; i++) {
      for (let j = i + 1; j < discs.length; j++) {
        const a = discs[i];
        const b = discs[j];
        const need = a.r + b.r + 30;
        const dx = b.c.x - a.c.x;
        const dy = b.c.y - a.c.y;
        const ox = need - Math.abs(dx);
        const oy = need - Math.abs(dy);
        if (ox <= 0 || oy <= 0) continue;
        if (ox < oy) {
          const s = (dx >= 0 ? 1 : -1) * (ox / 2);
          a.c.x -= s; b.c.x += s;
        } else {
          const s = (dy >= 0 ? 1 : -1) * (oy / 2);
          a.c.y -= s; b.c.y += s;
        }
        moved = true;
      }
    }
    if (!moved) return;
  }
}

/** The bounds of ``positions`` grown by each node's half size. */
export function bounds(positions, sizes) {
  let [x1, x2, y1, y2] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [id, p] of positions) {
    const r = (sizes.get(id) || 24) / 2;
    x1 = Math.min(x1, p.x - r); x2 = Math.max(x2, p.x + r);
    y1 = Math.min(y1, p.y - r); y2 = Math.max(y2, p.y + r);
  }
  return { x1, x2, y1, y2, w: x2 - x1, h: y2 - y1 };
}

/** Warm the layouts' code once, off screen, while the reader reads the page. */
export function warmUp() {
  const nodes = [];
  const edges = [];
  for (let i = 0; i < 300; i++) {
    nodes.push({ id: `w${i}`, size: 24 });
    if (i) edges.push({ id: `we${i}`, source: `w${(i - 1) >> 2}`, target: `w${i}` });
  }
  layOut("trace", nodes, edges);
  layOut("cluster", nodes, edges);
}
