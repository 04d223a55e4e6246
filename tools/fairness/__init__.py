"""audit_fairness, as one unit: customer attributes for audits (`attributes`), the audit's statistics on
fairlearn (`audit`), the tool (`tool`), how results are shown (`present`), how the offline router fills its
arguments (`plan`), the ingest-customers and audit commands (`cli`) and its card on the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.fairness.plan import CUES, EXEMPLARS
from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.fairness.attributes import ingest_customers
    from tools.fairness.tool import AuditFairnessInput, AuditFairnessResult, FairnessFinding, audit_fairness

UNIT = ToolUnit.in_package(
    __name__,
    "audit_fairness",
    label="the fairness audit",
    title="Audit fairness",
    brief="whether a targeting list (a segment, an offer's customers, a product's audience) selects customer groups "
    "(age, gender, income, region) at similar rates: the four-fifths rule with intervals",
    audits_at="tools.fairness.tool:audit_line",
    exemplars=EXEMPLARS,
    cues=CUES,
)

__getattr__ = lazy_exports(
    __name__,
    {
        "AuditFairnessInput": "tools.fairness.tool",
        "AuditFairnessResult": "tools.fairness.tool",
        "FairnessFinding": "tools.fairness.tool",
        "audit_fairness": "tools.fairness.tool",
        "ingest_customers": "tools.fairness.attributes",
    },
)

__all__ = [
    "UNIT",
    "AuditFairnessInput",
    "AuditFairnessResult",
    "FairnessFinding",
    "audit_fairness",
    "ingest_customers",
]
