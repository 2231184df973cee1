// The editor, in two modes. Adjust: crop, rotate, flip, brightness and contrast of one of my images,
// previewed live with CSS (a close approximation: the saved image is the server's, Pillow's,
// exactly), saved as a new image (POST /api/v1/images/{id}/edit). Paint mask · Magic fill: a mask
// painted over the original (mask_painter.js, the canvas's own) and a prompt handed to magic fill
// (POST /api/v1/images/{id}/fill, as the image panel's canvas does).
// Opened by atelier:edit-image {image}; sends atelier:follow when a job starts, and the studio
// follows it like a generation (progress, then the result with its lineage).

import { api } from "./api.js";
import { maskPainter } from "./mask_painter.js";
import { $, clearError, showError } from "./ui.js";

const state = { image: null, mode: "adjust", rotate: 0, flipH: false, flipV: false };
let painter = null;

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
  if (state.mode === "fill") {
    // The mask is painted over the original: magic fill works on the image as it is stored.
    Object.assign(img.style, { clipPath: "", transform: "", filter: "" });
    return;
  }
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

function setMode(mode) {
  state.mode = mode;
  const filling = mode === "fill";
  $("editor-mode-adjust").setAttribute("aria-pressed", String(!filling));
  $("editor-mode-fill").setAttribute("aria-pressed", String(filling));
  $("editor-adjust").hidden = filling;
  $("editor-save").hidden = filling;
  $("editor-fill").hidden = !filling;
  $("editor-mask").hidden = !filling;
  $("editor-fill-submit").hidden = !filling;
  clearError($("editor-error"));
  preview();
}

function open(image) {
  Object.assign(state, { image, rotate: 0, flipH: false, flipV: false });
  $("editor-preview").src = image.url;
  painter.reset(image.width, image.height);
  $("editor-fill-prompt").value = "";
  $("editor-status").textContent = "";
  for (const [name, value] of [["x", 0], ["y", 0], ["width", image.width], ["height", image.height]]) {
    const input = $(`editor-crop-${name}`);
    input.value = String(value);
    input.max = String(name === "x" || name === "width" ? image.width : image.height);
  }
  $("editor-brightness").value = "1";
  $("editor-contrast").value = "1";
  setMode("adjust");
  $("editor").showModal();
}

// Starts the job (path: edit or fill) and hands it to the studio; the button is enabled again on a refusal.
async function start(path, body, prompt, button) {
  const { image } = state;
  clearError($("editor-error"));
  button.disabled = true;
  try {
    const accepted = await api(`/api/v1/images/${image.image_id}/${path}`, {
      method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    $("editor").close();
    window.dispatchEvent(new CustomEvent("atelier:follow", {
      detail: { generation_id: accepted.generation_id, prompt, num_images: 1, aspect_ratio: "1:1" },
    }));
  } catch (error) {
    showError($("editor-error"), error);
    button.disabled = false;
  } finally {
    $("editor-status").textContent = "";
  }
}

async function magicFill() {
  const prompt = $("editor-fill-prompt").value.trim();
  if (!painter.painted()) {
    showError($("editor-error"), "Paint over the part of the image to fill.");
    return;
  }
  if (!prompt) {
    showError($("editor-error"), "Say what to draw in the painted region.");
    return;
  }
  $("editor-status").textContent = "Starting magic fill…";
  await start("fill", { prompt, mask: painter.toPNG() }, prompt, $("editor-fill-submit"));
}

async function submit(event) {
  event.preventDefault();
  if (state.mode === "fill") {
    await magicFill();
  } else {
    await start("edit", { operations: editorOperations() }, state.image.prompt, $("editor-save"));
  }
}

export function wireEditor() {
  painter = maskPainter($("editor-mask"), $("editor-tools"), "editor", (painted) => {
    $("editor-fill-submit").disabled = !painted;
  });
  $("editor-mode-adjust").addEventListener("click", () => setMode("adjust"));
  $("editor-mode-fill").addEventListener("click", () => setMode("fill"));
  window.addEventListener("atelier:edit-image", (event) => open(event.detail.image));
  $("editor-rotate").addEventListener("click", () => { state.rotate = (state.rotate + 90) % 360; preview(); });
  $("editor-flip-h").addEventListener("click", () => { state.flipH = !state.flipH; preview(); });
  $("editor-flip-v").addEventListener("click", () => { state.flipV = !state.flipV; preview(); });
  for (const id of ["editor-brightness", "editor-contrast", "editor-crop-x", "editor-crop-y", "editor-crop-width",
    "editor-crop-height"]) {
    $(id).addEventListener("input", preview);
  }
  $("editor-cancel").addEventListener("click", () => $("editor").close());
  $("editor-form").addEventListener("submit", submit);
}
