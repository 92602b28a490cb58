// The time slider (issue 25): the view redrawn as it stood at a past instant. Its
// stops are the times the reader has already been shown (the report times of what
// was drawn, the events of an opened entity's timeline): the earliest at the left,
// "now" at the right end. While a past stop is chosen, every query the page sends
// for the view carries @asOf(at:) (api.js ``clock``) until "Back to now". No field
// of the API is asked for the range: it is what the reader can already see.

import { clock } from "./api.js";
import { $, localTime, parseTime } from "./dom.js";

/** An ISO time as a number of microseconds, for order (the API writes microseconds). */
function micros(iso) {
  const date = parseTime(iso);
  if (!date) return null;
  const fraction = /\.(\d+)/.exec(iso);
  return date.getTime() * 1000 + (fraction ? Number(`${fraction[1]}000000`.slice(3, 6)) : 0);
}

/** The text of a datetime-local input for ``iso``, in the reader's time zone. */
function localInput(iso) {
  const d = parseTime(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * The slider in ``#timebar``. ``env``: hold() (the page busy until the returned
 * function is called), replay(stale) (redraw the view with the clock as it now is;
 * ``stale()`` tells it a later choice superseded this one).
 */
export function createTimeSlider(env) {
  const seen = new Map(); // microseconds -> the ISO text the API wrote
  const texts = new Set(); // every text seen (most repeat: one report, many assertions)
  let stops = []; // ISO texts, oldest first
  let dirty = false;
  let wanted = 0;
  let queue = Promise.resolve();

  /** Remember times the reader was shown; the slider grows its stops soon after. */
  function see(times) {
    for (const t of times) {
      if (!t || texts.has(t)) continue;
      texts.add(t);
      const k = micros(t);
      if (k === null || seen.has(k)) continue;
      seen.set(k, t);
      if (!dirty) {
        dirty = true;
        setTimeout(refresh, 0);
      }
    }
  }

  function refresh() {
    dirty = false;
    stops = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
    render();
  }

  /** The slider's position for the clock: the last stop at or before it, or now. */
  function position() {
    const at = clock.get();
    if (!at) return stops.length;
    const k = micros(at);
    let i = -1;
    stops.forEach((t, j) => { if (micros(t) <= k) i = j; });
    return Math.max(0, i);
  }

  function label(at) {
    return at ? `Viewing as of ${localTime(at, { seconds: true })}` : "Now";
  }

  function render() {
    const slider = $("as-of");
    const at = clock.get();
    slider.max = String(stops.length);
    slider.value = String(position());
    slider.disabled = !stops.length;
    slider.title = stops.length
      ? `${stops.length} known times, from ${localTime(stops[0], { seconds: true })} `
        + `to ${localTime(stops[stops.length - 1], { seconds: true })}; the right end is now`
      : "Draw something first: the slider's stops are the times of what you were shown";
    $("as-of-text").textContent = label(at);
    $("as-of-now").hidden = !at;
    $("as-of-pick").value = at ? localInput(at) : "";
    $("centre").classList.toggle("past", Boolean(at));
  }

  /** View as of ``at`` (ISO text), or now (null): redraw the view and the panel. */
  async function choose(at) {
    if ((at || null) === clock.get()) return;
    clock.set(at);
    render();
    const release = env.hold();
    wanted += 1;
    const my = wanted;
    const stale = () => my !== wanted;
    queue = queue.then(() => (stale() ? undefined : env.replay(stale))).catch(() => {}).finally(release);
    await queue;
  }

  const slider = $("as-of");
  slider.addEventListener("input", () => {
    const i = Number(slider.value);
    $("as-of-text").textContent = label(i >= stops.length ? null : stops[i]);
  });
  slider.addEventListener("change", () => {
    const i = Number(slider.value);
    choose(i >= stops.length ? null : stops[i]);
  });
  $("as-of-pick").addEventListener("change", () => {
    const value = $("as-of-pick").value;
    if (value) choose(new Date(value).toISOString()); // read as the reader's local time
  });
  $("as-of-now").addEventListener("click", () => choose(null));
  render();

  return {
    see, choose,
    now: () => choose(null),
    at: () => clock.get(),
    stops: () => { if (dirty) refresh(); return [...stops]; },
    reset: () => {
      wanted += 1;
      clock.set(null);
      seen.clear();
      texts.clear();
      stops = [];
      render();
    },
  };
}
