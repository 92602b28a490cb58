// DOM helpers: text only (API text is never set as HTML), TLP chips, and times in
// the reader's locale and time zone.

/** A DOM element with text children only. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "on") Object.entries(v).forEach(([ev, fn]) => node.addEventListener(ev, fn));
    else if (k === "data") Object.entries(v).forEach(([dk, dv]) => { node.dataset[dk] = dv; });
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

export const chip = (marking) => h("span", { class: `tlp tlp-${marking}`, title: `TLP ${marking}` },
  marking === "AMBER_STRICT" ? "AMBER+STRICT" : marking);

export const fmt = (x) => (typeof x === "number" ? x.toFixed(2) : "");

/** An internal id, shown small; it may break anywhere (hashes and pseudonyms are long). */
export const idCode = (id) => h("code", { class: "id" }, id);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Whether ``value`` is an ISO 8601 date-time as the API writes them. */
export const isIsoTime = (value) => typeof value === "string" && ISO.test(value);

/**
 * A Date from the API's ISO text. Fractions of a second past milliseconds are cut
 * (the API writes microseconds; Date reads three digits), and a time without a zone
 * is UTC, as the API means it.
 */
export function parseTime(iso) {
  let text = String(iso).replace(/(\.\d{3})\d+/, "$1");
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += "Z";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

const LOCAL = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const LOCAL_DAY = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const LOCAL_SECONDS = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/**
 * ``iso`` in the reader's locale and time zone, e.g. "7 Dec 2026, 20:31" (``day``:
 * the date only; ``seconds``: "7 Dec 2026, 20:31:05").
 */
export function localTime(iso, { day = false, seconds = false } = {}) {
  const date = parseTime(iso);
  if (!date) return String(iso);
  return (day ? LOCAL_DAY : seconds ? LOCAL_SECONDS : LOCAL).format(date);
}

/** A <time> element: the local time as text, the exact instant in ``datetime`` and its title. */
export function timeEl(iso, options = {}) {
  const date = parseTime(iso);
  return h("time", { datetime: date ? date.toISOString() : String(iso), title: String(iso) },
    localTime(iso, options));
}
