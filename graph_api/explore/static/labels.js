// Which node labels are shown. Labels keep LABEL_PX on screen when zoomed out (their
// size in the graph grows as the zoom shrinks), so at a given zoom only so many fit:
// the most important nodes' labels are placed first, and a label that would overlap
// one already placed is hidden ("quiet"). Zooming in makes room for more. Ring boxes
// and groups are placed first, then selected nodes; a hovered node shows its label.
// A shown label covers neither another shown label nor the node another one names.

import { labelSize, styleFor } from "./graph.js";

const BOX = {
  includeNodes: false, includeEdges: false, includeLabels: true, includeMainLabels: true,
  includeSourceLabels: false, includeTargetLabels: false, includeOverlays: false,
  includeUnderlays: false, includeOutlines: false,
};

/**
 * A node's label box in graph coordinates (w 0 when it has no label): its bounds
 * with labels only, less the bounds-expansion a status badge adds (data "bex":
 * [top, right, bottom, left]).
 */
export function labelBox(node) {
  const bb = node.boundingBox(BOX);
  const bex = node.data("bex");
  if (!Array.isArray(bex) || !(bb.w > 0)) return bb;
  const [top, right, bottom, left] = bex;
  const box = { x1: bb.x1 + left, x2: bb.x2 - right, y1: bb.y1 + top, y2: bb.y2 - bottom };
  return { ...box, w: box.x2 - box.x1, h: box.y2 - box.y1 };
}

const BODY = { includeLabels: false, includeEdges: false, includeOverlays: false, includeUnderlays: false };

const meets = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

/** Labels over ``cy``: ``refresh()`` after drawing; zoom and selection are followed. */
export function createLabels(cy) {
  let size = null;
  let timer = null;
  const stats = { shown: 0, hidden: 0, ms: 0, size: 0 };

  /** Re-size labels for ``zoom`` (a new stylesheet only when the size changed). */
  function restyle(zoom = cy.zoom()) {
    const next = Math.round(labelSize(zoom) * 100) / 100;
    if (size !== null && Math.abs(next - size) / size < 0.03) return;
    size = next;
    cy.style().fromJson(styleFor(size)).update();
  }

  function priority(n) {
    if (n.isParent() || n.hasClass("group")) return 1e9;
    if (n.selected()) return 1e8;
    return n.data("rank") || 0;
  }

  function cull() {
    const t0 = performance.now();
    const cell = Math.max(size || 11, 1) * 6;
    const grid = new Map();
    const cells = (b) => {
      const keys = [];
      for (let i = Math.floor(b.x1 / cell); i <= Math.floor(b.x2 / cell); i++) {
        for (let j = Math.floor(b.y1 / cell); j <= Math.floor(b.y2 / cell); j++) keys.push(`${i},${j}`);
      }
      return keys;
    };
    const nodes = cy.nodes().toArray().map((n) => [n, priority(n)]);
    nodes.sort((a, b) => b[1] - a[1] || (a[0].id() < b[0].id() ? -1 : 1));
    const show = [];
    const hide = [];
    for (const [n] of nodes) {
      if (!n.visible() || !n.data("label")) continue;
      const box = labelBox(n);
      if (!(box.w > 0)) continue;
      const keys = cells(box);
      const forced = n.isParent() || n.hasClass("group");
      const blocked = !forced && keys.some((k) => (grid.get(k) || []).some((b) => meets(b, box)));
      if (blocked) {
        hide.push(n);
        continue;
      }
      show.push(n);
      // The label, and the body of the node it names: no later label covers either.
      const body = n.isParent() || n.hasClass("group") ? null : n.boundingBox(BODY);
      for (const b of body ? [box, body] : [box]) {
        cells(b).forEach((k) => {
          if (!grid.has(k)) grid.set(k, []);
          grid.get(k).push(b);
        });
      }
    }
    cy.batch(() => {
      show.forEach((n) => { if (n.hasClass("quiet")) n.removeClass("quiet"); });
      hide.forEach((n) => { if (!n.hasClass("quiet")) n.addClass("quiet"); });
    });
    Object.assign(stats, { shown: show.length, hidden: hide.length, ms: performance.now() - t0, size });
  }

  /** Size labels for the zoom and choose which show: after every draw or layout. */
  function refresh() {
    clearTimeout(timer);
    restyle();
    cull();
  }

  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 120);
  };
  cy.on("zoom", later);
  cy.on("select unselect", "node", later);
  cy.on("free", "node", later);
  cy.on("mouseover", "node", (ev) => ev.target.addClass("hover"));
  cy.on("mouseout", "node", (ev) => ev.target.removeClass("hover"));
  cy.on("mouseover", "edge", (ev) => ev.target.addClass("hover"));
  cy.on("mouseout", "edge", (ev) => ev.target.removeClass("hover"));

  /** The boxes of the labels shown now (what a reader sees), for tests and benchmarks. */
  function visibleBoxes() {
    return cy.nodes().filter((n) => n.visible() && n.data("label") && !n.hasClass("quiet")
      && !n.hasClass("hover") && n.style("text-opacity") > 0)
      .map((n) => ({ id: n.id(), ...labelBox(n) }));
  }

  /** Size labels for the zoom a view is about to get, before its elements are styled. */
  const prepare = (zoom) => restyle(zoom);

  return { refresh, cull, restyle, prepare, stats, visibleBoxes };
}
