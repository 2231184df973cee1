// What the image detail panel offers besides visibility, download, share and delete: likes, how the
// image was made (copy prompt / use prompt), lineage, remix, retry, upscale, pin, profile photo and
// report.
// Each control is shown only to a viewer who may use it: nothing for anonymous visitors but the
// count and "Copy prompt"; pin, retry and "Set as profile photo" for the owner; report for others.
// The page's other modules hear about results through window events:
//   atelier:use-prompt {prompt, aspect_ratio}   fill the studio's prompt box
//   atelier:use-recipe {field, value}           set one advanced option (seed, negative prompt, palette)
//   atelier:follow     {generation_id, prompt, num_images, aspect_ratio}   a generation started
//   atelier:me-changed                           the account changed (profile photo)
//   atelier:edit-image {image}                   open the editor (editor.js)
//   atelier:use-style-reference {image_id, url}  the studio's style reference (style_reference.js)

import { api } from "./api.js";
import { renderDescribe, wireDescribe } from "./describe.js";
import { renderBackground, wireBackground } from "./background.js";
import { renderCanvas, wireCanvas } from "./canvas.js";
import { $, allowOrExplain, clearError, el, showError } from "./ui.js";

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
// The generation service upscales images of at most this many pixels a side.
const UPSCALE_MAX_SIDE = 1024;

// How the panel names what an image was made from.
const LINEAGE_WORDS = {
  upscale: "Upscaled 2× from ",
  remove_background: "Background removed from ",
  replace_background: "Background replaced from ",
  fill: "Filled from ",
  extend: "Extended from ",
  edit: "Edited from ",
};

function say(text) {
  $("detail-status").textContent = text;
}

function fail(error) {
  showError($("detail-error"), error);
}

function emit(name, detail) {
  window.dispatchEvent(new CustomEvent(name, { detail }));
}

function renderOwner(image) {
  const owner = $("detail-owner");
  if (image.owned_by_you) {
    owner.textContent = "Your image";
  } else if (image.owner_username) {
    const href = `/u/${encodeURIComponent(image.owner_username)}`;
    const link = el("a", { text: image.owner_username, attrs: { href } });
    owner.replaceChildren("By ", link);
  } else {
    owner.textContent = "By someone";
  }
}

function renderLineage(image) {
  const box = $("detail-lineage");
  box.hidden = !image.remixed_from && !image.style_from;
  if (!image.remixed_from) {
    box.replaceChildren(...(image.style_from ? ["Styled after ", lineageLink(image.style_from, "detail-style-from-open")] : []));
    return;
  }
  const source = image.remixed_from;
  const thumb = el("img", { attrs: { src: `${source.url}?size=thumb`, alt: "" } });
  const open = el("button", { className: "lineage-open", attrs: { type: "button", id: "detail-lineage-open" } },
    thumb, el("span", { text: "the original" }));
  open.addEventListener("click", () => emit("atelier:open-image", { image_id: source.image_id }));
  box.replaceChildren(LINEAGE_WORDS[source.by] || "Remixed from ", open);
  if (image.style_from) box.append(" · styled after ", lineageLink(image.style_from, "detail-style-from-open"));
}

function lineageLink(source, id) {
  const thumb = el("img", { attrs: { src: `${source.url}?size=thumb`, alt: "" } });
  const open = el("button", { className: "lineage-open", attrs: { type: "button", id } },
    thumb, el("span", { text: "the reference" }));
  open.addEventListener("click", () => emit("atelier:open-image", { image_id: source.image_id }));
  return open;
}

function renderLikes(panel) {
  const { image, me } = panel;
  const count = image.like_count;
  $("detail-like-count").textContent = typeof count === "number" ? plural(count, "like") : "";
  const button = $("detail-like");
  button.hidden = !me || typeof count !== "number";
  const liked = Boolean(image.liked_by_you);
  button.setAttribute("aria-pressed", String(liked));
  button.textContent = liked ? "♥ Liked" : "♡ Like";
  button.classList.toggle("is-liked", liked);
}

