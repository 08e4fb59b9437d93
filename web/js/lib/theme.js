/** Applies an event's theme colours as CSS custom properties, so branding needs no per-event CSS. */

const COLOUR = /^#[0-9a-f]{3,8}$|^rgb|^hsl/i;
const KEYS = ["primary", "accent", "background", "text"];

/** @param {{primary?: string, accent?: string, background?: string, text?: string}|undefined} theme */
export function applyTheme(theme, root = document.documentElement) {
  for (const key of KEYS) {
    const value = theme && theme[key];
    if (typeof value === "string" && COLOUR.test(value.trim())) root.style.setProperty(`--${key}`, value.trim());
    else root.style.removeProperty(`--${key}`);
  }
  const meta = document.querySelector('meta[name="theme-color"]');
  if (meta && theme && theme.primary) meta.setAttribute("content", theme.primary);
}
