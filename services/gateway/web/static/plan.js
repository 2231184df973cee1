// The plan page: my plan, credits and status, and what each plan unlocks.

import { api } from "./api.js";
import { credits, price } from "./money.js";
import { $, clearError, el, showError } from "./ui.js";

const STATUS_LABEL = { none: "Free", active: "Active", lapsed: "Lapsed" };

function renderCurrent(me) {
  $("plan-current-name").textContent = me.plan_display_name;
  $("plan-status").textContent = STATUS_LABEL[me.subscription_status] || me.subscription_status;
  $("plan-credits").textContent = credits(me.credits);
  $("plan-concurrency").textContent = `${me.max_concurrent_generations} generation${
    me.max_concurrent_generations === 1 ? "" : "s"}`;
  const lapsed = $("plan-lapsed");
  lapsed.hidden = me.subscription_status !== "lapsed";
  lapsed.textContent = me.subscription_status === "lapsed" ? me.permissions.private_generation.reason : "";
  $("plan-period").textContent = me.current_period_end
    ? `Current period ends ${new Date(me.current_period_end).toLocaleDateString()}.`
    : "";
  $("plan-upgrade").textContent = me.subscription_status === "active" ? "See all plans" : "See prices and upgrade";
}

function renderCatalogue(plans, me) {
  const head = $("plans-head");
  head.replaceChildren(el("th", { text: "Feature", attrs: { scope: "col" } }));
  for (const plan of plans) {
    const th = el("th", { text: plan.display_name, attrs: { scope: "col" } });
    if (plan.name === me.plan) {
      th.classList.add("current");
      th.append(el("span", { className: "current-mark", text: "your plan" }));
    }
    head.append(th);
  }
  // One row per entitlement, in the order plans first mention them, worded by the catalogue.
  const unlocks = new Map();
  const comingSoon = new Set();
  for (const plan of plans) {
    plan.entitlements.forEach((name, i) => {
      if (!unlocks.has(name)) unlocks.set(name, plan.unlocks[i] || name);
    });
    (plan.coming_soon || []).forEach((name) => comingSoon.add(name));
  }
  const row = (label, cells) => el("tr", {}, el("th", { text: label, attrs: { scope: "row" } }), ...cells);
  const cell = (text, plan, cls) => el("td", {
    text, className: [cls, plan.name === me.plan ? "current" : ""].filter(Boolean).join(" "),
  });
  const rows = [
    row("Price a month", plans.map((plan) => cell(plan.monthly_price_cents > 0
      ? price(plan.monthly_price_cents, plan.currency) : "Free", plan))),
    row("Credits a month", plans.map((plan) => cell(String(plan.monthly_credits), plan))),
    row("Generations at once", plans.map((plan) => cell(String(plan.max_concurrent_generations), plan))),
  ];
  for (const [name, label] of unlocks) {
    // Not built yet: said plainly, never sold as if it existed.
    const soon = comingSoon.has(name);
    const tr = row(label, plans.map((plan) => {
      const has = plan.entitlements.includes(name);
      const text = has ? (soon ? "soon" : "✓") : "–";
      const td = cell(text, plan, has && !soon ? "yes" : "no");
      td.setAttribute("aria-label", has ? (soon ? "coming soon" : "included") : "not included");
      return td;
    }));
    if (soon) tr.classList.add("coming-soon"); // the label itself says "(coming soon)"
    rows.push(tr);
  }
  $("plans-body").replaceChildren(...rows);
}

export async function loadPlanPage(me) {
  clearError($("plans-error"));
  renderCurrent(me);
  try {
    const catalogue = await api("/api/v1/plans");
    renderCatalogue(catalogue.items, me);
  } catch (error) {
    showError($("plans-error"), error);
  }
}
