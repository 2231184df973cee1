// "Describe" in the image panel: the owner asks what prompts would draw this image. The job runs like
// any other (POST /api/v1/images/{id}/describe, then GET /api/v1/generations/{id} until it finishes);
// its suggestions, best first, are listed each with "Use this prompt", which fills the studio's prompt
// box (the atelier:use-prompt event). Only the image's owner sees the button and the answer.

import { api } from "./api.js";
import { $, clearError, el, showError } from "./ui.js";

const POLL_MS = 500;
const GIVE_UP_MS = 120_000;

// The image the panel shows now: an answer for an image the panel has left is dropped.
let showing = null;

function status(text) {
  $("detail-describe-status").textContent = text;
}

function list(suggestions, panel) {
  const items = suggestions.map((text, index) => {
    const use = el("button", {
      text: "Use this prompt",
      className: "button ghost small",
      attrs: { type: "button", "aria-label": `Use this prompt: ${text}`, "data-suggestion": String(index) },
    });
    use.addEventListener("click", () => {
      $("detail").close();
      window.dispatchEvent(new CustomEvent("atelier:use-prompt", {
        detail: { prompt: text, aspect_ratio: panel.image.recipe?.aspect_ratio },
      }));
    });
    return el("li", { className: "suggestion" }, el("span", { className: "suggestion-text", text }), use);
  });
  $("detail-suggestions").replaceChildren(...items);
}

async function finished(jobId) {
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    const job = await api(`/api/v1/generations/${jobId}`);
    if (job.status === "succeeded" || job.status === "failed") return job;
    if (Date.now() > deadline) throw new Error("The description is taking too long; try again in a minute.");
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
  }
}

async function describe(panel) {
  const { image } = panel;
  const button = $("detail-describe");
  clearError($("detail-error"));
  button.disabled = true;
  $("detail-describe-box").hidden = false;
  $("detail-suggestions").replaceChildren();
  status("Describing…");
  try {
    const accepted = await api(`/api/v1/images/${image.image_id}/describe`, {
      method: "POST", headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    const job = await finished(accepted.generation_id);
    if (showing !== image.image_id) return;
    if (job.status === "failed") throw new Error(job.error || "The image could not be described.");
    status("Prompts that would draw this image, best first:");
    list(job.suggestions, panel);
  } catch (error) {
    if (showing !== image.image_id) return;
    status("");
    $("detail-describe-box").hidden = true;
    showError($("detail-error"), error);
  } finally {
    button.disabled = false;
  }
}

export function renderDescribe(panel) {
  showing = panel.image.image_id;
  $("detail-describe").hidden = !panel.image.owned_by_you;
  $("detail-describe").disabled = false;
  $("detail-describe-box").hidden = true;
  $("detail-suggestions").replaceChildren();
}

export function wireDescribe(panel) {
  $("detail-describe").addEventListener("click", () => describe(panel));
}
