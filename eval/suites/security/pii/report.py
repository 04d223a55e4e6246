"""4. The report: detector tables, leaks per sink, what each flow ran."""

from __future__ import annotations

from collections import Counter
from typing import Any

from eval.pii_cases import ENTITY, KINDS, LEAK_KINDS
from eval.report import SuiteReport, Table
from eval.suites.security.pii.detector import TARGET_PRECISION, TARGET_RECALL, DetectorScore
from eval.suites.security.pii.sinks import SINKS, Findings, allowed


def fill_report(report: SuiteReport, detectors: list[DetectorScore], findings: Findings) -> None:
    _detector_tables(report, detectors)
    _leak_table(report, findings)
    _flow_table(report, findings)
    report.notes += [
        "Policy: personal data (emails, phones, cards, street addresses, CRM names) may appear in no sink; review "
        "canaries (review text) only where the marketer reads or the store keeps reviews (chromadb, tool results, "
        "answers and citations, API responses, CLI output); customer-id canaries (the CRM's pseudonymous keys) "
        "wherever customers are listed or kept (tool results, answers, API responses, CLI output, sessions, audit "
        "call arguments, the customer model), never in remote prompts, logs or ad copy.",
        "Logs are every record at INFO and above from any logger plus stderr, while the flows ran. DEBUG logs of "
        "HTTP clients (openai, httpx) print request bodies, prompts included: never run them at DEBUG in production.",
        "Names and free-form places in free text need an NLP model (none is installable here): names are measured "
        "only as CRM columns, which must never be read; a name typed into a request is not detected.",
        "Street addresses: a conservative pattern recogniser of ours (Presidio has none without an NLP model). "
        "Phones in national formats are read for the regions in tools.pii.PHONE_REGIONS; elsewhere only +CC forms.",
    ]
    for sink, examples in findings.examples.items():
        report.notes.append(f"Leaks in {sink} (first {len(examples)}): " + "; ".join(examples))
    for error in findings.errors[:10]:
        report.notes.append(f"Flow problem: {error}")


def _detector_tables(report: SuiteReport, detectors: list[DetectorScore]) -> None:
    rows: list[list[Any]] = []
    for d in detectors:
        for kind in KINDS:
            entity = ENTITY[kind]
            rows.append(
                [
                    d.name,
                    kind,
                    d.seeded[kind],
                    d.recall(kind),
                    d.redaction_rate(kind),
                    d.false_spans[entity],
                    d.precision(entity),
                ]
            )
        rows.append([d.name, "all kinds, clean texts", d.clean_texts, None, None, d.clean_flagged, None])
        if d.real_texts:
            flagged = ", ".join(f"{e} {n}" for e, n in d.real_flagged.most_common()) or 0
            rows.append([d.name, "real reviews (texts flagged)", d.real_texts, None, None, flagged, None])
    report.tables.append(
        Table(
            title="Detector: recall on seeded records, false positives on clean text",
            columns=[
                "detector",
                "kind",
                "seeded values",
                "recall",
                "redacted (any tag)",
                "false positives",
                "precision",
            ],
            rows=rows,
            note="recall: the right entity covers the whole value; redacted: any entity covers it. False positives: "
            "findings over no seeded value (seeded records, incl. canaries and order numbers) and every finding on "
            "clean text (generated marketing/order text, the demo's reviews and catalogue).",
        )
    )
    mine = detectors[-1]
    report.tables.append(
        Table(
            title="Detector (ours): recall by format",
            columns=["kind", "format", "seeded", "found", "recall"],
            rows=_format_rows(mine),
        )
    )
    for kind in ("email", "phone", "card"):
        report.target(f"detector recall: {kind}", mine.recall(kind), at_least=TARGET_RECALL)
        report.target(f"detector precision: {kind}", mine.precision(ENTITY[kind]), at_least=TARGET_PRECISION)
    speeds = ", ".join(f"{d.name} {d.ms_per_text:.2f}" for d in detectors)
    report.notes.append(
        f"Detector speed, ms per text (ours skips the analyzer for text its cheap gate rules out): {speeds}."
    )
    if mine.misses:
        report.notes.append("Detector misses (first 12): " + "; ".join(mine.misses[:12]))
    if mine.real_examples:
        report.notes.append("Findings in real reviews (ours, first 12): " + "; ".join(mine.real_examples))
    if mine.false_examples:
        report.notes.append("Detector false positives (first 12): " + "; ".join(mine.false_examples[:12]))


def _format_rows(score: DetectorScore) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for kind, counts in score.by_format.items():
        labels = sorted({k.rsplit(" ", 1)[0] for k in counts})
        for label in labels:
            seeded, found = counts[f"{label} seeded"], counts[f"{label} found"]
            rows.append([kind, label, seeded, found, found / seeded if seeded else None])
    return rows


def _leak_table(report: SuiteReport, findings: Findings) -> None:
    rows: list[list[Any]] = []
    for sink in SINKS:
        counts = findings.leaks.get(sink, Counter())
        cells: list[Any] = []
        for kind in LEAK_KINDS:
            n = counts[kind]
            cells.append(f"{n} (allowed)" if n and allowed(sink, kind) else n)
        rows.append([sink, findings.scanned[sink], *cells, findings.disallowed(sink)])
        report.target(f"leaks: {sink}", float(findings.disallowed(sink)), at_most=0)
    report.tables.append(
        Table(
            title="Seeded values found per sink",
            columns=["sink", "characters scanned", *LEAK_KINDS, "leaks (not allowed)"],
            rows=rows,
            note="Counts of seeded values found again; '(allowed)' marks canaries the policy lets appear there.",
        )
    )


def _flow_table(report: SuiteReport, findings: Findings) -> None:
    rows: list[list[Any]] = [[flow, n] for flow, n in findings.flows.items()]
    rows += [
        ["requests recorded at the 'remote' OpenAI-compatible endpoint", len(findings.sinks.get("remote prompts", []))],
        ["ad-copy candidates echoing seeded personal data (from the scripted model)", findings.pii_offered],
        [
            "... rejected by the personal_data rule (others were first cut to length or dropped by other rules)",
            findings.pii_rejected,
        ],
    ]
    report.tables.append(Table(title="Flows exercised", columns=["flow", "count"], rows=rows))
