// audit_fairness' card on the chat page: per attribute, each group's selection rate as a bar with its interval
// (flagged groups in red, groups too small to judge in grey), the ratio to the best-served group, and the verdict.
// Text from the server only reaches the page through text nodes.
"use strict";

(({ registerView, ui }) => {
  const { el, svg, card, table, numbers, percent } = ui;
  const ratio = (f) =>
    f.ratio_to_max == null ? (f.judged ? "–" : "not judged") : `${f.ratio_to_max.toFixed(2)} (${(f.ratio_low ?? 0).toFixed(2)}–${(f.ratio_high ?? 0).toFixed(2)})`;

  function bars(attribute, rows, threshold) {
    const W = 560;
    const row = 24;
    const pad = { left: 150, right: 60, top: 6, bottom: 24 };
    const H = pad.top + pad.bottom + row * rows.length;
    const top = Math.max(1e-6, ...rows.map((f) => Number(f.rate_high) || 0));
    const x = (v) => pad.left + (Math.min(Number(v) || 0, top) / top) * (W - pad.left - pad.right);
    const label = `Selection rate by ${attribute}: ` + rows.map((f) => `${f.group} ${percent(f.selection_rate)}`).join("; ");
    return el(
      "div",
      { class: "chart-wrap" },
      svg(
        "svg",
        { viewBox: `0 0 ${W} ${H}`, class: "chart fairness-chart", role: "img", "aria-label": label },
        svg("title", null, label),
        rows.map((f, i) => {
          const y = pad.top + row * i;
          const colour = f.flagged ? "#c0392b" : f.judged ? "#4a7bd0" : "#9aa0a6";
          return svg(
            "g",
            { class: f.flagged ? "group flagged" : "group" },
            svg("text", { x: pad.left - 8, y: y + row / 2 + 4, "text-anchor": "end" }, String(f.group).slice(0, 22)),
            svg("rect", { class: "rate", x: pad.left, y: y + 4, width: Math.max(0, x(f.selection_rate) - pad.left), height: row - 8, fill: colour, "fill-opacity": 0.75 }),
            svg("line", { class: "interval", x1: x(f.rate_low), x2: x(f.rate_high), y1: y + row / 2, y2: y + row / 2, stroke: "#222", "stroke-width": 1.5 }),
            svg("text", { x: x(f.rate_high) + 6, y: y + row / 2 + 4 }, percent(f.selection_rate)),
          );
        }),
        svg("text", { x: pad.left, y: H - 6 }, `rate of selection; red: under ${threshold} of the best group's and more than chance`),
      ),
    );
  }

  registerView("audit_fairness", (result) => {
    const findings = result.findings || [];
    if (!findings.length) return null;
    const parts = [
      el(
        "p",
        { class: `fairness-verdict ${result.flagged ? "flagged" : "clear"}` },
        el("strong", { text: result.flagged ? "Flagged" : "Not flagged" }),
        ` ${result.summary || ""}`,
      ),
    ];
    for (const summary of result.attributes || []) {
      const pair = summary.attribute.includes(" x ");
      if (pair && !summary.flagged) continue;
      const rows = findings.filter((f) => f.attribute === summary.attribute);
      if (!pair) parts.push(bars(summary.attribute, rows, result.threshold));
      parts.push(
        table(
          `${summary.attribute}: ${numbers.format(summary.judged)} of ${numbers.format(summary.groups)} groups judged`,
          ["Group", "Customers", "Selected", "Rate", "Ratio to best (95%)", "Verdict"],
          rows.map((f) => [
            el("strong", { text: f.group }),
            numbers.format(f.size),
            numbers.format(f.selected),
            percent(f.selection_rate),
            ratio(f),
            el("span", { class: f.flagged ? "tag flagged" : "tag", text: f.flagged ? "flagged" : f.judged ? "ok" : "too small" }),
          ]),
          ["", "num", "num", "num", "num", ""],
        ),
      );
    }
    return card(`Fairness audit: ${result.list_name}`, parts);
  });
})(window.MarketingAgentPage);
