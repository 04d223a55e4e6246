"""2. The flows: seeded records sent through ingest, search, segments, ad copy, the agent (offline and on the LLM
router), the REST API and the CLI, recording what comes out."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from eval.fakes.openai_server import openai_env
from eval.fakes.textgen import ScriptedGenerator
from eval.pii_cases import Needles, Seeded
from eval.suites.security.pii.sinks import Findings, scan_sinks
from eval.suites.security.pii.stand_ins import REMOTE_KEY, REMOTE_MODEL, Capture, LeakyReplies, Recorder


def exercise(workspace: Path, records: list[Seeded], inputs: Path, *, asks: int = 6, seconds: float = 4.0) -> Findings:
    """Send `records` through every flow on `workspace`, then scan every sink. Needs no network but loopback."""
    findings = Findings()
    inputs.mkdir(parents=True, exist_ok=True)
    replies = LeakyReplies(records)
    model = ScriptedGenerator(replies, name="scripted", model="scripted-pii")
    with Capture() as capture, Recorder(model) as recorder, openai_env(recorder.base_url, REMOTE_KEY, REMOTE_MODEL):
        flows = Flows(workspace, records, inputs, findings, model)
        flows.run_all(asks, seconds)
    findings.sinks["remote prompts"] = list(recorder.bodies)
    findings.sinks["logs and stderr"] = [capture.text()]
    findings.pii_offered = replies.pii_offered
    scan_sinks(workspace, Needles(records), findings)
    return findings


class Flows:
    """Each flow a store's data can take, recording what comes out in `findings`."""

    def __init__(self, workspace: Path, records: list[Seeded], inputs: Path, findings: Findings, model: Any) -> None:
        self.workspace, self.records, self.inputs, self.findings, self.model = (
            workspace,
            records,
            inputs,
            findings,
            model,
        )
        self.products = sorted({r.product_id for r in records})

    def run_all(self, asks: int, seconds: float) -> None:
        from agent.core import MarketingAgent
        from agent.openai_server import serve_app
        from agent.server import create_app

        offline = MarketingAgent.open(self.workspace, llm="local", generator=self.model)
        online = MarketingAgent.open(self.workspace, llm="openai")
        thirds = _split(self.records, 3)
        self.ingest_cli(thirds[0])
        server = serve_app(create_app(self.workspace, keys=False, agent=online))
        try:
            import httpx

            with httpx.Client(base_url=server.url, timeout=180.0) as client:
                self.ingest_rest(client, thirds[1])
                self.ingest_upload(client, thirds[2])
                self.search()
                self.segments(seconds)
                self.ad_copy()
                self.agent(offline, "offline", asks)
                self.agent(online, "LLM router", asks)
                self.api(client, asks)
        finally:
            server.stop()

    # -- ingest --

    def ingest_cli(self, records: list[Seeded]) -> None:
        from typer.testing import CliRunner

        from agent.cli import app

        path = self.inputs / "reviews.csv"
        pd.DataFrame([r.review_row() for r in records]).to_csv(path, index=False)
        result = CliRunner().invoke(app, ["ingest-reviews", str(path), "--workspace", str(self.workspace), "--json"])
        self.findings.add("CLI output", result.output)
        self._check(result.exit_code == 0, f"CLI ingest failed: {result.output[-500:]}")
        self.findings.flows["reviews ingested from a file (CLI)"] += len(records)

    def ingest_rest(self, client: Any, records: list[Seeded]) -> None:
        rows = [r.review_row() for r in records]
        response = client.post("/v1/reviews", json={"rows": rows}, headers={"Idempotency-Key": "pii-rows-1"})
        self._response(response, "REST ingest")
        self.findings.flows["reviews ingested as REST rows"] += len(rows)
        bad = dict(rows[0], review_id="pii-bad-1", rating=f"call {self.records[0].phone}", date=self.records[0].email)
        good = dict(rows[-1], review_id="pii-good-1")
        response = client.post(
            "/v1/reviews",
            json={"rows": [bad, good], "skip_invalid": True},
            headers={"Idempotency-Key": "pii-rows-2"},
        )
        self._response(response, "REST ingest with a bad row")

    def ingest_upload(self, client: Any, records: list[Seeded]) -> None:
        path = self.inputs / "upload.jsonl"
        path.write_text("".join(json.dumps(r.review_row()) + "\n" for r in records))
        with path.open("rb") as handle:
            response = client.post("/v1/reviews/upload", files={"file": ("reviews.jsonl", handle)})
        self._response(response, "REST upload")
        job = response.json().get("id")
        deadline = time.monotonic() + 300
        while job and time.monotonic() < deadline:
            polled = client.get(f"/v1/jobs/{job}")
            if polled.json().get("status") in ("succeeded", "failed", "interrupted"):
                self._response(polled, "job poll")
                break
            time.sleep(0.3)
        self.findings.flows["reviews ingested as a REST upload (job)"] += len(records)

    # -- search --

    def search(self) -> None:
        from tools.reviews import review_insight, search_reviews

        queries = ("email me about the order", "charged twice on my card", "send the replacement", "soft fabric")
        for pid in self.products:
            for query in queries:
                result = search_reviews(query=query, product_ids=[pid], k=10, insight=True, workspace=self.workspace)
                self.findings.add("tool results", result.model_dump(mode="json"))
                self.findings.flows["searches"] += 1
            insight = review_insight(product_ids=[pid], workspace=self.workspace)
            self.findings.add("tool results", insight.model_dump(mode="json"))
            self.findings.flows["review insights"] += 1

    # -- segments --

    def segments(self, seconds: float) -> None:
        from tools.segments import segment_customers, train_segmenter

        path = self.inputs / "transactions.csv"
        _transactions_with_personal_columns(self.workspace, self.records).to_csv(path, index=False)
        train_segmenter(path, max_seconds=seconds, workspace=self.workspace)
        self.findings.flows["customer model trained on a file with personal columns"] += 1
        queries = (
            segment_customers(filter="at_risk", workspace=self.workspace),
            segment_customers(filter="best", workspace=self.workspace),
            segment_customers(customer_id=self.records[0].customer_id, workspace=self.workspace),
        )
        for result in queries:
            self.findings.add("tool results", result.model_dump(mode="json"))
            self.findings.flows["segment queries"] += 1

    # -- ad copy --

    def ad_copy(self) -> None:
        from local_models.textgen.openai_backend import OpenAIGenerator
        from tools.ad_copy import generate_ad_copy
        from tools.ad_copy.text import Channel

        remote = OpenAIGenerator(api_key=REMOTE_KEY, base_url=os.environ["OPENAI_BASE_URL"], model=REMOTE_MODEL)
        key_message = f"Call {self.records[1].phone} or email {self.records[1].email} for 20% off"
        plans: list[tuple[str, Channel, Any, str | None]] = [
            (p, "google_search", self.model, None) for p in self.products
        ]
        plans += [(self.products[0], "sms", remote, key_message), (self.products[-1], "email", remote, None)]
        for pid, channel, generator, message in plans:
            result = generate_ad_copy(
                product=pid, channel=channel, key_message=message, generator=generator, workspace=self.workspace
            )
            self._ad_copy_result(result.model_dump(mode="json"))
            self.findings.flows[f"ad copy ({generator.name} backend)"] += 1

    def _ad_copy_result(self, result: dict[str, Any]) -> None:
        for variant in result.get("variants", []):
            self.findings.add("ad copy", variant.get("fields", {}))
        self.findings.add("tool results", result)
        self.findings.pii_rejected += int(result.get("rejected", {}).get("personal_data", 0))

    # -- the agent --

    def agent(self, agent: Any, label: str, count: int) -> None:
        for i, message in enumerate(_messages(self.records, self.products, count)):
            response = agent.ask(message, session_id=f"pii-{label.split(maxsplit=1)[0]}-{i // 2}")
            self._agent_response(response.model_dump(mode="json"))
            self.findings.flows[f"agent requests with personal data ({label})"] += 1

    def _agent_response(self, response: dict[str, Any]) -> None:
        self.findings.add(
            "answers and citations", [response.get("answer"), response.get("citations"), response.get("warnings")]
        )
        for call in response.get("tool_calls", []):
            result = call.get("result") or {}
            if call.get("name") == "generate_ad_copy" and call.get("status") == "ok":
                self._ad_copy_result(result)
            else:
                self.findings.add("tool results", result)

    # -- the REST API --

    def api(self, client: Any, count: int) -> None:
        for i, message in enumerate(_messages(self.records[3:], self.products, count)):
            response = client.post("/v1/ask", json={"message": message, "session_id": f"pii-api-{i}"})
            self._response(response, "/v1/ask")
            with client.stream("POST", "/v1/ask/stream", json={"message": message}) as streamed:
                self.findings.add("API responses", "".join(streamed.iter_text()))
            self.findings.flows["API requests with personal data (/v1/ask, /v1/ask/stream)"] += 2
        pid, record = self.products[0], self.records[2]
        tools = [
            ("search_reviews", {"query": "email me about the order", "product_ids": [pid], "insight": True}),
            ("segment_customers", {"filter": "best"}),
            ("generate_ad_copy", {"product": pid, "channel": "sms", "key_message": f"Text {record.phone} for 10% off"}),
        ]
        for name, body in tools:
            response = client.post(f"/v1/tools/{name}", json=body)
            self._response(response, f"/v1/tools/{name}")
            if name == "generate_ad_copy" and response.status_code == 200:
                for variant in response.json().get("variants", []):
                    self.findings.add("ad copy", variant.get("fields", {}))
                self.findings.pii_rejected += int(response.json().get("rejected", {}).get("personal_data", 0))
            self.findings.flows["API tool calls"] += 1
        for record in self.records[:5]:
            self._response(client.get(f"/v1/reviews/{record.review_row()['review_id']}"), "/v1/reviews/{id}")
            self.findings.flows["API review lookups"] += 1

    def _response(self, response: Any, what: str) -> None:
        self.findings.add("API responses", response.text)
        self._check(response.status_code < 300, f"{what}: HTTP {response.status_code} {response.text[:300]}")

    def _check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.findings.errors.append(problem)


