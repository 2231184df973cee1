// Whose events a webhook endpoint gets: the whole account's, or only those of the generations
// submitted with one of my API keys (and of their images). Only live keys are offered (the API
// refuses a revoked one), and revoking a key deletes its endpoints, so the Keys block tells this
// one when keys change (the "atelier:api-keys-changed" event).

import { api } from "./api.js";
import { $, el } from "./ui.js";

export const KEYS_CHANGED = "atelier:api-keys-changed";
const WHOLE_ACCOUNT = "All of my account";

function keyWords(key) {
  return `API key ${key.name || "(unnamed)"} (${key.prefix}…)`;
}

export async function loadKeyChoices() {
  const select = $("webhook-scope");
  const chosen = select.value;
  const page = await api("/api/v1/api-keys");
  select.replaceChildren(
    el("option", { text: WHOLE_ACCOUNT, attrs: { value: "" } }),
    ...page.items.map((key) => el("option", { text: keyWords(key), attrs: { value: key.id } })));
  select.value = page.items.some((key) => key.id === chosen) ? chosen : "";
}

// null: the whole account.
export function chosenKeyId() {
  return $("webhook-scope").value || null;
}

export function scopeCell(endpoint) {
  const text = endpoint.api_key ? keyWords(endpoint.api_key) : WHOLE_ACCOUNT;
  return el("td", { className: "webhook-scope", text, attrs: { "data-label": "Events of" } });
}
