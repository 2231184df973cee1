// The prompt box's advanced options: negative prompt, seed with a lock, magic prompt, colour palette
// (with the aspect ratio and number of images beside the prompt), remembered per user by the API
// (/api/v1/me/studio-options), not in the browser: they may hold a private image's negative prompt,
// seed or palette, which must not stay on a shared device. Signing out clears the fields.
// The image panel's "Use …" buttons reach here through the window event
//   atelier:use-recipe {field: "seed" | "negative_prompt" | "color_palette", value}

import { api } from "./api.js";
import { $, el } from "./ui.js";

const OPTIONS_PATH = "/api/v1/me/studio-options";
const SAVE_DELAY_MS = 400;
const MAX_SEED = 2 ** 32 - 1;
const MAX_COLOURS = 8;
const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

export const PALETTE_PRESETS = [
  { name: "Sunset", colours: ["#ff7e5f", "#feb47b", "#6a0572"] },
  { name: "Ocean", colours: ["#0f4c81", "#3fa7d6", "#e0fbfc"] },
  { name: "Forest", colours: ["#2d6a4f", "#95d5b2", "#6b4423"] },
  { name: "Mono", colours: ["#111111", "#777777", "#eeeeee"] },
];

const options = {
  userId: null,
  loading: false,
  saveTimer: null,
  palette: [],
};

function defaults() {
  return {
    negative_prompt: "",
    seed: null,
    seed_locked: false,
    magic_prompt: false,
    color_palette: [],
    aspect_ratio: "1:1",
    num_images: 4,
    drawer_open: false,
  };
}

function validSeed(text) {
  return /^\d+$/.test(text) && Number(text) <= MAX_SEED ? Number(text) : null;
}

function current() {
  return {
    negative_prompt: $("negative-prompt").value.slice(0, 1000),
    // An unlocked seed is for one generation only: not worth remembering.
    seed: seedLocked() ? validSeed($("seed").value.trim()) : null,
    seed_locked: seedLocked(),
    magic_prompt: $("magic-prompt").checked,
    color_palette: [...options.palette],
    aspect_ratio: $("aspect-ratio").value,
    num_images: Number($("num-images").value),
    drawer_open: $("advanced").open,
  };
}

function seedLocked() {
  return $("seed-lock").getAttribute("aria-pressed") === "true";
}

function setSeedLock(locked) {
  $("seed-lock").setAttribute("aria-pressed", String(locked));
  $("seed-lock").textContent = locked ? "Seed locked" : "Lock seed";
}

function selectIfOffered(select, value) {
  if ([...select.options].some((option) => option.value === String(value))) select.value = String(value);
}

function show(saved) {
  const values = { ...defaults(), ...saved };
  $("negative-prompt").value = String(values.negative_prompt || "");
  $("seed").value = String(values.seed ?? "");
  setSeedLock(Boolean(values.seed_locked));
  $("magic-prompt").checked = Boolean(values.magic_prompt);
  setPalette(Array.isArray(values.color_palette) ? values.color_palette : []);
  selectIfOffered($("aspect-ratio"), values.aspect_ratio);
  selectIfOffered($("num-images"), values.num_images);
  $("advanced").open = Boolean(values.drawer_open);
}

// Changes are saved a moment after the last one, so that a run of clicks is one request.
function remember() {
  if (!options.userId || options.loading) return;
  clearTimeout(options.saveTimer);
  options.saveTimer = setTimeout(() => {
    api(OPTIONS_PATH, { method: "PUT", body: current() }).catch(() => {
      // Not kept this time (offline, signed out meanwhile): the options still work in this page.
    });
  }, SAVE_DELAY_MS);
}

// What the person changed on this page before their saved options arrived (anything not at its
// default: nothing else sets the fields before then): their change wins over the older saved value
// (e.g. the drawer opened before the saved "closed" arrived).
function changedSince(before) {
  const now = current();
  return Object.fromEntries(
    Object.entries(now).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(before[key])),
  );
}

/** Shows the options this user left last time (defaults for someone new), once per sign-in. */
export async function loadOptionsFor(userId) {
  if (options.userId === userId) return;
  options.userId = userId;
  options.loading = true;
  const untouched = defaults();
  let changedMeanwhile = {};
  try {
    const saved = await api(OPTIONS_PATH);
    changedMeanwhile = changedSince(untouched);
    if (options.userId === userId) show({ ...saved, ...changedMeanwhile });
  } catch {
    // The defaults stay; the prompt box works without what was remembered.
  } finally {
    options.loading = false;
  }
  if (Object.keys(changedMeanwhile).length > 0) remember();
}