def _split(items: list[Seeded], parts: int) -> list[list[Seeded]]:
    size = -(-len(items) // parts)
    return [items[i * size : (i + 1) * size] for i in range(parts)]


def _messages(records: list[Seeded], products: list[str], count: int) -> list[str]:
    """Requests that carry personal data, as a marketer pasting from the CRM would write them."""
    templates = (
        "What do customers say about product {pid}? Email the summary to {email} or call {phone}.",
        "And which reviews mention delivery? My number is {phone}, card {card}.",
        "Write google search ad copy for product {pid}; our customer at {address} loved it, card {card}.",
        "Which customers are at risk? Send the list to {email}.",
        "Look up customer {customer_id}, phone {phone}.",
        "Find reviews of product {pid} about quality, reply to {email}, ship samples to {address}.",
    )
    out = []
    for i in range(count):
        r = records[i % len(records)]
        out.append(
            templates[i % len(templates)].format(
                pid=products[i % len(products)],
                email=r.email,
                phone=r.phone,
                card=r.card,
                address=r.address,
                customer_id=r.customer_id,
            )
        )
    return out


def _transactions_with_personal_columns(workspace: Path, records: list[Seeded]) -> pd.DataFrame:
    """The demo's transactions, its customers renamed to the seeded canary ids, with personal columns added (and
    a free-text notes column full of personal data, under a header that does not say so)."""
    frame = pd.read_csv(workspace / "data" / "transactions.csv", dtype={"customer_id": str, "product_id": str})
    customers = sorted(frame["customer_id"].unique())
    by_customer = {c: records[i] for i, c in enumerate(customers[: len(records)])}
    frame = frame[frame["customer_id"].isin(by_customer)].copy()
    seeded = frame["customer_id"].map(by_customer)
    frame["customer_id"] = [r.customer_id for r in seeded]
    frame["full_name"] = [r.name for r in seeded]
    frame["email"] = [r.email for r in seeded]
    frame["phone"] = [r.phone for r in seeded]
    frame["billing_address"] = [r.address for r in seeded]
    frame["card_number"] = [r.card for r in seeded]
    frame["notes"] = [r.note for r in seeded]
    return frame
