// The studio's style reference: an image whose colours and layout guide the next generations
// (POST /api/v1/generations with style_image_id and style_strength). Chosen from an image's panel
// ("Use as style reference", which sends atelier:use-style-reference {image_id, url}); shown as a
// thumbnail with Remove and a strength slider. "Choose one of your images" opens Creations.

import { $ } from "./ui.js";

let chosen = null; // {image_id, url}

function render() {
  $("style-ref-chosen").hidden = !chosen;
  $("style-ref-strength-field").hidden = !chosen;
  $("style-ref-choose").textContent = chosen ? "Choose another image" : "Choose one of your images";
  if (chosen) $("style-ref-thumb").src = `${chosen.url}?size=thumb`;
  else $("style-ref-thumb").removeAttribute("src");
}

// The fields a generation request carries for the reference; none without one.
export function styleReferenceBody() {
  if (!chosen) return {};
  return { style_image_id: chosen.image_id, style_strength: Number($("style-ref-strength").value) };
}

export function wireStyleReference() {
  window.addEventListener("atelier:use-style-reference", (event) => {
    chosen = { image_id: event.detail.image_id, url: event.detail.url };
    render();
    const drawer = $("style-ref").closest("details");
    if (drawer) drawer.open = true;
  });
  $("style-ref-remove").addEventListener("click", () => {
    chosen = null;
    render();
  });
  $("style-ref-strength").addEventListener("input", () => {
    $("style-ref-strength-value").textContent = $("style-ref-strength").value;
  });
  $("style-ref-choose").addEventListener("click", () => {
    window.location.hash = "#/creations";
  });
  render();
}
