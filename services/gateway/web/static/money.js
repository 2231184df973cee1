// Prices and credit counts in words, the same everywhere.

export function credits(n) {
  return `${n} credit${n === 1 ? "" : "s"}`;
}

export function price(cents, currency) {
  const amount = cents / 100;
  try {
    return new Intl.NumberFormat(undefined, {
      style: "currency",
      currency: (currency || "usd").toUpperCase(),
      minimumFractionDigits: Number.isInteger(amount) ? 0 : 2,
    }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${(currency || "").toUpperCase()}`;
  }
}

export function day(iso) {
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" });
}
