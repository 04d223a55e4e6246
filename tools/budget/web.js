// plan_budget's card on the chat page: the expected outcome against the current split, planned against current
// spend per channel (bars), each channel's response curve (median, 80% band, today's and the planned weekly spend,
// the most it ever spent), the allocation and ROAS tables with their intervals, and every caveat. Channel names and
// the outcome's label come from the user's file: they only reach the page through text nodes and attributes.
"use strict";

(({ registerView, ui }) => {
  const { el, svg, card, table, numbers, percent } = ui;
  const MAX_CURVES = 6;
  const COLOURS = { planned: "#1f4e79", current: "#9db4cf", beyond: "#8a8a8a" };
  const TITLES = { plan: "Budget plan", scenario: "What if", effects: "Return on ad spend" };

  // A spend or outcome as a marketer reads it: 20,000; 312.5; 0.482.
  function amount(value) {
    const v = Number(value);
    if (!Number.isFinite(v)) return "–";
    const size = Math.abs(v);
    if (size >= 1000) return numbers.format(v);
    if (size >= 10) return (Math.round(v * 10) / 10).toLocaleString();
    return String(Number(v.toPrecision(3)));
  }
  // A difference with its sign; one below a thousandth of `scale` (the outcome it changes) reads as 0.
  function signed(value, scale) {
    const v = Number(value);
    if (Number.isFinite(v) && scale !== undefined && Math.abs(v) < 1e-3 * Math.abs(Number(scale) || 0)) return "0";
    return (v > 0 ? "+" : "") + amount(v);
  }
  const interval = (low, high, sign, scale) =>
    sign ? `${signed(low, scale)} to ${signed(high, scale)}` : `${amount(low)} to ${amount(high)}`;
  const ratio = (value) => (Number(value) || 0).toFixed(2);
  const clipped = (text, limit) => (String(text).length > limit ? `${String(text).slice(0, limit - 1)}…` : String(text));

  // Round tick values a little under `top`, about `count` of them: 0, 0.5, 1, 1.5 rather than 0, 0.995, 1.99.
  function ticks(top, count) {
    const rough = top / count;
    const power = 10 ** Math.floor(Math.log10(rough || 1));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= rough) || power * 10;
    const found = [];
    for (let v = 0; v <= top * (1 + 1e-9); v += step) found.push(Number(v.toPrecision(12)));
    return found;
  }

  function change(a) {
    if (a.current_spend > 0) return percent((a.spend - a.current_spend) / a.current_spend, true);
    return a.spend > 0 ? "new" : "0";
  }

  registerView("plan_budget", (result) => {
    const model = result.model || {};
    const label = clipped(model.outcome_label || "outcome", 60);
    const allocation = result.allocation || [];
    const effects = result.channels || [];
    const curves = (result.curves || []).slice(0, MAX_CURVES);
    const parts = [headline(result, label)];
    if (result.mode !== "effects" && allocation.length) parts.push(allocationChart(allocation, result));
    if (curves.length) parts.push(curveGrid(curves, label));
    if (result.mode !== "effects" && allocation.length) parts.push(allocationTable(allocation, result, label));
    if (effects.length) parts.push(roasTable(effects, label, model));
    parts.push(modelLine(model));
    const warnings = result.warnings || [];
    if (warnings.length) {
      parts.push(
        el(
          "div",
          { class: "warnings budget-warnings", role: "note", "aria-label": "Caveats" },
          el("strong", { text: "Caveats" }),
          el("ul", null, warnings.map((w) => el("li", { text: w }))),
        ),
      );
    }
    return card(TITLES[result.mode] || "Budget", parts);
  });

  function headline(result, label) {
    const planned = result.planned;
    const current = result.current;
    if (result.mode === "effects") {
      const text = current
        ? `Today's spend brings ${amount(current.outcome_p50)} ${label} from media over ${result.period_weeks} weeks ` +
          `(80% interval ${interval(current.outcome_p10, current.outcome_p90)}).`
        : "";
      return el("p", { class: "budget-headline", text });
    }
    if (!planned || !current) return null;
    const versus = result.mode === "plan" ? "today's split of the same total" : "today's level";
    const what =
      result.mode === "plan"
        ? `Budget ${amount(result.total_budget)} over ${result.period_weeks} weeks: `
        : `Over ${result.period_weeks} weeks: `;
    return el(
      "p",
      { class: "budget-headline" },
      what,
      el("strong", { text: `${amount(planned.outcome_p50)} ${label}` }),
      ` from media (80% interval ${interval(planned.outcome_p10, planned.outcome_p90)}), against `,
      `${amount(current.outcome_p50)} (${interval(current.outcome_p10, current.outcome_p90)}) for ${versus}: `,
      el("strong", { class: "budget-uplift", text: signed(result.uplift_p50, current.outcome_p50) }),
      ` (80% interval ${interval(result.uplift_p10, result.uplift_p90, true, current.outcome_p50)}).`,
    );
  }

  // Planned against current spend, two bars per channel on one scale.
  function allocationChart(allocation, result) {
    const W = 560;
    const row = 40;
    const pad = { left: 110, right: 70, top: 6, bottom: 24 };
    const H = pad.top + pad.bottom + row * allocation.length;
    const top = Math.max(1e-9, ...allocation.map((a) => Math.max(Number(a.spend) || 0, Number(a.current_spend) || 0)));
    const x = (v) => pad.left + (Math.max(0, Number(v) || 0) / top) * (W - pad.left - pad.right);
    const plannedName = result.mode === "plan" ? "Plan" : "What-if";
    const currentName = result.mode === "plan" ? "Today's split" : "Today";
    const label = allocation
      .map((a) => `${a.channel}: ${plannedName.toLowerCase()} ${amount(a.spend)}, ${currentName.toLowerCase()} ${amount(a.current_spend)}`)
      .join("; ");
    const bar = (a, key, y, cls) => [
      svg("rect", { class: `bar ${cls}`, x: pad.left, y, width: Math.max(0.5, x(a[key]) - pad.left), height: 14, fill: COLOURS[cls] }),
      svg("text", { x: x(a[key]) + 4, y: y + 11 }, amount(a[key])),
    ];
    return el(
      "figure",
      { class: "budget-allocation" },
      el(
        "div",
        { class: "chart-wrap" },
        svg(
          "svg",
          { viewBox: `0 0 ${W} ${H}`, class: "chart budget-allocation-chart", role: "img", "aria-label": label },
          svg("title", null, label),
          svg("line", { class: "grid", x1: pad.left, x2: pad.left, y1: pad.top, y2: H - pad.bottom }),
          allocation.map((a, i) => {
            const y = pad.top + row * i + 4;
            return svg(
              "g",
              { class: "channel" },
              svg("text", { x: pad.left - 8, y: y + 18, "text-anchor": "end" }, clipped(a.channel, 16)),
              bar(a, "spend", y, "planned"),
              bar(a, "current_spend", y + 16, "current"),
            );
          }),
          svg("text", { x: pad.left, y: H - 6 }, `Spend over ${result.period_weeks} weeks`),
        ),
      ),
      el(
        "div",
        { class: "legend", "aria-hidden": "true" },
        swatch(COLOURS.planned, plannedName),
        swatch(COLOURS.current, currentName),
      ),
    );
  }

  function swatch(colour, text) {
    return el("span", null, svg("svg", { width: 18, height: 10 }, svg("rect", { width: 18, height: 10, fill: colour, rx: 2 })), ` ${text}`);
  }

  function curveGrid(curves, label) {
    return el(
      "figure",
      { class: "budget-curves" },
      el("figcaption", { class: "muted", text: `Response curves: ${label} a week against steady spend a week` }),
      el(
        "div",
        { class: "budget-curve-grid" },
        curves.map((c) => curveChart(c, label)),
      ),
      el(
        "div",
        { class: "legend", "aria-hidden": "true" },
        el("span", { class: "key median" }, "Median"),
        el("span", { class: "key band" }, "80% interval"),
        el("span", null, "dashed: today · solid: planned · grey: beyond the most ever spent"),
      ),
    );
  }

  function curveChart(curve, label) {
    const W = 300;
    const H = 190;
    const pad = { top: 22, right: 12, bottom: 28, left: 44 };
    const points = (curve.points || []).map((p) => ({
      s: Number(p.weekly_spend) || 0,
      p10: Number(p.outcome_p10) || 0,
      p50: Number(p.outcome_p50) || 0,
      p90: Number(p.outcome_p90) || 0,
    }));
    if (!points.length) return null;
    const xMax = Math.max(1e-9, points[points.length - 1].s);
    const yMax = Math.max(1e-9, ...points.map((p) => p.p90)) * 1.05;
    const x = (v) => pad.left + (Math.min(Math.max(0, Number(v) || 0), xMax) / xMax) * (W - pad.left - pad.right);
    const y = (v) => H - pad.bottom - (Math.max(0, v) / yMax) * (H - pad.top - pad.bottom);
    const path = (key) => points.map((p, i) => `${i ? "L" : "M"}${x(p.s).toFixed(1)},${y(p[key]).toFixed(1)}`).join("");
    const band =
      points.map((p, i) => `${i ? "L" : "M"}${x(p.s).toFixed(1)},${y(p.p90).toFixed(1)}`).join("") +
      [...points].reverse().map((p) => `L${x(p.s).toFixed(1)},${y(p.p10).toFixed(1)}`).join("") +
      "Z";
    const planned = curve.planned_weekly_spend;
    const description =
      `${curve.channel}: ${label} a week against spend a week; today ${amount(curve.current_weekly_spend)}` +
      (planned != null ? `, planned ${amount(planned)}` : "") +
      `, most ever spent ${amount(curve.max_seen)}.`;
    const vertical = (value, cls, attributes) =>
      svg("line", { class: cls, x1: x(value), x2: x(value), y1: pad.top, y2: H - pad.bottom, ...attributes });
    return svg(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, class: "chart budget-curve", role: "img", "aria-label": description },
      svg("title", null, description),
      svg("text", { x: pad.left, y: 14, class: "curve-title" }, clipped(curve.channel, 30)),
      Number(curve.max_seen) < xMax
        ? svg("rect", {
            class: "beyond",
            x: x(curve.max_seen),
            y: pad.top,
            width: Math.max(0, W - pad.right - x(curve.max_seen)),
            height: H - pad.top - pad.bottom,
            fill: COLOURS.beyond,
            "fill-opacity": 0.12,
          })
        : null,
      ticks(yMax, 4).map((v) =>
        svg(
          "g",
          { class: "axis y" },
          svg("line", { class: "grid", x1: pad.left, x2: W - pad.right, y1: y(v), y2: y(v) }),
          svg("text", { x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" }, amount(v)),
        ),
      ),
      ticks(xMax, 4).map((v) =>
        svg("text", { class: "axis x", x: x(v), y: H - 8, "text-anchor": "middle" }, amount(v)),
      ),
      svg("path", { class: "band", d: band }),
      svg("path", { class: "median", d: path("p50") }),
      vertical(curve.current_weekly_spend, "now current"),
      planned != null ? vertical(planned, "planned", { stroke: COLOURS.planned, "stroke-width": 2 }) : null,
    );
  }

  function allocationTable(allocation, result, label) {
    const compare = result.mode === "plan" ? "Today's split" : "Today";
    return table(
      `Spend over ${result.period_weeks} weeks and expected ${label} (80% intervals)`,
      ["Channel", "Spend", compare, "Change", "Expected outcome", "80% interval"],
      allocation.map((a) => [
        el(
          "span",
          null,
          el("strong", { text: a.channel }),
          a.beyond_data ? el("span", { class: "tag beyond", text: " beyond the data" }) : null,
        ),
        amount(a.spend),
        amount(a.current_spend),
        change(a),
        amount(a.outcome_p50),
        interval(a.outcome_p10, a.outcome_p90),
      ]),
      ["", "num", "num", "num", "num", ""],
    );
  }

  function roasTable(effects, label, model) {
    const period = model.first_week ? `, ${model.first_week} to ${model.last_week}` : "";
    return table(
      `Return on ad spend by channel (${label} per unit spent${period})`,
      ["Channel", "ROAS", "80% interval", "Share of media outcome", "Marginal ROAS", "Spend a week now"],
      effects.map((e) => [
        el(
          "span",
          null,
          el("strong", { text: e.channel }),
          e.well_measured ? null : el("span", { class: "tag vague", text: " not pinned down" }),
        ),
        ratio(e.roas),
        `${ratio(e.roas_p10)} to ${ratio(e.roas_p90)}`,
        percent(e.contribution_share),
        ratio(e.marginal_roas),
        amount(e.weekly_spend),
      ]),
      ["", "num", "", "num", "num", "num"],
    );
  }

  function modelLine(model) {
    const state = model.converged ? "sampler converged" : "sampler did not converge";
    const facts =
      `Model: ${model.engine || "marketing-mix model"}, ${numbers.format(model.weeks || 0)} weeks` +
      (model.first_week ? ` (${model.first_week} to ${model.last_week})` : "") +
      `; ${state} (${numbers.format(model.divergences || 0)} divergences, max R-hat ${(Number(model.max_rhat) || 0).toFixed(3)}).`;
    return el("p", { class: model.converged ? "budget-model muted" : "budget-model error", text: facts });
  }
})(window.MarketingAgentPage);
