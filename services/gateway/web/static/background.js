// "Remove background" and "Replace background" (a prompt for the new one) in the image panel: for
// the owner, disabled with the plan's reason when the plan lacks editing; the studio follows the job
// to the result (a cut-out is a PNG with alpha, shown on a checkerboard by background.css) with its
// lineage.

import { api } from "./api.js";
import { $, allowOrExplain, clearError, showError } from "./ui.js";

// The generation service cuts out images of at most this many pixels a side, and redraws a
// background (the txt2img model's canvas) on images of 64 to 1024.
const REMOVE_MAX_SIDE = 2048;
const REPLACE_MIN_SIDE = 64;
const REPLACE_MAX_SIDE = 1024;

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
  renderReplace(panel);
}

function renderReplace(panel) {
  const { image, me } = panel;
  const form = $("detail-replace-background-form");
  const button = $("detail-replace-background");
  const note = $("detail-replace-background-note");
  form.hidden = !image.owned_by_you;
  note.hidden = true;
  if (form.hidden) return;
  const sides = [image.width, image.height];
  const outside = Math.max(...sides) > REPLACE_MAX_SIDE || Math.min(...sides) < REPLACE_MIN_SIDE;
  const permission = outside
    ? {
      allowed: false,
      reason: `This image is ${image.width}×${image.height} px: replacing a background takes images of `
        + `${REPLACE_MIN_SIDE} to ${REPLACE_MAX_SIDE} px a side.`,
    }
    : me && me.permissions.edit;
  const allowed = allowOrExplain(button, permission, note);
  $("detail-replace-background-prompt").disabled = !allowed;
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

async function replaceBackground(panel, started) {
  const { image } = panel;
  const prompt = $("detail-replace-background-prompt").value.trim();
  if (!prompt) return;
  clearError($("detail-error"));
  $("detail-replace-background").disabled = true;
  $("detail-status").textContent = "Replacing the background…";
  try {
    const accepted = await api(`/api/v1/images/${image.image_id}/replace-background`, {
      method: "POST",
      headers: { "Idempotency-Key": crypto.randomUUID() },
      body: { prompt },
    });
    await started(accepted.generation_id, { prompt, num_images: 1, aspect_ratio: "1:1" });
  } catch (error) {
    $("detail-status").textContent = "";
    showError($("detail-error"), error);
    renderReplace(panel);
  }
}

export function wireBackground(panel, started) {
  $("detail-remove-background").addEventListener("click", () => removeBackground(panel, started));
  $("detail-replace-background-form").addEventListener("submit", (event) => {
    event.preventDefault();
    replaceBackground(panel, started);
  });
}
