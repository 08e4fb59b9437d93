/**
 * The date scrubber: a rail at the right edge for grids many screens tall (a 10,000-photo event is
 * ~600,000 px). Dragging it, or its arrow/Page/Home/End keys, jumps through the grid, which loads
 * the block where it lands first; its label says where you are ("Jun 1, 2026, 14:05 · 5,001 of
 * 10,000"). A slider to assistive technology, with the same words as its value.
 */
import { h, formatCount, formatDate } from "../lib/dom.js";

/** Shown only for grids at least this many viewports tall: a short grid scrolls fine as it is. */
const MIN_SCREENS = 3;
const LABEL_MS = 1200;

/** @param {import("./grid.js").Grid} grid */
export function mountScrubber(grid) {
  const thumb = h("div", { class: "scrubber-thumb" });
  const label = h("div", { class: "scrubber-label", "aria-hidden": "true" });
  const rail = h("div", { class: "scrubber", role: "slider", tabindex: "0", hidden: true,
    "aria-label": "Jump through the photos", "aria-orientation": "vertical",
    "aria-valuemin": "0", "aria-valuemax": "100" }, thumb, label);
  document.body.append(rail);
  let frame = 0, fade = 0;
  /** After End (or a drag to the bottom), stay at the end while the pages up to it load and the
   * estimated height gives way to the real one; any wheel or touch of the visitor's ends that. */
  let stickToEnd = false;
  for (const type of ["wheel", "touchstart"]) window.addEventListener(type, () => { stickToEnd = false; }, { passive: true });

  // Geometry comes from the grid's own read of the frame (no layout forced after its writes);
  // the rail's size is read only when it appears or the window is resized.
  const bounds = () => ({ top: grid.top, range: Math.max(1, grid.height - window.innerHeight) });
  let travel = 0;
  const measure = () => { travel = rail.clientHeight - thumb.offsetHeight; };
  const fraction = () => {
    const { top, range } = bounds();
    return Math.min(1, Math.max(0, (grid.scrollY - top) / range));
  };
  const jump = (f) => {
    stickToEnd = f >= 1;
    const { top, range } = bounds();
    window.scrollTo({ top: top + Math.min(1, Math.max(0, f)) * range });
  };
  const show = () => {
    rail.classList.add("is-active");
    clearTimeout(fade);
    fade = setTimeout(() => rail.classList.remove("is-active"), LABEL_MS);
  };

  function update() {
    frame = 0;
    const tall = grid.height > MIN_SCREENS * window.innerHeight;
    const appearing = tall && rail.hidden;
    rail.hidden = !tall;
    if (!tall) return;
    if (appearing || travel <= 0) measure();
    if (stickToEnd && fraction() < 1) window.scrollTo({ top: bounds().top + bounds().range });
    if (stickToEnd && !grid.hasMore) stickToEnd = false;
    const f = fraction();
    thumb.style.setProperty("transform", `translateY(${(f * travel).toFixed(1)}px)`);
    label.style.setProperty("transform", `translateY(${(f * travel).toFixed(1)}px)`);
    const total = grid.count;
    const index = Math.min(total - 1, Math.round(f * (total - 1)));
    const photo = grid.item(index)?.photo;
    const when = photo ? formatDate(photo.taken_at) : "";
    const text = `${when ? `${when} · ` : ""}${formatCount(index + 1)} of ${formatCount(total)}`;
    label.textContent = text;
    rail.setAttribute("aria-valuenow", String(Math.round(f * 100)));
    rail.setAttribute("aria-valuetext", text);
  }
  const schedule = () => { if (!frame) frame = requestAnimationFrame(update); };
  window.addEventListener("scroll", () => { schedule(); if (!rail.hidden) show(); }, { passive: true });
  window.addEventListener("resize", () => { travel = 0; schedule(); });
  new ResizeObserver(schedule).observe(grid.canvas);

  const fromPointer = (e) => {
    const box = rail.getBoundingClientRect();
    const thumbHeight = rail.clientHeight - travel;
    jump((e.clientY - box.top - thumbHeight / 2) / Math.max(1, travel));
  };
  rail.addEventListener("pointerdown", (e) => {
    rail.setPointerCapture(e.pointerId);
    rail.classList.add("is-dragging");
    fromPointer(e);
    e.preventDefault();
  });
  rail.addEventListener("pointermove", (e) => { if (rail.hasPointerCapture(e.pointerId)) { fromPointer(e); show(); } });
  const release = (e) => {
    if (rail.hasPointerCapture(e.pointerId)) rail.releasePointerCapture(e.pointerId);
    rail.classList.remove("is-dragging");
  };
  rail.addEventListener("pointerup", release);
  rail.addEventListener("pointercancel", release);
  rail.addEventListener("keydown", (e) => {
    const page = window.innerHeight / bounds().range;
    const f = fraction();
    const next = { ArrowDown: f + 0.01, ArrowUp: f - 0.01, PageDown: f + page, PageUp: f - page, Home: 0, End: 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    jump(next);
    show();
  });
  return { update: schedule };
}
