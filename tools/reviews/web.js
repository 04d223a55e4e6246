// search_reviews' card on the chat page: every matching review, each with its citation button.
// Text from the server only reaches the page through text nodes (see agent/web/app.js).
"use strict";

(({ registerView, ui }) => {
  const { el, citeButton, stars } = ui;

  registerView("search_reviews", (result) => {
    const hits = result.hits || [];
    if (!hits.length) return null;
    return el(
      "details",
      { class: "card reviews" },
      el("summary", { text: `All ${hits.length} matching reviews` }),
      el(
        "ul",
        { class: "hits" },
        hits.map((hit) =>
          el(
            "li",
            null,
            el(
              "div",
              { class: "hit-head" },
              citeButton(hit.review_id),
              stars(hit.rating),
              el("span", { class: "muted", text: [hit.product_name || hit.product_id, hit.date].filter(Boolean).join(" · ") }),
            ),
            el("p", { class: "hit-text", text: hit.snippet || "" }),
          ),
        ),
      ),
    );
  });
})(window.MarketingAgentPage);
