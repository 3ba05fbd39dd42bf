"""Debates: analysts answer the same question concurrently (wall time ≈ the slowest), and a
synthesis step scores how far they agree; below the agreement threshold the options go to a
human with each analyst's reasoning. A quorum rule (k of n) drops an analyst that fails.

    python examples/debate.py

Runs offline. Part 1 is a toy triage debate with three scripted analysts (one of which times
out); part 2 is the medical differential debate of `analyze_report(debate=True)` on a clear
case and an ambiguous one (a demonstrator rule table, not clinical advice).
"""

from __future__ import annotations

import asyncio
import time

from frontdesk import Analyst, Candidate, Debate, Limits, StepContext, run_debate
from frontdesk.medical.pipeline import analyze_report


def analyst(name: str, seconds: float, ranking: list[str]) -> Analyst[str]:
    async def run(message: str, ctx: StepContext) -> list[Candidate]:
        await asyncio.sleep(seconds)  # a model call would be here (ctx.model)
        return [
            Candidate(
                label=label, score=1 - i * 0.2, reasoning=f"{name}: '{message}' reads as {label}"
            )
            for i, label in enumerate(ranking)
        ]

    return Analyst(name=name, run=run)


CLEAR = """\
Labs: HbA1c 8.4 %, fasting glucose 182 mg/dL (H), creatinine 0.9 mg/dL.
Assessment: type 2 diabetes mellitus, poorly controlled. Continue metformin 1000 mg twice daily.
"""

AMBIGUOUS = """\
Labs: creatinine 1.9 mg/dL (H), BUN 31 mg/dL (H), eGFR 36 mL/min/1.73m2, hemoglobin 10.4 g/dL (L).
History: hypertension on amlodipine 10 mg daily. No prior renal function available.
"""


async def main() -> None:
    print("1. a toy triage debate: 3 analysts of 0.3, 0.5 and 0.8 s; one more that hangs")
    debate = Debate(
        analysts=[
            analyst("fast", 0.3, ["billing", "insurance"]),
            analyst("careful", 0.5, ["billing", "insurance"]),
            analyst("slow", 0.8, ["billing", "insurance", "refund"]),
            Analyst(name="hangs", run=analyst("hangs", 60, ["legal"]).run,
                    limits=Limits(timeout_s=0.9)),
        ],
        quorum=3,
    )  # fmt: skip
    started = time.perf_counter()
    result = await run_debate(debate, "I was charged twice")
    print(f"wall time {time.perf_counter() - started:.2f} s (the sum would be 1.6 s + 0.9 s)")
    print(f"agreement {result.agreement:.2f}, confidence {result.confidence}, "
          f"requires_human_review={result.requires_human_review}")  # fmt: skip
    print(f"decision: {result.decision.label if result.decision else None}")
    print(f"dropped: {[(f.analyst, f.stop_reason) for f in result.failures]}")

    for title, text in (("a clear case", CLEAR), ("an ambiguous case", AMBIGUOUS)):
        print(f"\n2. the medical differential debate on {title}")
        report = await analyze_report(text, debate=True)
        verdict = report.to_json()["debate"]
        print(f"agreement {verdict['agreement']:.2f}, "
              f"requires_human_review={verdict['requires_human_review']}")  # fmt: skip
        for item in verdict["analyses"]:
            ranked = ", ".join(c["code"] for c in item.get("differential", []))
            print(f"  {item['analyst']}: {ranked}")
        if verdict["requires_human_review"]:
            for option in verdict["options"][:3]:
                print(f"  option {option['code']} {option['label']} (support "
                      f"{option['support']:.2f})")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
