// "Remove background" in the image panel: for the owner, disabled with the plan's reason when the
// plan lacks editing; the studio follows the job to the cut-out (a PNG with alpha, shown on a
// checkerboard by background.css) with its lineage.

import { api } from "./api.js";
import { $, allowOrExplain, clearError, showError } from "./ui.js";

// The generation service cuts out images of at most this many pixels a side.
const REMOVE_MAX_SIDE = 2048;

export function renderBackground(panel) {
  const { image, me } = panel;
  const button = $("detail-remove-background");
  const note = $("detail-remove-background-note");
  button.hidden = !image.owned_by_you;
  note.hidden = true;
  if (button.hidden) return;
  const tooLarge = Math.max(image.width, image.height) > REMOVE_MAX_SIDE;
  const permission = tooLarge
    ? {
      allowed: false,
      reason: `This image is ${image.width}×${image.height} px: removing a background takes images of at most `
        + `${REMOVE_MAX_SIDE} px a side.`,
    }
    : me && me.permissions.edit;
  allowOrExplain(button, permission, note);
}

async function removeBackground(panel, started) {
  const { image } = panel;
  clearError($("detail-error"));
  const button = $("detail-remove-background");
  button.disabled = true;
  $("detail-status").textContent = "Removing the background…";
  try {
    const accepted = await api(`/api/v1/images/${image.image_id}/remove-background`, {
      method: "POST", headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    await started(accepted.generation_id, { prompt: image.prompt, num_images: 1, aspect_ratio: "1:1" });
  } catch (error) {
    $("detail-status").textContent = "";
    showError($("detail-error"), error);
    renderBackground(panel);
  }
}

export function wireBackground(panel, started) {
  $("detail-remove-background").addEventListener("click", () => removeBackground(panel, started));
}
