/**
 * "Collage": one JPEG of the selected photos in a grid, built by the server (POST /collage, from
 * the thumbnails it already has) and saved as a download. Between 2 and COLLAGE_MAX_PHOTOS photos.
 */
import { api, eventPath } from "../lib/api.js";
import { h, formatCount } from "../lib/dom.js";

/** The server's COLLAGE_MAX_PHOTOS (media/collage.py). */
export const COLLAGE_MAX_PHOTOS = 36;

/**
 * Asks for the collage of `ids` and downloads it, saying so on `button` meanwhile.
 * @param {string} slug @param {string[]} ids @param {HTMLButtonElement} button @param {(msg: string) => void} toast
 */
export async function downloadCollage(slug, ids, button, toast) {
  if (ids.length > COLLAGE_MAX_PHOTOS) {
    toast(`A collage holds at most ${formatCount(COLLAGE_MAX_PHOTOS)} photos and ${formatCount(ids.length)} are chosen.`);
    return;
  }
  if (button.disabled) return;
  button.disabled = true;
  const label = button.textContent;
  button.textContent = "Making collage…";
  try {
    const res = await api(`${eventPath(slug)}/collage`, { json: { ids }, raw: true });
    const url = URL.createObjectURL(await res.blob());
    const a = h("a", { href: url, download: `${slug}-collage.jpg`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    toast("Collage downloaded");
  } catch (err) {
    toast(`Collage failed: ${err.message}`);
  } finally {
    button.disabled = false;
    button.textContent = label;
    button.focus();
  }
}
