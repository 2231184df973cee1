// The pricing page (/pricing), signed in or not: every plan of the catalogue with its price, credits,
// generations at once and what it unlocks ("coming soon" said plainly); the current plan marked;
// buying goes through the payment provider's checkout, changing or cancelling through its portal.

import { api, ApiError } from "./api.js";
import { credits, price } from "./money.js";
import { $, clearError, el, showError } from "./ui.js";

async function goTo(path) {
  const errorBox = $("pricing-error");
  clearError(errorBox);
  try {
    const reply = await api(path.url, { method: "POST", body: path.body });
    window.location.assign(reply.url);
  } catch (error) {
    showError(errorBox, error);
  }
}

function action(plan, me, subscription) {
  if (!me) {
    return plan.for_sale
      ? el("a", { className: "button primary", text: `Sign up to get ${plan.display_name}`, attrs: { href: "/" } })
      : el("a", { className: "button ghost", text: "Sign up free", attrs: { href: "/" } });
  }
  if (plan.name === me.plan) {
    return el("span", { className: "hint", text: "Your plan" });
  }
  if (!plan.for_sale) return el("span", { className: "hint", text: "" });
  if (subscription && subscription.manageable) {
    // Switching inside a running subscription is not offered (the portal cancels it; a new plan
    // is bought once it has ended), and the page says so rather than pretend.
    return el("span", { className: "hint",
      text: "To switch, cancel your subscription in Billing; choose this plan once it has ended." });
  }
  const buy = el("button", { className: "button primary", text: `Upgrade to ${plan.display_name}`,
    attrs: { type: "button", "data-plan": plan.name } });
  buy.addEventListener("click", () => {
    buy.disabled = true;
    goTo({ url: "/api/v1/billing/checkout", body: { plan: plan.name } }).finally(() => { buy.disabled = false; });
  });
  return buy;
}

function card(plan, me, subscription) {
  const current = me && plan.name === me.plan;
  const title = el("h2", { text: plan.display_name });
  if (current) title.append(el("span", { className: "current-plan-mark", text: "Current plan" }));
  const amount = plan.monthly_price_cents > 0
    ? el("p", { className: "price" }, price(plan.monthly_price_cents, plan.currency), el("small", { text: " / month" }))
    : el("p", { className: "price", text: "Free" });
  const facts = el("ul", {},
    el("li", { text: `${credits(plan.monthly_credits)} a month` }),
    el("li", { text: `${plan.max_concurrent_generations} generation${plan.max_concurrent_generations === 1 ? "" : "s"} at once` }));
  plan.entitlements.forEach((name, i) => {
    const soon = (plan.coming_soon || []).includes(name);
    facts.append(el("li", { className: soon ? "soon" : "", text: plan.unlocks[i] || name }));
  });
  const item = el("li", { className: `price-card${current ? " current" : ""}`,
    attrs: { "aria-label": `${plan.display_name}${current ? " (current plan)" : ""}`, "data-plan": plan.name } },
  title, amount, facts, el("div", { className: "price-action" }, action(plan, me, subscription)));
  if (current) item.setAttribute("aria-current", "true");
  return item;
}

export async function loadPricing(me) {
  document.title = "Pricing — Atelier";
  clearError($("pricing-error"));
  const notice = $("pricing-notice");
  const cancelled = new URLSearchParams(window.location.search).get("checkout") === "cancelled";
  notice.hidden = !cancelled;
  notice.textContent = cancelled ? "Checkout cancelled: nothing was charged and your plan is unchanged." : "";
  try {
    const [catalogue, subscription] = await Promise.all([
      api("/api/v1/plans"),
      me ? api("/api/v1/billing/subscription").catch((error) => {
        if (error instanceof ApiError) return null;
        throw error;
      }) : null,
    ]);
    $("pricing-plans").replaceChildren(...catalogue.items.map((plan) => card(plan, me, subscription)));
  } catch (error) {
    showError($("pricing-error"), error);
  }
}
