// The image panel's canvas actions, for the owner: Magic fill (paint a mask over the image with a
// brush or eraser, clear it, type a prompt; the painted region is redrawn and every other pixel kept)
// and Extend (grow the canvas on one side; the new area is drawn). Each starts a job the studio
// follows like a generation (progress, then the result with its lineage).
//
// The mask (mask_painter.js, shared with the editor) has the image's own pixel size and is shown
// scaled over the picture.

import { api } from "./api.js";
import { maskPainter } from "./mask_painter.js";
import { $, clearError, showError } from "./ui.js";

// The generation service extends by at most the image's side and to at most this many px a side.
const EXTEND_MAX_SIDE = 1024;

let direction = "right";
let painter = null;

function fail(error) {
  showError($("detail-error"), error);
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
  painter.reset(panel.image.width, panel.image.height);
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
  if (!painter.painted()) {
    fail("Paint over the part of the image to fill.");
    return;
  }
  await submit(panel, "fill", { prompt, mask: painter.toPNG() }, $("canvas-fill-submit"), started);
}

async function submitExtend(panel, event, started) {
  event.preventDefault();
  const prompt = $("canvas-extend-prompt").value.trim();
  await submit(panel, "extend", { direction, prompt }, $("canvas-extend-submit"), started);
}

// started(generation_id, fallback): the panel's hand-over to the studio (detail_actions.js).
export function wireCanvas(panel, started) {
  painter = maskPainter($("canvas-mask"), $("canvas-tools"), "canvas", (painted) => {
    $("canvas-fill-submit").disabled = !painted;
  });
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
