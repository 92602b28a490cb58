// What a node looks like: a shape and an icon per kind, a badge per enforcement
// status, and the legend that explains both. Icons and badges are SVG drawn here
// (data: URLs, which the page's CSP allows for images): nothing is fetched.

export const KINDS = [
  "SELLER", "STOREFRONT", "LISTING", "WAREHOUSE", "FACTORY", "RING", "IDENTIFIER", "BRAND",
];

export const SHAPES = {
  SELLER: "ellipse", STOREFRONT: "round-rectangle", LISTING: "rectangle",
  WAREHOUSE: "barrel", FACTORY: "hexagon", RING: "star", IDENTIFIER: "diamond",
  BRAND: "tag",
};

const INK = "#1d2330";

// 24x24 glyphs, filled with INK.
const ICONS = {
  SELLER: '<circle cx="12" cy="7.5" r="4.2"/><path d="M3.5 21.5c0-4.8 3.8-8.2 8.5-8.2s8.5 3.4 8.5 8.2z"/>',
  STOREFRONT: '<path d="M2.5 3.5h19l-1.8 5.5H4.3z"/><path d="M4.5 10.5h15v10h-5v-6h-5v6h-5z"/>',
  LISTING: '<path d="M2.5 2.5h9l10 10-9 9-10-10z"/><circle cx="7.5" cy="7.5" r="2" fill="#fff"/>',
  WAREHOUSE: '<path d="M1.5 9.5 12 3l10.5 6.5V21h-4v-9.5h-13V21h-4z"/><path d="M7 13.5h10V16H7zm0 3.5h10v2.5H7z"/>',
  FACTORY: '<path d="M2 21.5V11l6 3.8V11l6 3.8V3h4v18.5z"/>',
  RING: '<g fill="none" stroke="#1d2330" stroke-width="1.8"><path d="M12 5 5 18h14z"/></g>'
    + '<circle cx="12" cy="5" r="3.2"/><circle cx="5" cy="18" r="3.2"/><circle cx="19" cy="18" r="3.2"/>',
  IDENTIFIER: '<circle cx="7.5" cy="12" r="4.5" fill="none" stroke="#1d2330" stroke-width="2.6"/>'
    + '<path d="M11.5 10.6h11v2.8h-2.2v3.4h-3v-3.4h-5.8z"/>',
  BRAND: '<circle cx="12" cy="12" r="9.5" fill="none" stroke="#1d2330" stroke-width="2"/>'
    + '<path d="M8.6 17.5v-11h4.2c2.5 0 3.9 1.2 3.9 3.3 0 1.6-.9 2.7-2.3 3.1l2.7 4.6h-2.6l-2.4-4.3h-1.2v4.3zm2.3-6.2h1.8c1.2 0 1.8-.5 1.8-1.5s-.6-1.4-1.8-1.4h-1.8z"/>',
};

// Enforcement states, shown as a badge above the node. Final states are black;
// states on the way there are outlined. (DESIGN.md's status vocabulary.)
export const BADGES = {
  BANNED: "final", CLOSED: "final", RAIDED: "final", DELISTED: "final", DISMANTLED: "final",
  WARNED: "step", RESTRICTED: "step", NOTIFIED: "step", UNDER_INVESTIGATION: "step",
};
const BADGE_TEXT = { UNDER_INVESTIGATION: "INVESTIGATED" };

