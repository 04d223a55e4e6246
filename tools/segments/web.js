// segment_customers' card on the chat page: the segments with their size and expected value, and the matching
// customers (ids only). Text from the server only reaches the page through text nodes.
"use strict";

(({ registerView, ui }) => {
  const { el, card, table, humanise, capitalise, money, percent, numbers, decimals } = ui;
  const MAX_CUSTOMERS = 10;

  registerView("segment_customers", (result) => {
    const segments = result.segments || [];
    const parts = [];
    const days = result.period_days;
    const horizon = days ? `next ${days} days` : "next period";
    if (segments.length) {
      parts.push(
        table(
          `${segments.length} segments of ${numbers.format(result.customers_total || 0)} customers; expected value over the ${horizon}`,
          ["Segment", "Customers", "Expected per customer", "Expected total", "Description", "Top products"],
          segments.map((s) => [
            el("strong", { text: humanise(s.name) }),
            `${numbers.format(s.size)} (${percent(s.share)})`,
            money(s.predicted_value_per_customer),
            money(s.predicted_value),
            // the size has its own column; the description need not start with it
            capitalise(String(s.description || "").replace(/^[\d,]+ customers; /, "")),
            productList(s.top_products || []),
          ]),
          ["", "num", "num", "num", "wide", ""],
        ),
      );
    }
    const customers = result.customer ? [result.customer] : result.customers || [];
    if (customers.length) {
      const shown = customers.slice(0, MAX_CUSTOMERS);
      parts.push(
        table(
          result.customer
            ? "The customer"
            : `Matching customers, most valuable first (${shown.length} of ${numbers.format(customers.length)} listed)`,
          ["Customer", "Segment", "Days since last purchase", "Purchases", "Spend", "Expected spend"],
          shown.map((c) => [
            el("code", { text: c.customer_id }),
            humanise(c.segment || ""),
            numbers.format(c.recency_days),
            decimals.format(c.frequency),
            money(c.monetary),
            money(c.expected_spend),
          ]),
          ["", "", "num", "num", "num", "num"],
        ),
      );
    }
    if (!parts.length) return null;
    return card("Customer segments", parts);
  });

  function productList(products) {
    if (!products.length) return "–";
    return el(
      "ul",
      { class: "products" },
      products.slice(0, 3).map((p) => el("li", { text: `${p.product_name || p.product_id} (${percent(p.share_of_spend)})` })),
    );
  }
})(window.MarketingAgentPage);