/** Signed out: the fields go back to defaults (what was remembered stays for that user's return). */
export function forgetOptions() {
  clearTimeout(options.saveTimer);
  options.userId = null;
  show(defaults());
}

// ---------- palette

function setPalette(colours) {
  options.palette = colours.filter((colour) => HEX_COLOUR.test(colour)).slice(0, MAX_COLOURS)
    .map((colour) => colour.toLowerCase());
  const chips = options.palette.map((colour, i) => {
    const swatch = el("span", { className: "swatch", attrs: { "aria-hidden": "true" } });
    swatch.style.setProperty("background", colour);
    const remove = el("button", {
      className: "chip-remove",
      text: "×",
      attrs: { type: "button", "aria-label": `Remove ${colour}` },
    });
    remove.addEventListener("click", () => {
      setPalette(options.palette.filter((_, j) => j !== i));
      remember();
    });
    return el("li", { className: "palette-chip", attrs: { "data-colour": colour } }, swatch,
      el("span", { text: colour }), remove);
  });
  $("palette-chosen").replaceChildren(...chips);
  $("palette-add").disabled = options.palette.length >= MAX_COLOURS;
  for (const button of $("palette-presets").querySelectorAll("button")) {
    const preset = PALETTE_PRESETS.find((item) => item.name === button.dataset.preset);
    const chosen = preset.colours.join() === options.palette.join();
    button.setAttribute("aria-pressed", String(chosen));
  }
}

function presetButton(preset) {
  const swatches = preset.colours.map((colour) => {
    const swatch = el("span", { className: "swatch", attrs: { "aria-hidden": "true" } });
    swatch.style.setProperty("background", colour);
    return swatch;
  });
  const button = el("button", {
    className: "palette-preset",
    attrs: { type: "button", "data-preset": preset.name, "aria-pressed": "false" },
  }, el("span", { className: "swatches" }, ...swatches), el("span", { text: preset.name }));
  button.addEventListener("click", () => {
    setPalette(preset.colours);
    remember();
  });
  return button;
}

// ---------- what a generation request carries

/** The options as request fields; throws a sentence for the user when one is not valid. */
export function optionsBody() {
  const body = {
    aspect_ratio: $("aspect-ratio").value,
    num_images: Number($("num-images").value),
    magic_prompt: $("magic-prompt").checked,
  };
  const negative = $("negative-prompt").value.trim();
  if (negative) body.negative_prompt = negative;
  const seed = $("seed").value.trim();
  if (seed) {
    if (validSeed(seed) === null) {
      $("advanced").open = true;
      $("seed").focus();
      throw new Error(`Seed: a whole number from 0 to ${MAX_SEED}, or empty for a random one.`);
    }
    body.seed = Number(seed);
  }
  if (options.palette.length > 0) body.color_palette = [...options.palette];
  return body;
}

/** A generation was accepted with `seed`: a locked seed keeps it, an unlocked one is used once. */
export function afterAccepted(seed) {
  if (seedLocked()) {
    if (!$("seed").value.trim() && Number.isInteger(seed)) $("seed").value = String(seed);
  } else {
    $("seed").value = "";
  }
  remember();
}

export function seedToKeep() {
  return seedLocked() && !$("seed").value.trim();
}

// ---------- from the image panel

function applyRecipeField({ field, value }) {
  if (field === "seed") {
    $("seed").value = String(value);
    setSeedLock(true);
  } else if (field === "negative_prompt") {
    $("negative-prompt").value = String(value);
  } else if (field === "color_palette") {
    setPalette(Array.isArray(value) ? value : []);
  } else {
    return;
  }
  $("advanced").open = true;
  remember();
}

export function wireOptions() {
  $("palette-presets").replaceChildren(...PALETTE_PRESETS.map(presetButton));
  $("seed-lock").addEventListener("click", () => {
    setSeedLock(!seedLocked());
    remember();
  });
  $("palette-add").addEventListener("click", () => {
    const colour = $("palette-colour").value.toLowerCase();
    if (!options.palette.includes(colour)) setPalette([...options.palette, colour]);
    remember();
  });
  $("palette-clear").addEventListener("click", () => {
    setPalette([]);
    remember();
  });
  for (const id of ["negative-prompt", "seed", "magic-prompt", "aspect-ratio", "num-images"]) {
    $(id).addEventListener("change", remember);
  }
  $("advanced").addEventListener("toggle", remember);
  window.addEventListener("atelier:use-recipe", (event) => applyRecipeField(event.detail));
  setPalette([]);
}