function recipeRow(term, value) {
  return [el("dt", { text: term }), el("dd", {}, value)];
}

function renderRecipe(panel) {
  const { image, me } = panel;
  const recipe = image.recipe;
  $("detail-recipe-box").hidden = !recipe;
  if (!recipe) return;
  const rows = [];
  if (recipe.magic_prompt) rows.push(...recipeRow("Magic prompt", recipe.magic_prompt));
  if (recipe.negative_prompt) rows.push(...recipeRow("Negative prompt", recipe.negative_prompt));
  if (recipe.color_palette.length > 0) {
    const swatches = el("span", { className: "swatches" }, ...recipe.color_palette.map((colour) => {
      const swatch = el("span", { className: "swatch", attrs: { title: colour, "aria-label": colour, role: "img" } });
      swatch.style.setProperty("background", colour);
      return swatch;
    }));
    rows.push(...recipeRow("Palette", swatches));
  }
  if (recipe.aspect_ratio) rows.push(...recipeRow("Aspect", recipe.aspect_ratio));
  rows.push(...recipeRow("Seed", String(recipe.seed)));
  $("detail-recipe").replaceChildren(...rows);
  $("detail-use-prompt").hidden = !me;
  $("detail-use-recipe").replaceChildren(...(me ? useButtons(recipe) : []));
}

// Only what `recipe` carries, which the API gives every viewer who may see the image; never the
// owner-only fields beside it (generation_id, top-level seed), so nothing here differs by owner.
function useButtons(recipe) {
  const buttons = [];
  const add = (id, label, onClick) => {
    const button = el("button", { className: "button ghost small", text: label, attrs: { type: "button", id } });
    button.addEventListener("click", onClick);
    buttons.push(button);
  };
  if (recipe.magic_prompt) {
    add("detail-use-magic-prompt", "Use magic prompt", () => {
      $("detail").close();
      emit("atelier:use-prompt", { prompt: recipe.magic_prompt, aspect_ratio: recipe.aspect_ratio });
    });
  }
  const useField = (field, value, done) => () => {
    emit("atelier:use-recipe", { field, value });
    say(done);
  };
  if (recipe.negative_prompt) {
    add("detail-use-negative", "Use negative prompt",
      useField("negative_prompt", recipe.negative_prompt, "Negative prompt set for your next generation."));
  }
  if (recipe.color_palette.length > 0) {
    add("detail-use-palette", "Use palette",
      useField("color_palette", recipe.color_palette, "Palette set for your next generation."));
  }
  add("detail-use-seed", "Use seed", useField("seed", recipe.seed, `Seed ${recipe.seed} locked for your next generations.`));
  return buttons;
}

function renderActions(panel) {
  const { image, me } = panel;
  const own = Boolean(image.owned_by_you);
  $("detail-remix").hidden = !me;
  $("detail-retry").hidden = !own || !image.generation_id;
  $("detail-report").hidden = !me || own;
  const pin = $("detail-pin");
  pin.hidden = !own || typeof image.pinned !== "boolean";
  pin.setAttribute("aria-pressed", String(Boolean(image.pinned)));
  pin.textContent = image.pinned ? "Unpin from profile" : "Pin to profile";
  const avatar = $("detail-avatar");
  avatar.hidden = !own;
  const isAvatar = Boolean(me && me.avatar_image_id === image.image_id);
  avatar.disabled = isAvatar;
  avatar.textContent = isAvatar ? "Your profile photo" : "Set as profile photo";
  $("detail-remix-form").hidden = true;
  $("detail-report-form").hidden = true;
  renderUpscale(panel);
  renderDescribe(panel);
  renderBackground(panel);
  renderCanvas(panel);
  renderEditAndStyle(panel);
}

function renderEditAndStyle(panel) {
  const { image, me } = panel;
  $("detail-style-ref").hidden = !me;
  const button = $("detail-edit");
  button.hidden = !image.owned_by_you;
  $("detail-edit-note").hidden = true;
  if (!button.hidden) allowOrExplain(button, me && me.permissions.edit, $("detail-edit-note"));
}

