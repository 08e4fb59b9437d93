/** Small DOM and formatting helpers shared by the gallery and the dashboard (no framework). */

/**
 * Creates an element: h("button", {class: "btn", onclick}, "Text", child).
 * Attributes starting with "on" become listeners; false/null attributes are left out.
 * `style` is an object of CSS property names ("width", "--ar") and values, set through the CSSOM:
 * the pages' Content-Security-Policy refuses style attributes (and so a style string).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style") setStyle(el, v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function setStyle(el, style) {
  if (typeof style !== "object") throw new Error("h(): style must be an object (the CSP refuses style attributes)");
  // setProperty takes CSS names only ("border-radius"); a camelCase key would be dropped silently.
  for (const [name, value] of Object.entries(style)) {
    const css = name.startsWith("--") ? name : name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    el.style.setProperty(css, String(value));
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Shorthand for querySelector that fails loudly: a missing element is a bug in the page. */
export function $(sel, root = document) {
  const el = root.querySelector(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
}

export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

const nf = new Intl.NumberFormat();
export const formatCount = (n) => nf.format(n);

export function plural(n, one, many = `${one}s`) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatDuration(s) {
  if (s === null || s === undefined) return "";
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  return `${m}:${String(total % 60).padStart(2, "0")}`;
}

/** One formatter for all dates: toLocaleString builds a new one per call (the scrubber formats every frame). */
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : dateFormat.format(d);
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
