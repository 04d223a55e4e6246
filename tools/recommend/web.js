// recommend_products' card on the chat page: each customer's picks (repeat or new, with the reason), a product's
// audience, or the products to feature for a segment. Text from the server only reaches the page through text
// nodes.
"use strict";

(({ registerView, ui }) => {
  const { el, card, table, numbers, percent, humanise } = ui;
  const MAX_CUSTOMERS = 5;
  const MAX_AUDIENCE = 20;

  registerView("recommend_products", (result) => {
    const parts = [];
    const days = result.window_days ? `next ${result.window_days} days` : "next weeks";
    const name = (p) => p.product_name || p.product_id;
    const share = (value) => `${(100 * (value || 0)).toFixed(1)}%`;
    for (const r of (result.customers || []).slice(0, MAX_CUSTOMERS)) {
      parts.push(
        table(
          `${r.customer_id}: most likely to buy in the ${days}${r.known ? "" : " (no history: best sellers)"}`,
          ["#", "Product", "Category", "Score", "Repeat or new", "Why"],
          (r.items || []).map((item, i) => [
            String(i + 1),
            el("strong", { text: name(item) }),
            item.category || "–",
            share(item.score),
            el("span", { class: item.repeat ? "tag repeat" : "tag new", text: item.repeat ? "repeat" : "new" }),
            (item.reasons || []).join("; "),
          ]),
          ["num", "", "", "num", "", "wide"],
        ),
      );
    }
    const more = (result.customers || []).length - MAX_CUSTOMERS;
    if (more > 0) parts.push(el("p", { text: `${numbers.format(more)} more customers in the full result.` }));
    if (result.product) {
      const audience = result.audience || [];
      const shown = audience.slice(0, MAX_AUDIENCE);
      parts.push(
        table(
          `Who to target for ${name(result.product)}: ${shown.length} of ${numbers.format(audience.length)} listed, ` +
            `from ${numbers.format(result.population || 0)} customers`,
          ["#", "Customer", "Score", "Bought before", "Why"],
          shown.map((m, i) => [
            String(i + 1),
            el("code", { text: m.customer_id }),
            share(m.score),
            m.bought_before ? "yes" : "no",
            (m.reasons || []).join("; "),
          ]),
          ["num", "", "num", "", "wide"],
        ),
      );
    }
    const featured = result.featured || [];
    if (featured.length) {
      parts.push(
        table(
          `Products to feature for ${humanise(result.segment || "")} (${numbers.format(result.population || 0)} customers)`,
          ["#", "Product", "Category", "Share of predicted purchases", "Bought it before", "From repeat buying"],
          featured.map((p, i) => [
            String(i + 1),
            el("strong", { text: name(p) }),
            p.category || "–",
            share(p.score),
            numbers.format(p.buyers),
            percent(p.repeat_share),
          ]),
          ["num", "", "", "num", "num", "num"],
        ),
      );
    }
    if (!parts.length) return null;
    return card("Recommendations", parts);
  });
})(window.MarketingAgentPage);