function handOff(name, detail) {
  $("detail").close();
  emit(name, detail);
}

function renderUpscale(panel) {
  const { image, me } = panel;
  const button = $("detail-upscale");
  const note = $("detail-upscale-note");
  button.hidden = !image.owned_by_you;
  note.hidden = true;
  if (button.hidden) return;
  const tooLarge = Math.max(image.width, image.height) > UPSCALE_MAX_SIDE;
  const permission = tooLarge
    ? {
      allowed: false,
      reason: `This image is ${image.width}×${image.height} px: upscaling takes images of at most `
        + `${UPSCALE_MAX_SIDE} px a side.`,
    }
    : me && me.permissions.upscale;
  allowOrExplain(button, permission, note);
}

export function renderMore(panel) {
  renderOwner(panel.image);
  renderLineage(panel.image);
  renderLikes(panel);
  renderRecipe(panel);
  renderActions(panel);
}

async function toggleLike(panel) {
  const { image } = panel;
  clearError($("detail-error"));
  const button = $("detail-like");
  button.disabled = true;
  try {
    const method = image.liked_by_you ? "DELETE" : "POST";
    const state = await api(`/api/v1/images/${image.image_id}/like`, { method });
    panel.image = { ...image, like_count: state.like_count, liked_by_you: state.liked_by_you };
    renderLikes(panel);
    panel.onChange(panel.image);
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
}

async function togglePin(panel) {
  const { image } = panel;
  clearError($("detail-error"));
  try {
    const state = await api(`/api/v1/images/${image.image_id}/pin`, { method: image.pinned ? "DELETE" : "POST" });
    panel.image = { ...image, pinned: state.pinned };
    say(state.pinned ? "Pinned to your profile." : "Unpinned.");
    renderActions(panel);
    panel.onChange(panel.image);
  } catch (error) {
    fail(error);
  }
}

async function setAvatar(panel) {
  const { image } = panel;
  clearError($("detail-error"));
  try {
    await api("/api/v1/me/avatar", { method: "PUT", body: { image_id: image.image_id } });
    if (panel.me) panel.me = { ...panel.me, avatar_image_id: image.image_id };
    say(image.visibility === "private"
      ? "Your profile photo now. It is private: only you see it until you make it public."
      : "Your profile photo now.");
    renderActions(panel);
    emit("atelier:me-changed", {});
  } catch (error) {
    fail(error);
  }
}

async function copyPrompt(panel) {
  const { recipe } = panel.image;
  const text = recipe ? recipe.prompt : panel.image.prompt;
  try {
    await navigator.clipboard.writeText(text);
    say("Prompt copied.");
  } catch {
    say("Copying is not allowed here: select the prompt above instead.");
  }
}

function usePrompt(panel) {
  const { image } = panel;
  const recipe = image.recipe || { prompt: image.prompt };
  $("detail").close();
  emit("atelier:use-prompt", { prompt: recipe.prompt, aspect_ratio: recipe.aspect_ratio });
}

function openRemix(panel) {
  const form = $("detail-remix-form");
  $("detail-report-form").hidden = true;
  form.hidden = !form.hidden;
  if (!form.hidden) {
    $("detail-remix-prompt").value = panel.image.prompt;
    $("detail-remix-prompt").focus();
  }
}

function studioChoices() {
  const visibility = document.querySelector("input[name=visibility]:checked");
  return {
    num_images: Number($("num-images").value),
    visibility: visibility ? visibility.value : undefined,
  };
}

async function started(generationId, fallback) {
  let generation = null;
  try {
    generation = await api(`/api/v1/generations/${generationId}`);
  } catch {
    // The studio follows it anyway.
  }
  $("detail").close();
  emit("atelier:follow", {
    generation_id: generationId,
    prompt: generation ? generation.prompt : fallback.prompt,
    num_images: generation ? generation.params.num_images : fallback.num_images,
    aspect_ratio: generation ? generation.params.aspect_ratio : fallback.aspect_ratio,
  });
}

async function submitRemix(panel, event) {
  event.preventDefault();
  const { image } = panel;
  const prompt = $("detail-remix-prompt").value;
  clearError($("detail-error"));
  if (!prompt.trim()) {
    fail("Type a prompt for the remix.");
    return;
  }
  const body = { prompt, strength: Number($("detail-remix-strength").value), ...studioChoices() };
  try {
    const accepted = await api(`/api/v1/images/${image.image_id}/remix`, {
      method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    await started(accepted.generation_id, { prompt, num_images: body.num_images, aspect_ratio: "1:1" });
  } catch (error) {
    fail(error);
  }
}

async function upscale(panel) {
  const { image } = panel;
  clearError($("detail-error"));
  const button = $("detail-upscale");
  button.disabled = true;
  say("Upscaling…");
  try {
    const accepted = await api(`/api/v1/images/${image.image_id}/upscale`, {
      method: "POST", headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    // The studio follows it like a generation: progress, then the 2× image with its lineage.
    await started(accepted.generation_id, { prompt: image.prompt, num_images: 1, aspect_ratio: "1:1" });
  } catch (error) {
    say("");
    fail(error);
    renderUpscale(panel);
  }
}

async function retry(panel) {
  const { image } = panel;
  clearError($("detail-error"));
  try {
    const accepted = await api(`/api/v1/generations/${image.generation_id}/retry`, {
      method: "POST", headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    await started(accepted.generation_id, { prompt: image.prompt, num_images: 4, aspect_ratio: "1:1" });
  } catch (error) {
    fail(error);
  }
}

function openReport() {
  const form = $("detail-report-form");
  $("detail-remix-form").hidden = true;
  form.hidden = !form.hidden;
  if (!form.hidden) $("detail-report-reason").focus();
}

async function submitReport(panel, event) {
  event.preventDefault();
  const reason = $("detail-report-reason").value.trim();
  clearError($("detail-error"));
  if (!reason) {
    fail("Say briefly what is wrong with this image.");
    return;
  }
  try {
    await api(`/api/v1/images/${panel.image.image_id}/report`, { method: "POST", body: { reason } });
    $("detail-report-form").hidden = true;
    $("detail-report-reason").value = "";
    say("Thank you: the moderators will look at it.");
  } catch (error) {
    fail(error);
  }
}

export function wireMore(panel) {
  $("detail-like").addEventListener("click", () => toggleLike(panel));
  $("detail-pin").addEventListener("click", () => togglePin(panel));
  $("detail-avatar").addEventListener("click", () => setAvatar(panel));
  $("detail-copy-prompt").addEventListener("click", () => copyPrompt(panel));
  $("detail-use-prompt").addEventListener("click", () => usePrompt(panel));
  $("detail-remix").addEventListener("click", () => openRemix(panel));
  $("detail-edit").addEventListener("click", () => handOff("atelier:edit-image", { image: panel.image }));
  $("detail-style-ref").addEventListener("click", () => handOff("atelier:use-style-reference",
    { image_id: panel.image.image_id, url: panel.image.url }));
  $("detail-remix-cancel").addEventListener("click", () => { $("detail-remix-form").hidden = true; });
  $("detail-remix-form").addEventListener("submit", (event) => submitRemix(panel, event));
  $("detail-remix-strength").addEventListener("input", () => {
    $("detail-remix-strength-value").textContent = Number($("detail-remix-strength").value).toFixed(2);
  });
  $("detail-retry").addEventListener("click", () => retry(panel));
  $("detail-upscale").addEventListener("click", () => upscale(panel));
  wireDescribe(panel);
  wireBackground(panel, started);
  wireCanvas(panel, started);
  $("detail-report").addEventListener("click", openReport);
  $("detail-report-cancel").addEventListener("click", () => { $("detail-report-form").hidden = true; });
  $("detail-report-form").addEventListener("submit", (event) => submitReport(panel, event));
}
