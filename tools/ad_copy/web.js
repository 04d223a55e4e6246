// generate_ad_copy's card on the chat page: each variant with its fields, the room each uses of its channel's
// limit (the limits come with the result, from the one table the tool checks them against), its brand-rule
// checks, and a copy button. Text from the server only reaches the page through text nodes.
"use strict";

(({ registerView, ui }) => {
  const { el, card, humanise } = ui;

  registerView("generate_ad_copy", (result) => {
    const variants = result.variants || [];
    if (!variants.length) return null;
    const channel = humanise(result.channel || "ad");
    return card(
      `${channel} copy for ${result.product_name || result.product_id || "the product"}`,
      el(
        "div",
        { class: "variants" },
        variants.map((v, i) => variantCard(v, i + 1, result.limits || {})),
      ),
    );
  });

  function variantCard(variant, number, limits) {
    const report = variant.compliance || {};
    const issues = [...(report.failures || []), ...(report.warnings || [])];
    const fields = Object.entries(variant.fields || {});
    const passed = report.passed !== false;
    return el(
      "article",
      { class: "variant", "aria-label": `Variant ${number}` },
      el(
        "header",
        null,
        el("strong", { text: `Variant ${number}` }),
        variant.variant_id ? el("code", { class: "variant-id", title: "Use this id as variant_id in the test's results", text: variant.variant_id }) : null,
        el("span", { class: "pill score", title: "Grounding, use of space, key message, clean endings, diversity", text: `Score ${Math.round((variant.score || 0) * 100)}/100` }),
        el("span", {
          class: `pill ${passed ? "pass" : "fail"}`,
          text: passed ? `✓ Passes ${report.rules_checked || ""} brand rules`.replace("  ", " ") : `✕ ${issues.length} issue${issues.length === 1 ? "" : "s"}`,
        }),
      ),
      el(
        "dl",
        { class: "fields" },
        fields.map(([key, value]) => [el("dt", null, humanise(key), fieldRoom(value, limits[key])), el("dd", { text: value })]),
      ),
      issues.length
        ? el(
            "ul",
            { class: "issues" },
            issues.map((c) =>
              el("li", { class: c.hard === false ? "soft" : "hard", text: [humanise(c.rule), c.field && `(${humanise(c.field)})`, c.detail && `: ${c.detail}`].filter(Boolean).join(" ") }),
            ),
          )
        : null,
      el("button", {
        type: "button",
        class: "button small copy",
        text: "Copy",
        "aria-label": `Copy variant ${number}`,
        onclick: (event) => copyVariant(event.currentTarget, fields),
      }),
    );
  }

  function fieldRoom(value, limit) {
    if (!limit) return null;
    const used = [...String(value)].length;
    return el("span", { class: `room${used > limit ? " over" : ""}`, text: `${used}/${limit}` });
  }

  async function copyVariant(button, fields) {
    const text = fields.length === 1 ? fields[0][1] : fields.map(([k, v]) => `${humanise(k)}: ${v}`).join("\n");
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch {
      ok = false;
    }
    if (!ok) ok = copyWithTextarea(text);
    button.textContent = ok ? "Copied ✓" : "Copy failed: select the text";
    button.dataset.copied = ok ? "true" : "false";
    setTimeout(() => {
      button.textContent = "Copy";
    }, 1800);
  }

  function copyWithTextarea(text) {
    const area = el("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
})(window.MarketingAgentPage);
