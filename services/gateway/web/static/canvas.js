// The image panel's canvas actions, for the owner: Magic fill (paint a mask over the image with a
// brush, clear it, type a prompt; the painted region is redrawn and every other pixel kept) and
// Extend (grow the canvas on one side; the new area is drawn). Each starts a job the studio follows
// like a generation (progress, then the result with its lineage).
//
// The mask canvas has the image's own pixel size (the API wants a mask of the image's exact size)
// and is shown scaled over the picture; strokes are opaque white on transparent, which the API
// reads as "draw here" and "keep".

import { api } from "./api.js";
import { $, clearError, showError } from "./ui.js";

// The generation service extends by at most the image's side and to at most this many px a side.
const EXTEND_MAX_SIDE = 1024;

let painting = false;
let painted = false;
let direction = "right";

function maskCanvas() {
  return $("canvas-mask");
}

function fail(error) {
  showError($("detail-error"), error);
}

function sizeMask(image) {
  const canvas = maskCanvas();
  canvas.width = image.width;
  canvas.height = image.height;
  painted = false;
  $("canvas-fill-submit").disabled = true;
}

function strokeAt(event) {
  const canvas = maskCanvas();
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * canvas.width;
  const y = ((event.clientY - box.top) / box.height) * canvas.height;
  const radius = (Number($("canvas-brush").value) / 100) * canvas.width / 2;
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.beginPath();
  context.arc(x, y, radius, 0, 2 * Math.PI);
  context.fill();
  painted = true;
  $("canvas-fill-submit").disabled = false;
}

function clearMask() {
  const canvas = maskCanvas();
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  painted = false;
  $("canvas-fill-submit").disabled = true;
}

function extendLimit(image) {
  const side = direction === "left" || direction === "right" ? image.width : image.height;
  const other = direction === "left" || direction === "right" ? image.height : image.width;
  const grown = side + Math.max(8, Math.floor(side / 2 / 8) * 8);
  return grown <= EXTEND_MAX_SIDE && other <= EXTEND_MAX_SIDE
    ? ""
    : `This image is ${image.width}×${image.height} px: extending it would pass ${EXTEND_MAX_SIDE} px a side.`;
}

function renderExtend(panel) {
  for (const button of document.querySelectorAll("[data-extend-direction]")) {
    button.setAttribute("aria-pressed", String(button.dataset.extendDirection === direction));
  }
  const limit = extendLimit(panel.image);
  $("canvas-extend-submit").disabled = Boolean(limit);
  $("canvas-extend-note").textContent = limit;
  $("canvas-extend-note").hidden = !limit;
}

export function renderCanvas(panel) {
  const own = Boolean(panel.image.owned_by_you);
  $("detail-fill").hidden = !own;
  $("detail-extend").hidden = !own;
  $("canvas-fill-form").hidden = true;
  $("canvas-extend-form").hidden = true;
  $("canvas-stage").hidden = true;
}

function openFill(panel) {
  const form = $("canvas-fill-form");
  const opening = form.hidden;
  $("canvas-extend-form").hidden = true;
  form.hidden = !opening;
  $("canvas-stage").hidden = !opening;
  if (!opening) return;
  $("canvas-picture").src = panel.image.url;
  sizeMask(panel.image);
  $("canvas-fill-prompt").focus();
}

function openExtend(panel) {
  const form = $("canvas-extend-form");
  $("canvas-fill-form").hidden = true;
  $("canvas-stage").hidden = true;
  form.hidden = !form.hidden;
  renderExtend(panel);
}

async function submit(panel, path, body, button, started) {
  clearError($("detail-error"));
  button.disabled = true;
  try {
    const accepted = await api(`/api/v1/images/${panel.image.image_id}/${path}`, {
      method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    await started(accepted.generation_id, { prompt: body.prompt || panel.image.prompt, num_images: 1, aspect_ratio: "1:1" });
  } catch (error) {
    fail(error);
    button.disabled = false;
  }
}

async function submitFill(panel, event, started) {
  event.preventDefault();
  const prompt = $("canvas-fill-prompt").value.trim();
  if (!prompt) {
    fail("Say what to draw in the painted region.");
    return;
  }
  if (!painted) {
    fail("Paint over the part of the image to fill.");
    return;
  }
  const mask = maskCanvas().toDataURL("image/png");
  await submit(panel, "fill", { prompt, mask }, $("canvas-fill-submit"), started);
}

async function submitExtend(panel, event, started) {
  event.preventDefault();
  const prompt = $("canvas-extend-prompt").value.trim();
  await submit(panel, "extend", { direction, prompt }, $("canvas-extend-submit"), started);
}

// started(generation_id, fallback): the panel's hand-over to the studio (detail_actions.js).
export function wireCanvas(panel, started) {
  const canvas = maskCanvas();
  canvas.addEventListener("pointerdown", (event) => {
    painting = true;
    canvas.setPointerCapture(event.pointerId);
    strokeAt(event);
  });
  canvas.addEventListener("pointermove", (event) => { if (painting) strokeAt(event); });
  for (const name of ["pointerup", "pointercancel"]) canvas.addEventListener(name, () => { painting = false; });
  $("canvas-clear").addEventListener("click", clearMask);
  $("detail-fill").addEventListener("click", () => openFill(panel));
  $("detail-extend").addEventListener("click", () => openExtend(panel));
  $("canvas-fill-cancel").addEventListener("click", () => renderCanvas(panel));
  $("canvas-extend-cancel").addEventListener("click", () => renderCanvas(panel));
  $("canvas-fill-form").addEventListener("submit", (event) => submitFill(panel, event, started));
  $("canvas-extend-form").addEventListener("submit", (event) => submitExtend(panel, event, started));
  for (const button of document.querySelectorAll("[data-extend-direction]")) {
    button.addEventListener("click", () => {
      direction = button.dataset.extendDirection;
      renderExtend(panel);
    });
  }
}
