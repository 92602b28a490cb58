// The legend, in the left-hand panel: what shapes, icons, badges, colours and
// borders mean. Built from the same tables the drawing uses (kinds.js, graph.js).

import { h } from "./dom.js";
import { TLP } from "./graph.js";
import { BADGES, KINDS, legendBadge, legendImage } from "./kinds.js";

const title = (s) => s.charAt(0) + s.slice(1).toLowerCase().replace(/_/g, " ");

function swatch(cls, text) {
  return h("li", {}, h("span", { class: `swatch ${cls}` }), text);
}

export function buildLegend(into) {
  into.replaceChildren(
    h("ul", { class: "legend kinds" }, KINDS.map((k) => h("li", { data: { kind: k } },
      h("img", { src: legendImage(k), alt: "", width: 22, height: 22 }), title(k)))),
    h("p", { class: "legend-note" }, "Size: relations in the view (or score, Settings)."),
    h("ul", { class: "legend badges" }, Object.keys(BADGES).map((s) => h("li", { data: { status: s } },
      h("img", { src: legendBadge(s), alt: s, width: 86, height: 16 }))),),
    h("p", { class: "legend-note" }, "Black: final enforcement; outlined: on the way there."),
    h("ul", { class: "legend tlp-list" }, Object.keys(TLP).map((m) => h("li", {},
      h("span", { class: `tlp tlp-${m}` }, m === "AMBER_STRICT" ? "AMBER+STRICT" : m)))),
    h("p", { class: "legend-note" }, "Fill: the strictest TLP marking you can read; dashed "
      + "edge: AMBER+STRICT. Edge labels show on hover and on selected paths."),
    h("ul", { class: "legend roles" },
      swatch("role-origin", "trace origin"), swatch("role-key", "ring key player"),
      swatch("role-plan", "interdiction pick"), swatch("role-ring", "ring candidate (box)")));
}
