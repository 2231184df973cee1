// The editor: crop, rotate, flip, brightness and contrast of one of my images, previewed live with
// CSS (a close approximation: the saved image is the server's, Pillow's, exactly), saved as a new
// image (POST /api/v1/images/{id}/edit) that the studio follows like a generation.
// Opened by atelier:edit-image {image}; sends atelier:follow when the job starts.
// Mask painting for magic fill (the canvas work) hands off from here: currentEditorImage() is the
// image open in the editor, for a "Paint mask" control beside Save.

import { api } from "./api.js";
import { $, clearError, showError } from "./ui.js";

const state = { image: null, rotate: 0, flipH: false, flipV: false };

export function currentEditorImage() {
  return $("editor").open ? state.image : null;
}

function crop() {
  const { image } = state;
  const box = ["x", "y", "width", "height"].map((name) => Number($(`editor-crop-${name}`).value));
  const [x, y, width, height] = box;
  const whole = x === 0 && y === 0 && width === image.width && height === image.height;
  return whole ? null : { op: "crop", x, y, width, height };
}

// The operations in the order the server applies them: crop, rotate, flip, brightness, contrast.
export function editorOperations() {
  const operations = [];
  const box = crop();
  if (box) operations.push(box);
  if (state.rotate) operations.push({ op: "rotate", degrees: state.rotate });
  if (state.flipH) operations.push({ op: "flip", axis: "horizontal" });
  if (state.flipV) operations.push({ op: "flip", axis: "vertical" });
  const brightness = Number($("editor-brightness").value);
  const contrast = Number($("editor-contrast").value);
  if (brightness !== 1) operations.push({ op: "brightness", factor: brightness });
  if (contrast !== 1) operations.push({ op: "contrast", factor: contrast });
  return operations;
}

function preview() {
  const { image } = state;
  const img = $("editor-preview");
  const box = crop() || { x: 0, y: 0, width: image.width, height: image.height };
  const pct = (value, whole) => `${(100 * value) / whole}%`;
  img.style.clipPath = `inset(${pct(box.y, image.height)} ${pct(image.width - box.x - box.width, image.width)} `
    + `${pct(image.height - box.y - box.height, image.height)} ${pct(box.x, image.width)})`;
  // Rightmost first: rotated, then flipped, as the server does.
  img.style.transform = `scale(${state.flipH ? -1 : 1}, ${state.flipV ? -1 : 1}) rotate(${state.rotate}deg)`;
  img.style.filter = `brightness(${$("editor-brightness").value}) contrast(${$("editor-contrast").value})`;
  $("editor-flip-h").setAttribute("aria-pressed", String(state.flipH));
  $("editor-flip-v").setAttribute("aria-pressed", String(state.flipV));
  $("editor-save").disabled = editorOperations().length === 0;
}

function open(image) {
  Object.assign(state, { image, rotate: 0, flipH: false, flipV: false });
  $("editor-preview").src = image.url;
  for (const [name, value] of [["x", 0], ["y", 0], ["width", image.width], ["height", image.height]]) {
    const input = $(`editor-crop-${name}`);
    input.value = String(value);
    input.max = String(name === "x" || name === "width" ? image.width : image.height);
  }
  $("editor-brightness").value = "1";
  $("editor-contrast").value = "1";
  clearError($("editor-error"));
  preview();
  $("editor").showModal();
}

async function save(event) {
  event.preventDefault();
  const { image } = state;
  clearError($("editor-error"));
  $("editor-save").disabled = true;
  try {
    const accepted = await api(`/api/v1/images/${image.image_id}/edit`, {
      method: "POST", body: { operations: editorOperations() }, headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    $("editor").close();
    window.dispatchEvent(new CustomEvent("atelier:follow", {
      detail: { generation_id: accepted.generation_id, prompt: image.prompt, num_images: 1, aspect_ratio: "1:1" },
    }));
  } catch (error) {
    showError($("editor-error"), error);
    $("editor-save").disabled = false;
  }
}

export function wireEditor() {
  window.addEventListener("atelier:edit-image", (event) => open(event.detail.image));
  $("editor-rotate").addEventListener("click", () => { state.rotate = (state.rotate + 90) % 360; preview(); });
  $("editor-flip-h").addEventListener("click", () => { state.flipH = !state.flipH; preview(); });
  $("editor-flip-v").addEventListener("click", () => { state.flipV = !state.flipV; preview(); });
  for (const id of ["editor-brightness", "editor-contrast", "editor-crop-x", "editor-crop-y", "editor-crop-width",
    "editor-crop-height"]) {
    $(id).addEventListener("input", preview);
  }
  $("editor-cancel").addEventListener("click", () => $("editor").close());
  $("editor-form").addEventListener("submit", save);
}
