// analyze_experiment's card on the chat page: the decision, each variant's rate with its anytime-valid interval
// (drawn as a bar on one shared scale), the chance it is best and its share of the next traffic, and how long the
// test still needs. Text from the server only reaches the page through text nodes.
"use strict";

(({ registerView, ui }) => {
  const { el, svg, card, table, numbers, percent } = ui;
  const STATUS = { winner: "Winner", no_difference: "No meaningful difference", keep_running: "Keep running" };
  const rate = (value) => `${(100 * (Number(value) || 0)).toFixed(2)}%`;

  function intervals(arms, winner) {
    const W = 560;
    const row = 26;
    const pad = { left: 120, right: 20, top: 8, bottom: 26 };
    const H = pad.top + pad.bottom + row * arms.length;
    const top = Math.max(1e-6, ...arms.map((a) => Number(a.rate_high) || 0));
    const x = (v) => pad.left + (Math.min(Number(v) || 0, top) / top) * (W - pad.left - pad.right);
    const label = arms
      .map((a) => `${a.variant_id}: ${rate(a.rate)} (interval ${rate(a.rate_low)} to ${rate(a.rate_high)})`)
      .join("; ");
    const ticks = [0, top / 2, top];
    return el(
      "div",
      { class: "chart-wrap" },
      svg(
        "svg",
        { viewBox: `0 0 ${W} ${H}`, class: "chart experiment-chart", role: "img", "aria-label": label },
        svg("title", null, label),
        ticks.map((t) =>
          svg(
            "g",
            { class: "axis x" },
            svg("line", { class: "grid", x1: x(t), x2: x(t), y1: pad.top, y2: H - pad.bottom }),
            svg("text", { x: x(t), y: H - 8, "text-anchor": "middle" }, rate(t)),
          ),
        ),
        arms.map((a, i) => {
          const y = pad.top + row * i + row / 2;
          const cls = a.variant_id === winner ? "arm winner" : "arm";
          const colour = a.variant_id === winner ? "#2e8b57" : "#4a7bd0";
          return svg(
            "g",
            { class: cls },
            svg("text", { x: pad.left - 8, y: y + 4, "text-anchor": "end" }, String(a.variant_id).slice(0, 18)),
            svg("line", {
              class: "interval",
              x1: x(a.rate_low),
              x2: x(a.rate_high),
              y1: y,
              y2: y,
              stroke: colour,
              "stroke-opacity": 0.45,
              "stroke-width": 8,
              "stroke-linecap": "round",
            }),
            svg("circle", { class: "estimate", cx: x(a.rate), cy: y, r: 4, fill: colour }),
          );
        }),
      ),
    );
  }

  registerView("analyze_experiment", (result) => {
    const arms = result.arms || [];
    if (!arms.length) return null;
    const decision = result.decision || {};
    const split = result.next_allocation || {};
    const headline = (STATUS[decision.status] || "Result") + (decision.winner ? `: ${decision.winner}` : "");
    const parts = [
      el("p", { class: `decision ${decision.status || ""}` }, el("strong", { text: headline }), " ", decision.reason || ""),
      intervals(arms, decision.winner),
      table(
        `${result.experiment}: ${result.looks || 1} look${result.looks === 1 ? "" : "s"}` +
          (result.first_day ? `, ${result.first_day} to ${result.last_day}` : ""),
        ["Variant", "Exposures", "Conversions", "Rate", "Interval", "Chance best", "Next split"],
        arms.map((a) => [
          el("span", null, el("strong", { text: a.variant_id }), a.copy_text ? el("small", { class: "copy", text: ` ${a.copy_text}` }) : null),
          numbers.format(a.exposures),
          numbers.format(a.conversions),
          rate(a.rate),
          `${rate(a.rate_low)} – ${rate(a.rate_high)}`,
          percent(a.prob_best),
          el("span", { class: "split", text: percent(split[a.variant_id] || 0) }),
        ]),
        ["", "num", "num", "num", "", "num", "num"],
      ),
    ];
    const plan = result.plan;
    if (plan && decision.status === "keep_running") {
      const days = plan.days_left != null ? `, about ${plan.days_left} days at the recent pace, split evenly` : "";
      parts.push(
        el("p", {
          class: "plan",
          text: plan.remaining
            ? `To find a ${percent(plan.lift)} lift on ${rate(plan.baseline_rate)}: ${numbers.format(plan.per_variant)} ` +
              `exposures per variant (${numbers.format(plan.remaining)} more${days}). Safe to check every day.`
            : `Every variant has the ${numbers.format(plan.per_variant)} exposures needed to find a ${percent(plan.lift)} lift.`,
        }),
      );
    }
    return card("A/B test", parts);
  });
})(window.MarketingAgentPage);
