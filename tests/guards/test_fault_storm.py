"""1,000 requests through a whole `App` while both model servers misbehave.

The billing specialist's model is `resilient([primary, fallback])` over real HTTP: the primary
answers with a seeded mix of 500s, 503s, 429s with Retry-After, hangs past the per-attempt
timeout and malformed JSON; the fallback mostly works. Every request must come back as a `Reply`
(no exception escapes), its `stop_reason` must say what happened, the breaker must open and let
the fallback answer, and each conversation's history must stay linear.
"""

from __future__ import annotations

import asyncio
import random
import traceback
from collections import Counter
from pathlib import Path

from frontdesk import App, Limits, RouterSpecialist, Specialist
from frontdesk.models.base import ModelSettings
from frontdesk.models.openai import OpenAIModel
from frontdesk.models.resilience import BreakerRegistry, CircuitBreaker, resilient
from frontdesk.reply import Reply as AppReply
from frontdesk.routing import RouteDecision, Router
from frontdesk.routing.base import Alternative, RouteContext
from frontdesk.testing import Fault, ModelServer, Reply
from priced import priced_table

CONVERSATIONS = 50
MESSAGES_EACH = 20
PRIMARY_ANSWER = "Your balance is $120.50 (primary)."
FALLBACK_ANSWER = "Your balance is $120.50 (fallback)."
ATTEMPT_TIMEOUT_S = 0.15


class BillingRouter(Router):
    version = "fixed"

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        return RouteDecision(
            category="billing", confidence=1.0,
            alternatives=[Alternative(category="billing", confidence=1.0)],
            action="answer", reason="confident", router_version=self.version,
        )  # fmt: skip


def primary_script(rng: random.Random, n: int) -> list[Reply | Fault]:
    """A seeded mix in which about 55 % of calls fail, in bursts long enough to trip the breaker."""
    kinds: list[Reply | Fault] = []
    while len(kinds) < n:
        burst = rng.random() < 0.25
        for _ in range(rng.randint(4, 8) if burst else 1):
            roll = rng.random()
            if burst or roll < 0.2:
                kinds.append(Fault.status(rng.choice([500, 502, 503])))
            elif roll < 0.3:
                kinds.append(Fault.status(429, retry_after=0.02))
            elif roll < 0.35:
                kinds.append(Fault.hang(2.0))
            elif roll < 0.4:
                kinds.append(Fault.malformed_json())
            else:
                kinds.append(Reply(text=PRIMARY_ANSWER, output_tokens=8))
    return kinds[:n]


def fallback_script(rng: random.Random, n: int) -> list[Reply | Fault]:
    """Mostly answers; now and then a 500 or a hang."""
    script: list[Reply | Fault] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.06:
            script.append(Fault.status(500))
        elif roll < 0.08:
            script.append(Fault.hang(2.0))
        else:
            script.append(Reply(text=FALLBACK_ANSWER, output_tokens=8))
    return script


async def test_a_thousand_requests_under_mixed_faults_all_get_a_truthful_reply(
    tmp_path: Path,
) -> None:
    rng = random.Random(20261124)
    registry = BreakerRegistry(lambda: CircuitBreaker(failures=3, window=5.0, reset_after=0.3))
    with (
        ModelServer(responder=lambda body: Reply(text=PRIMARY_ANSWER)) as primary_server,
        ModelServer(responder=lambda body: Reply(text=FALLBACK_ANSWER)) as fallback_server,
    ):
        primary_server.enqueue(*primary_script(rng, 3000))
        fallback_server.enqueue(*fallback_script(rng, 3000))
        async with (
            OpenAIModel("test-model", base_url=primary_server.base_url) as primary,
            OpenAIModel("test-model", base_url=fallback_server.base_url) as fallback,
        ):
            model = resilient(
                [primary, fallback], attempts=2, initial_delay=0.005, max_delay=0.5,
                breakers=registry,
            )  # fmt: skip
            billing = Specialist(
                name="billing", description="bills and payments",
                instructions="You are the billing desk.", model=model,
                settings=ModelSettings(timeout_s=ATTEMPT_TIMEOUT_S, max_output_tokens=64),
            )  # fmt: skip
            app = App(
                RouterSpecialist(specialists=[billing], router=BillingRouter()),
                name="storm", data_dir=tmp_path, prices=priced_table(),
                limits=Limits(max_steps=4, timeout_s=10.0),
            )  # fmt: skip
            opened: list[str] = []

            async def watch_breaker() -> None:
                while True:
                    for (_, url), state in registry.states().items():
                        if state == "open" and url.startswith(primary_server.url):
                            opened.append(url)
                    await asyncio.sleep(0.01)

            async def conversation(i: int) -> list[AppReply | BaseException]:
                results: list[AppReply | BaseException] = []
                for j in range(MESSAGES_EACH):
                    try:
                        results.append(await app.respond(f"storm-{i}", f"balance please #{j}"))
                    except BaseException as exc:  # what the test exists to catch
                        results.append(exc)
                return results

            async with app:
                watcher = asyncio.create_task(watch_breaker())
                outcomes = await asyncio.gather(*(conversation(i) for i in range(CONVERSATIONS)))
                watcher.cancel()
                histories = [await app.store.history(f"storm-{i}") for i in range(CONVERSATIONS)]

        assert primary_server.errors == []
        assert fallback_server.errors == []

    results = [r for conversation_results in outcomes for r in conversation_results]
    assert len(results) == CONVERSATIONS * MESSAGES_EACH == 1000
    unhandled = [r for r in results if isinstance(r, BaseException)]
    assert unhandled == [], "".join(traceback.format_exception(unhandled[0]))
    replies = [r for r in results if isinstance(r, AppReply)]
    reasons = Counter(r.stop_reason for r in replies)
    answered_by = Counter(r.reply for r in replies if r.stop_reason == "completed")
    print(
        f"\nstop reasons: {dict(reasons)}; completed answers: {dict(answered_by)}; requests: "
        f"primary {len(primary_server.request_log)}, fallback {len(fallback_server.request_log)}"
    )

    # truthful: "completed" means a model's answer, anything else says what failed
    for reply in replies:
        if reply.stop_reason == "completed":
            assert reply.reply in (PRIMARY_ANSWER, FALLBACK_ANSWER)
            assert reply.error is None
        else:
            assert reply.stop_reason == "provider_unavailable", reply
            assert reply.error
            assert reply.reply not in (PRIMARY_ANSWER, FALLBACK_ANSWER)
    assert set(reasons) <= {"completed", "provider_unavailable"}
    # the primary failed often enough to open its breaker, and the fallback then answered
    assert opened
    assert answered_by[FALLBACK_ANSWER] > 100
    assert answered_by[PRIMARY_ANSWER] > 30  # between bursts, half-open probes close it again
    assert reasons["completed"] > 900
    # every conversation kept a linear history: user, assistant, user, assistant...
    for history in histories:
        assert [m.seq for m in history] == list(range(1, 2 * MESSAGES_EACH + 1))
        assert [m.role for m in history] == ["user", "assistant"] * MESSAGES_EACH
