// forecast_sales' card on the chat page: per series, a chart of actual sales, the median forecast and its 80%
// interval, with the totals in words. Text from the server only reaches the page through text nodes.
"use strict";

(({ registerView, ui }) => {
  const { el, svg, card, percent, numbers, decimals } = ui;
  const MAX_CHARTS = 4;

  registerView("forecast_sales", (result) => {
    const series = (result.series || []).filter((s) => (s.points || []).length);
    if (!series.length) return null;
    const unit = { W: "weeks", M: "months", D: "days", Q: "quarters", Y: "years" }[String(result.freq || "").charAt(0)] || "periods";
    const shown = series.slice(0, MAX_CHARTS);
    return card(
      series.length === 1 ? null : `Sales forecasts (${series.length} series)`, // one chart: its caption says it all
      shown.map((s) => seriesFigure(s, result, unit)),
      series.length > shown.length
        ? el("p", { class: "muted", text: `Charts for the first ${shown.length} of ${series.length} series; the answer covers all.` })
        : null,
    );
  });

  function seriesFigure(series, result, unit) {
    const name = series.product_name ? `${series.product_name} (${series.series_id})` : series.series_id;
    const h = series.points.length;
    const facts = [`${numbers.format(series.total_p50)} units over ${h} ${unit}`];
    if (series.total_p10 !== undefined) {
      facts.push(`80% interval ${numbers.format(series.total_p10)}–${numbers.format(series.total_p90)}`);
    }
    if (series.change_vs_last_period !== null && series.change_vs_last_period !== undefined) {
      facts.push(`${percent(series.change_vs_last_period, true)} vs the previous ${h} ${unit}`);
    }
    const history = historyOf(series);
    return el(
      "figure",
      { class: "forecast" },
      el("figcaption", null, el("strong", { text: name }), el("span", { class: "muted", text: ` · ${facts.join(" · ")}` })),
      forecastChart(series, history, name),
      el(
        "div",
        { class: "legend", "aria-hidden": "true" },
        history.length ? el("span", { class: "key history" }, "Actual sales") : null,
        el("span", { class: "key median" }, "Forecast (median)"),
        el("span", { class: "key band" }, "80% interval (p10–p90)"),
      ),
      (series.assumptions || []).length
        ? el("p", { class: "assumptions muted", text: `Assumes ${series.assumptions.join("; ")}.` })
        : null,
    );
  }

  // Actual sales just before the forecast: the series' `history`, a list of {date, quantity}.
  function historyOf(series) {
    return (series.history || [])
      .map((p) => ({ t: dayOf(p.date), v: Number(p.quantity) }))
      .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
  }

  function dayOf(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(text));
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  }

  function niceStep(range, ticks) {
    const rough = range / ticks;
    const power = 10 ** Math.floor(Math.log10(rough || 1));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= rough);
    return step || power * 10;
  }

  function shortDate(t, withYear) {
    const options = { month: "short", day: "numeric", timeZone: "UTC", ...(withYear ? { year: "numeric" } : {}) };
    return new Date(t).toLocaleDateString(undefined, options);
  }

  function forecastChart(series, history, name) {
    // Drawn at the width it will show at, so that labels keep their size on a phone.
    const W = Math.round(Math.max(300, Math.min(760, ui.conversationWidth() - 48)));
    const H = Math.round(Math.max(190, Math.min(240, W * 0.36)));
    const pad = { top: 14, right: 22, bottom: 34, left: 52 };
    const points = series.points
      .map((p) => ({ t: dayOf(p.date), p10: +p.p10, p50: +p.p50, p90: +p.p90, date: p.date }))
      .filter((p) => Number.isFinite(p.t));
    const times = [...history.map((p) => p.t), ...points.map((p) => p.t)];
    const t0 = Math.min(...times);
    const t1 = Math.max(...times);
    const top = Math.max(1, ...points.map((p) => p.p90), ...history.map((p) => p.v));
    const step = niceStep(top, 4);
    const yMax = Math.ceil(top / step) * step;
    const x = (t) => pad.left + ((t - t0) / (t1 - t0 || 1)) * (W - pad.left - pad.right);
    const y = (v) => H - pad.bottom - (Math.max(0, v) / yMax) * (H - pad.top - pad.bottom);
    const line = (list, key) => list.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join("");
    const band =
      points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.p90).toFixed(1)}`).join("") +
      [...points].reverse().map((p) => `L${x(p.t).toFixed(1)},${y(p.p10).toFixed(1)}`).join("") +
      "Z";
    const last = points[points.length - 1];
    const label = `Forecast for ${name}: median ${numbers.format(points[0].p50)} in the first period to ${numbers.format(last.p50)} in the last (${shortDate(points[0].t, true)} to ${shortDate(last.t, true)}).`;
    const chart = svg(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet" },
      svg("title", null, label),
      yAxis(yMax, step, y, pad, W),
      xAxis(times, x, H, pad, W),
      history.length
        ? svg("line", { class: "now", x1: x(points[0].t), x2: x(points[0].t), y1: pad.top, y2: H - pad.bottom })
        : null,
      svg("path", { class: "band", d: band }),
      history.length ? svg("path", { class: "history", d: line(history, "v") }) : null,
      svg("path", { class: "median", d: line(points, "p50") }),
      points.map((p) =>
        svg(
          "circle",
          { class: "dot", cx: x(p.t).toFixed(1), cy: y(p.p50).toFixed(1), r: 3 },
          svg(
            "title",
            null,
            `${shortDate(p.t, true)}: ${decimals.format(p.p50)} units (80% interval ${decimals.format(p.p10)}–${decimals.format(p.p90)})`,
          ),
        ),
      ),
    );
    return el("div", { class: "chart-wrap" }, chart);
  }

  function yAxis(yMax, step, y, pad, W) {
    const group = svg("g", { class: "axis y" });
    for (let v = 0; v <= yMax + step / 2; v += step) {
      group.append(
        svg("line", { class: "grid", x1: pad.left, x2: W - pad.right, y1: y(v), y2: y(v) }),
        svg("text", { x: pad.left - 8, y: y(v) + 4, "text-anchor": "end" }, numbers.format(v)),
      );
    }
    group.append(
      svg("text", { class: "axis-title", transform: `translate(12 ${pad.top + 70}) rotate(-90)`, "text-anchor": "middle" }, "Units"),
    );
    return group;
  }

  function xAxis(times, x, H, pad, W) {
    const group = svg("g", { class: "axis x" });
    const unique = [...new Set(times)].sort((a, b) => a - b);
    const every = Math.max(1, Math.ceil(unique.length / Math.max(2, Math.floor(W / 100))));
    const picked = unique.filter((_, i) => i % every === 0);
    if ((unique.length - 1) % every >= every * 0.75) picked.push(unique[unique.length - 1]);
    let lastYear = null;
    for (const t of picked) {
      const year = new Date(t).getUTCFullYear();
      group.append(
        svg("line", { class: "tick", x1: x(t), x2: x(t), y1: H - pad.bottom, y2: H - pad.bottom + 4 }),
        svg("text", { x: x(t), y: H - pad.bottom + 18, "text-anchor": "middle" }, shortDate(t, year !== lastYear)),
      );
      lastYear = year;
    }
    return group;
  }
})(window.MarketingAgentPage);
