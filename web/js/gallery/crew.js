/**
 * After find me: "You were photographed with…" (a face crop of each crew mate, from one of the
 * searcher's own photos; never a name) and the crew's album (their group photos the searcher was
 * not matched in). The reply's `crew` (findme.views.CrewAlbum); absent when find me found no crew.
 * Its own section after "You might also appear in", made here so the page needs no markup for it.
 */
import { h, plural } from "../lib/dom.js";
import { altText } from "./grid.js";

const FACE_PX = 64;
/** Album photos shown before "Show all". */
const FIRST = 12;

/**
 * @param {{photographed_with: {shared_photos: number, cover: any, cover_bbox: number[]}[], photos: any[]}|null|undefined} crew
 * @param {(photo: any) => void} onOpenPhoto
 */
export function renderCrew(crew, onOpenPhoto) {
  let section = document.getElementById("crew-album");
  if (!crew || !crew.photographed_with.length) {
    if (section) section.hidden = true;
    return;
  }
  if (!section) {
    section = h("div", { class: "crew-album", id: "crew-album", "aria-labelledby": "crew-title" });
    document.getElementById("recommendations").after(section);
  }
  section.hidden = false;
  const faces = crew.photographed_with.map((mate) =>
    h("li", {}, h("button", { type: "button", class: "crew-face",
      "aria-label": `Someone you were photographed with (${plural(mate.shared_photos, "photo")} together): open a photo of you both`,
      title: `${plural(mate.shared_photos, "photo")} together`, onclick: () => onOpenPhoto(mate.cover) },
    crop(mate))));
  const list = h("ul", { class: "crew-photos" });
  const show = (n) => list.replaceChildren(...crew.photos.slice(0, n).map((photo) =>
    h("li", {}, h("button", { type: "button", class: "rec", "aria-label": `${altText(photo)} — photo of your crew`,
      onclick: () => onOpenPhoto(photo) },
    h("img", { src: photo.thumbnail_url, alt: "", loading: "lazy", width: 120, height: 120 })))));
  show(FIRST);
  const more = crew.photos.length > FIRST
    ? h("button", { type: "button", class: "btn btn-small", id: "crew-all",
      onclick: (e) => { show(crew.photos.length); e.currentTarget.remove(); } }, `Show all ${crew.photos.length}`)
    : null;
  section.replaceChildren(
    h("h3", { id: "crew-title" }, "You were photographed with"),
    h("ul", { class: "crew-faces" }, ...faces),
    crew.photos.length
      ? h("div", {}, h("h3", {}, `Your crew's album: ${plural(crew.photos.length, "photo")}`), list, more)
      : null);
}

/** The face: the cover thumbnail scaled and shifted so the face's box fills the circle. */
function crop(mate) {
  const { cover } = mate;
  const [x, y, w, hgt] = mate.cover_bbox;
  const side = Math.max(w, hgt) * 1.4;
  const scale = FACE_PX / side;
  return h("span", { class: "crew-face-crop" },
    h("img", { src: cover.thumbnail_url, alt: "", loading: "lazy",
      style: { width: `${(cover.width || side) * scale}px`, left: `${-(x + w / 2 - side / 2) * scale}px`,
        top: `${-(y + hgt / 2 - side / 2) * scale}px` } }));
}