const esc = (s) => String(s).replace(/[<>&"']/g, (c) => (
  { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" }[c]));
const url = (svg) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

// The node image covers IMAGE_W x IMAGE_H times the node, centred on it: the icon in
// the middle (the node itself spans the middle 1/IMAGE_W), a badge across the top.
export const IMAGE_W = 2.6;
export const IMAGE_H = 2.0;
const VW = 260;
const VH = 200;

const badgePixels = (status) => Math.min(VW - 4, 40 + (BADGE_TEXT[status] || status).length * 17);

/**
 * How far a node's badge reaches past the node, in node sizes: above it, and on each
 * side. The view grows the node's bounds by as much (or the badge would be clipped).
 */
export function badgeReach(status) {
  if (!Object.hasOwn(BADGES, status)) return null;
  return { above: (IMAGE_H - 1) / 2, side: Math.max(0, ((badgePixels(status) / VW) * IMAGE_W - 1) / 2) };
}

function badgeSvg(status) {
  const final = BADGES[status] === "final";
  const text = BADGE_TEXT[status] || status;
  const w = badgePixels(status);
  const x = (VW - w) / 2;
  return `<rect x="${x}" y="2" width="${w}" height="44" rx="10" fill="${final ? INK : "#fff"}" `
    + `stroke="${INK}" stroke-width="5"/><text x="${VW / 2}" y="35" text-anchor="middle" `
    + `font-family="Arial, Helvetica, sans-serif" font-weight="700" font-size="31" `
    + `fill="${final ? "#fff" : INK}">${esc(text)}</text>`;
}

const cache = new Map(); // kind|badge -> the URL nodes use
const dataUrls = new Map(); // that URL -> the same picture as a data: URL (SVG)

function nodeSvg(kind, badge) {
  // The node spans x 80..180, y 50..150 of the image; the icon takes its middle 56%.
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${VW} ${VH}" `
    + `width="${VW}" height="${VH}"><g transform="translate(102 72) scale(2.333)" `
    + `fill="${INK}" fill-opacity="0.88">${ICONS[kind] || ""}</g>${badge ? badgeSvg(badge) : ""}</svg>`;
}

const keyOf = (kind, status) => `${kind}|${Object.hasOwn(BADGES, status || "") ? status : ""}`;

/**
 * The URL of a node's image: its kind's icon, and its status's badge if any. A short
 * blob: URL (Cytoscape parses every node's style value: a kilobyte-long data: URL per
 * node costs a tenth of a second at a thousand nodes), of a PNG once rasterize() has
 * run (a bitmap draws at a fraction of an SVG's cost), else of the SVG.
 * ``selfContained`` gives the data: URL of each, for files that leave the page.
 */
export function nodeImage(kind, status) {
  const key = keyOf(kind, status);
  if (!cache.has(key)) {
    const [k, badge] = key.split("|");
    const svg = nodeSvg(k, badge);
    const blob = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
    dataUrls.set(blob, url(svg));
    cache.set(key, blob);
  }
  return cache.get(key);
}

/** Draw every kind's and badge's picture once as a PNG, for nodeImage to hand out. */
export async function rasterize() {
  const canvas = document.createElement("canvas");
  canvas.width = VW;
  canvas.height = VH;
  const context = canvas.getContext("2d");
  for (const kind of KINDS) {
    for (const badge of ["", ...Object.keys(BADGES)]) {
      const key = `${kind}|${badge}`;
      const svg = nodeSvg(kind, badge);
      const source = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
      const image = new Image();
      image.src = source;
      try {
        await image.decode();
        context.clearRect(0, 0, VW, VH);
        context.drawImage(image, 0, 0, VW, VH);
        const png = await new Promise((done) => canvas.toBlob(done, "image/png"));
        const blob = URL.createObjectURL(png);
        dataUrls.set(blob, url(svg));
        cache.set(key, blob);
      } catch {
        // keep the SVG
      } finally {
        URL.revokeObjectURL(source);
      }
    }
  }
}

/** ``text`` with every node picture's blob: URL replaced by its data: URL. */
export function selfContained(text) {
  let out = text;
  for (const [blob, data] of dataUrls) out = out.split(blob).join(data);
  return out;
}

/** A legend picture: the kind's shape (outlined) with its icon, as an <img> source. */
export function legendImage(kind) {
  const shapes = {
    ellipse: '<ellipse cx="20" cy="20" rx="17" ry="17"/>',
    "round-rectangle": '<rect x="3" y="5" width="34" height="30" rx="7"/>',
    rectangle: '<rect x="3" y="5" width="34" height="30"/>',
    barrel: '<path d="M6 4h28q4 16 0 32H6q-4-16 0-32z"/>',
    hexagon: '<path d="M11 3h18l9 17-9 17H11L2 20z"/>',
    star: '<path d="M20 2l5 12 13 1-10 8 3 13-11-7-11 7 3-13-10-8 13-1z"/>',
    diamond: '<path d="M20 1 39 20 20 39 1 20z"/>',
    tag: '<path d="M2 5h26l10 15-10 15H2z"/>',
  };
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" width="40" height="40">'
    + `<g fill="#fff" stroke="${INK}" stroke-width="2">${shapes[SHAPES[kind]]}</g>`
    + `<g transform="translate(11 11) scale(0.75)" fill="${INK}">${ICONS[kind]}</g></svg>`;
  return url(svg);
}

/** A legend picture of a status badge. */
export function legendBadge(status) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${VW} 48" width="${VW / 2}" `
    + `height="24">${badgeSvg(status)}</svg>`;
  return url(svg);
}
