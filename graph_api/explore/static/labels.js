// Which node labels are drawn. Labels keep LABEL_PX on screen when zoomed out (their
// size in the graph grows as the zoom shrinks), so at a given zoom only so many fit:
// the most important nodes' labels are placed first, each only where it covers no
// label already placed nor the node that label names; placed ones are "named" and
// drawn, the rest not drawn at all (so a thousand hidden labels cost nothing).
// Zooming in makes room for more. Groups always show their titles, ring boxes where
// they meet no other title; selected nodes come first; a hovered node shows its
// label whatever the culling said.

import { FONT, labelSize, styleFor } from "./graph.js";

const BODY = { includeLabels: false, includeEdges: false, includeOverlays: false, includeUnderlays: false };

const meets = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

/** Labels over ``cy``: ``refresh()`` after drawing; zoom and selection are followed. */
export function createLabels(cy) {
  let size = null;
  let timer = null;
  const stats = { shown: 0, hidden: 0, ms: 0, size: 0 };
  const widths = new Map(); // `${weight}|${text}` -> width at the current size
  const measure = document.createElement("canvas").getContext("2d");

  /** Re-size labels for ``zoom`` (a new stylesheet only when the size changed). */
  function restyle(zoom = cy.zoom()) {
    const next = Math.round(labelSize(zoom) * 100) / 100;
    if (size !== null && Math.abs(next - size) / size < 0.03) return;
    size = next;
    widths.clear();
    cy.style().fromJson(styleFor(size)).update();
  }

  /**
   * Where ``n``'s label would be drawn, at least as large as Cytoscape's own box for
   * it (renderer: width of the text measured in the label's font, the font size
   * high, under the node by the text margin, grown by the outline, two pixels of
   * margin for error and one for antialiasing), plus one for safety.
   */
  function labelBox(n) {
    const text = n.data("label");
    const weight = n.hasClass("source") || n.hasClass("key") ? "bold" : "normal";
    const key = `${weight}|${text}`;
    if (!widths.has(key)) {
      measure.font = `normal ${weight} ${size}px ${FONT}`;
      widths.set(key, Math.ceil(measure.measureText(text).width));
    }
    const k = size / 11;
    const pad = 1.5 * k + 2 + 1 + 1;
    const p = n.position();
    const top = p.y + n.height() / 2 + 2 * k;
    const half = widths.get(key) / 2;
    return { x1: p.x - half - pad, x2: p.x + half + pad, y1: top - pad, y2: top + size + pad };
  }

  /**
   * Where a box's title would be drawn (graph.js ":parent": bold, 13 px on screen,
   * above the box), at least as large as Cytoscape's own box for it, plus safety.
   */
  function titleBox(n) {
    const text = n.data("label") || "";
    const k = size / 11;
    const font = 13 * k;
    const key = `title|${font}|${text}`;
    if (!widths.has(key)) {
      measure.font = `normal bold ${font}px ${FONT}`;
      widths.set(key, Math.ceil(measure.measureText(text).width));
    }
    const body = n.boundingBox(BODY);
    const middle = (body.x1 + body.x2) / 2;
    const half = widths.get(key) / 2 + 2 + 1 + 2;
    const bottom = body.y1 + 3;
    return { x1: middle - half, x2: middle + half, y1: bottom - font - 2 * k - 8, y2: bottom };
  }

  function priority(n) {
    if (n.selected()) return 1e8;
    return n.data("rank") || 0;
  }

  function cull() {
    const t0 = performance.now();
    if (size === null) restyle();
    const cell = Math.max(size, 1) * 6;
    const grid = new Map();
    const cells = (b) => {
      const keys = [];
      for (let i = Math.floor(b.x1 / cell); i <= Math.floor(b.x2 / cell); i++) {
        for (let j = Math.floor(b.y1 / cell); j <= Math.floor(b.y2 / cell); j++) keys.push(`${i},${j}`);
      }
      return keys;
    };
    const put = (b, isLabel) => cells(b).forEach((key) => {
      if (!grid.has(key)) grid.set(key, []);
      grid.get(key).push({ ...b, isLabel });
    });
    const hits = (box, labelsOnly) => cells(box).some((key) => (grid.get(key) || [])
      .some((b) => (!labelsOnly || b.isLabel) && meets(b, box)));
    // Groups' titles first (always drawn: the groups are laid out on a grid), then
    // ring boxes' titles, the largest box first, each only where it meets no other.
    cy.nodes(".group").forEach((n) => {
      const b = n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
      if (b.w > 0) put(b, true);
    });
    const titled = [];
    const untitled = [];
    cy.nodes(":parent").not(".group").sort((a, b) => b.children().length - a.children().length)
      .forEach((n) => {
        const b = titleBox(n);
        if (hits(b, false)) {
          untitled.push(n);
        } else {
          titled.push(n);
          put(b, true);
        }
      });
    const nodes = cy.nodes().filter((n) => !n.isParent() && !n.hasClass("group") && n.data("label") && n.visible())
      .toArray().map((n) => [n, priority(n)]);
    nodes.sort((a, b) => b[1] - a[1] || (a[0].id() < b[0].id() ? -1 : 1));
    const show = [];
    const hide = [];
    for (const [n] of nodes) {
      // Its label may cover no label or named node placed before; and as a named node
      // is drawn over unnamed ones, its own body may cover no label placed before.
      const box = labelBox(n);
      const body = n.boundingBox(BODY);
      if (hits(box, false) || hits(body, true)) {
        hide.push(n);
        continue;
      }
      show.push(n);
      put(box, true);
      put(body, false);
    }
    cy.batch(() => {
      show.forEach((n) => { if (!n.hasClass("named")) n.addClass("named"); });
      hide.forEach((n) => { if (n.hasClass("named")) n.removeClass("named"); });
      titled.forEach((n) => { if (n.hasClass("untitled")) n.removeClass("untitled"); });
      untitled.forEach((n) => { if (!n.hasClass("untitled")) n.addClass("untitled"); });
    });
    Object.assign(stats, { shown: show.length, hidden: hide.length, ms: performance.now() - t0, size });
  }

  /** Size labels for the zoom and choose which are drawn: after every draw or layout. */
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

  /** Size labels for the zoom a view is about to get, before its elements are styled. */
  const prepare = (zoom) => restyle(zoom);

  return { refresh, cull, restyle, prepare, stats, labelBox };
}
