// Small DOM helpers shared by the page's modules. User text only ever goes through textContent or
// attributes, never through HTML parsing.

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);

export function el(tag, { className, text, attrs } = {}, ...children) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

// Every "upgrade your plan" message links to the pricing page: out of credits (402) and refusals
// a plan decides (403 that name the plan; a 403 for anything else, e.g. CSRF, gets no link).
export function upgradeLink() {
  return el("a", { className: "upgrade-link", text: "See plans", attrs: { href: "/pricing" } });
}

function isPlanRefusal(error) {
  return error instanceof ApiError && (error.status === 402 || (error.status === 403 && /\bplan\b/i.test(error.message)));
}

export function showError(element, error) {
  element.textContent = error instanceof ApiError ? error.message : String(error);
  if (isPlanRefusal(error)) element.append(" ", upgradeLink());
  element.hidden = false;
}

export function clearError(element) {
  element.hidden = true;
  element.textContent = "";
}

export function ratioOf(aspect) {
  const [w, h] = String(aspect || "1:1").split(":").map(Number);
  return w > 0 && h > 0 ? `${w} / ${h}` : "1 / 1";
}

// Enables a control, or disables it and says why: in its tooltip (title) and, when given, in a
// visible note beside it. `permission` is {allowed, reason} from /api/v1/me.
export function allowOrExplain(control, permission, note, wrapper) {
  const allowed = !permission || permission.allowed;
  control.disabled = !allowed;
  for (const target of [control, wrapper].filter(Boolean)) {
    if (allowed) target.removeAttribute("title");
    else target.title = permission.reason || "Your plan does not include this.";
    target.classList.toggle("is-disabled", !allowed);
  }
  if (note) {
    note.textContent = allowed ? "" : permission.reason || "Your plan does not include this.";
    if (!allowed) note.append(" ", upgradeLink());
    note.hidden = allowed;
  }
  return allowed;
}

export function visibilityBadge(visibility) {
  const isPrivate = visibility === "private";
  return el("span", {
    className: `visibility-badge ${isPrivate ? "is-private" : "is-public"}`,
    text: isPrivate ? "Private" : "Public",
    attrs: { title: isPrivate ? "Private: only you can see it" : "Public: anyone can see it" },
  });
}
