"""The escalation lifecycle on the clinic app: a person asked for → a ticket with its handoff
package → claim → operator reply → the user's messages go to the operator → resolve and hand
back → the bot answers again, with the history intact."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk.errors import EscalationConflict, InvalidInput, NotFound
from frontdesk.handoff import RECEIPT_CLAIMED, RECEIPT_OPEN, STILL_WAITING
from frontdesk.runtime import App
from frontdesk.store import ADMIN_OPERATOR, Escalation, SlaPolicy

from .conftest import Recorder, toy_app

PACKAGE_KEYS = {
    "history", "classification", "confidence", "alternatives", "attempts",
    "suggested_actions", "priority", "sla_deadline", "reason", "reason_detail", "trace_id",
    "safety",
}  # fmt: skip


async def test_person_request_to_hand_back_on_the_clinic(clinic: Callable[[], App]) -> None:
    async with clinic() as app:
        before = time.time()
        asked = await app.respond("conv-e2e", "I want to talk to a real person")
        assert (asked.action, asked.stop_reason) == ("escalate", "escalated")
        assert asked.escalation_id is not None
        ticket = await app.store.get_escalation(asked.escalation_id)
        assert ticket is not None
        assert (ticket.status, ticket.reason, ticket.priority) == ("open", "person_requested", 2)
        assert before + 239 * 60 < ticket.sla_deadline < time.time() + 241 * 60
        package = ticket.package
        assert set(package) == PACKAGE_KEYS
        assert [m["text"] for m in package["history"]] == ["I want to talk to a real person"]
        assert package["classification"]["confidence"] == package["confidence"] == ticket.confidence
        assert {"category", "confidence"} <= set(package["alternatives"][0])
        assert package["suggested_actions"]
        assert "asked for a person" in package["reason_detail"]
        assert (package["priority"], package["sla_deadline"]) == (2, ticket.sla_deadline)

        claimed = await app.claim(ticket.id, "alice")
        assert (claimed.status, claimed.claimed_by) == ("claimed", "alice")
        hello = await app.operator_reply(ticket.id, "alice", "Hi, Alice here. How can I help?")
        assert (hello.role, hello.agent) == ("operator", "alice")

        # while a person has the conversation, the bot stays out of it
        waiting = await app.respond("conv-e2e", "I need to move my appointment to Friday")
        assert (waiting.action, waiting.agent, waiting.stop_reason) == (
            "escalate", "human", "escalated",
        )  # fmt: skip
        assert (waiting.escalation_id, waiting.reply) == (ticket.id, RECEIPT_CLAIMED)
        assert waiting.cost_usd == 0.0
        await app.operator_reply(ticket.id, "alice", "Done: Friday at 10:00 with Dr. Patel.")

        resolved = await app.resolve(ticket.id, "alice", resume_bot=True)
        assert (resolved.status, resolved.resume_bot) == ("resolved", True)
        assert await app.store.active_escalation("conv-e2e") is None

        back = await app.respond("conv-e2e", "what are your opening hours?")
        assert back.action == "answer"
        assert back.agent not in ("human", "escalation")
        assert back.escalation_id is None
        history = await app.history("conv-e2e")
        tickets = await app.store.list_escalations(conversation_id="conv-e2e")
    assert [t.id for t in tickets] == [ticket.id]
    assert [(m.role, m.agent) for m in history] == [
        ("user", None),
        ("assistant", "escalation"),
        ("operator", "alice"),
        ("user", None),
        ("operator", "alice"),
        ("system", "escalation"),
        ("user", None),
        ("assistant", back.agent),
    ]
    assert history[3].meta["escalation_id"] == ticket.id
    assert history[5].text == "Resolved by alice; the assistant answers from here."


async def test_after_hand_back_the_bot_sees_the_operators_messages(
    tmp_path: Path, store_url: str
) -> None:
    # on both backends: the ticket, the messages and the paused graph's checkpoint
    recorder = Recorder()
    async with toy_app(tmp_path, billing=recorder, store=store_url) as app:
        first = await app.respond("c1", "can I talk to a real person")
        assert first.escalation_id is not None
        await app.claim(first.escalation_id, "bob")
        await app.operator_reply(first.escalation_id, "bob", "Your refund was sent today.")
        await app.respond("c1", "thanks, how long does it take?")
        await app.resolve(first.escalation_id, "bob", resume_bot=True)
        answer = await app.respond("c1", "my bill")
        decisions = await app.store.decisions("c1")
        tickets = await app.store.list_escalations(conversation_id="c1")
    assert [(t.status, t.resume_bot) for t in tickets] == [("resolved", True)]
    assert answer.agent == "billing"
    seen = recorder.texts()
    for text in ("can I talk to a real person", "Your refund was sent today.",
                 "thanks, how long does it take?", "my bill"):  # fmt: skip
        assert any(text in s for s in seen), (text, seen)
    assert [d.action for d in decisions] == ["escalate", "answer"]  # the resume routed nothing


async def test_resolving_without_hand_back_keeps_the_conversation_with_people(
    tmp_path: Path,
) -> None:
    async with toy_app(tmp_path) as app:
        first = await app.respond("c1", "I am suing you")
        assert first.escalation_id is not None
        await app.claim(first.escalation_id, "carol")
        await app.resolve(first.escalation_id, "carol", resume_bot=False)
        again = await app.respond("c1", "my bill")
        tickets = await app.store.list_escalations(conversation_id="c1")
        follow_up = await app.store.get_escalation(again.escalation_id or "")
        history = await app.history("c1")
    assert (again.action, again.agent, again.reply) == ("escalate", "human", RECEIPT_OPEN)
    assert len(tickets) == 2
    assert follow_up is not None
    assert (follow_up.reason, follow_up.status) == ("follow_up", "open")
    assert follow_up.category == "legal"
    assert [m["text"] for m in follow_up.package["history"]][-1] == "my bill"
    assert "carol" in follow_up.package["reason_detail"]
    assert history[-2].text == "Resolved by carol; the conversation stays with our team."


async def test_the_hand_back_resets_the_clarification_count(tmp_path: Path, store_url: str) -> None:
    # three confidently off-topic messages escalate (repeated_clarification); after the hand-back
    # the count starts again, so the next off-topic message is clarified, not escalated
    async with toy_app(tmp_path, store=store_url) as app:
        actions = [(await app.respond("c1", t)).action for t in ("off topic", "weather", "jokes")]
        (ticket,) = await app.store.list_escalations(conversation_id="c1")
        await app.claim(ticket.id, "dave")
        await app.resolve(ticket.id, "dave", resume_bot=True)
        after = await app.respond("c1", "weather")
    assert actions == ["clarify", "clarify", "escalate"]
    assert ticket.reason == "repeated_clarification"
    assert after.action == "clarify"


async def test_a_resolution_made_elsewhere_is_picked_up_by_the_next_message(
    tmp_path: Path,
) -> None:
    # another process (or an admin through the store) resolved the ticket without resuming the
    # graph: the next message resumes it first
    async with toy_app(tmp_path) as app:
        for text in ("off topic", "weather", "jokes"):
            await app.respond("c1", text)
        (ticket,) = await app.store.list_escalations(conversation_id="c1")
        await app.store.resolve_escalation(ticket.id, ADMIN_OPERATOR, resume_bot=True)
        after = await app.respond("c1", "weather")
        tickets = await app.store.list_escalations(conversation_id="c1")
    assert after.action == "clarify"
    assert len(tickets) == 1  # resuming re-ran the escalate node without a second ticket


async def test_sla_sweep_raises_priority_and_tells_the_user(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        late = await app.respond("late", "I am suing you")
        silent = await app.respond("silent", "can I talk to a real person")
        busy = await app.respond("busy", "can I talk to a real person")
        for reply in (silent, busy):
            await app.claim(reply.escalation_id or "", "erin")
        await app.operator_reply(busy.escalation_id or "", "erin", "On it.")
        ticket = await app.store.get_escalation(late.escalation_id or "")
        assert ticket is not None
        assert await app.sweep_sla() == []  # nothing is overdue yet
        sla = app.pattern.escalation.sla
        now = max(ticket.sla_deadline, time.time() + sla.claim_timeout_s) + 1
        requeued = {t.conversation_id: t for t in await app.sweep_sla(now=now)}
        assert set(requeued) == {"late", "silent"}
        assert (requeued["late"].priority, requeued["late"].status) == (1, "open")
        assert requeued["late"].sla_deadline == pytest.approx(sla.deadline(1, now))
        assert (requeued["silent"].status, requeued["silent"].claimed_by) == ("open", None)
        assert await app.sweep_sla(now=now) == []
        late_history = await app.history("late")
        busy_ticket = await app.store.get_escalation(busy.escalation_id or "")
    assert late_history[-1].text == STILL_WAITING
    assert late_history[-1].meta["event"] == "sla_requeued"
    assert busy_ticket is not None
    assert busy_ticket.status == "claimed"


async def test_an_overdue_emergency_stays_at_the_top_priority(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        reply = await app.respond("c1", "somebody fell")
        ticket = await app.store.get_escalation(reply.escalation_id or "")
        assert ticket is not None
        assert ticket.priority == 0
        (requeued,) = await app.sweep_sla(now=ticket.sla_deadline + 1)
    assert requeued.priority == 0
    assert requeued.sla_deadline == pytest.approx(ticket.sla_deadline + 1 + 5 * 60)


async def test_queue_errors(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        reply = await app.respond("c1", "can I talk to a real person")
        ticket_id = reply.escalation_id or ""
        with pytest.raises(EscalationConflict, match="open: claim it first") as not_claimed:
            await app.operator_reply(ticket_id, "alice", "hello")
        assert not_claimed.value.status == "open"
        with pytest.raises(EscalationConflict, match="open: claim it first"):
            await app.resolve(ticket_id, "alice", resume_bot=True)
        await app.claim(ticket_id, "alice")
        with pytest.raises(EscalationConflict, match="claimed by alice") as twice:
            await app.claim(ticket_id, "bob")
        assert (twice.value.escalation_id, twice.value.claimed_by) == (ticket_id, "alice")
        with pytest.raises(EscalationConflict, match="claimed by alice"):
            await app.operator_reply(ticket_id, "bob", "hello")
        with pytest.raises(EscalationConflict, match="claimed by alice"):
            await app.resolve(ticket_id, "bob", resume_bot=True)
        for call in (app.claim("esc_nope", "alice"), app.operator_reply("esc_nope", "alice", "x"),
                     app.resolve("esc_nope", "alice", resume_bot=True)):  # fmt: skip
            with pytest.raises(NotFound, match="no escalation 'esc_nope'") as missing:
                await call
            assert (missing.value.kind, missing.value.id) == ("escalation", "esc_nope")
        with pytest.raises(InvalidInput, match="invalid operator"):
            await app.claim(ticket_id, "   ")
        with pytest.raises(InvalidInput, match="empty"):
            await app.operator_reply(ticket_id, "alice", "  ")
        await app.resolve(ticket_id, "alice", resume_bot=True)
        with pytest.raises(EscalationConflict, match="resolved already"):
            await app.resolve(ticket_id, "alice", resume_bot=True)
        with pytest.raises(EscalationConflict, match="resolved already"):
            await app.claim(ticket_id, "alice")
        with pytest.raises(EscalationConflict, match="resolved already"):
            await app.operator_reply(ticket_id, "alice", "one more thing")
        assert [m.role for m in await app.history("c1")] == ["user", "assistant", "system"]


async def test_concurrent_claims_through_two_apps(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as first, toy_app(tmp_path) as second:
        reply = await first.respond("c1", "can I talk to a real person")
        ticket_id = reply.escalation_id or ""
        results = await asyncio.gather(
            *((first if i % 2 else second).claim(ticket_id, f"op-{i}") for i in range(10)),
            return_exceptions=True,
        )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, EscalationConflict) for r in results if r not in winners)


async def test_an_admin_resolves_a_ticket_someone_else_holds(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        reply = await app.respond("c1", "can I talk to a real person")
        await app.claim(reply.escalation_id or "", "alice")
        resolved = await app.resolve(reply.escalation_id or "", ADMIN_OPERATOR, resume_bot=True)
        history = await app.history("c1")
    assert (resolved.status, resolved.claimed_by) == ("resolved", "alice")
    assert history[-1].text == "Resolved by alice; the assistant answers from here."


def test_sla_policy_deadlines() -> None:
    sla = SlaPolicy(minutes={0: 1.0}, default_minutes=10.0)
    assert sla.deadline(0, 100.0) == 160.0
    assert sla.deadline(3, 100.0) == 700.0


async def test_a_turn_escalating_beside_an_active_ticket_joins_it(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as if the conversation's lease had been lost: another replica opens a ticket for the
    # conversation just before this turn's `escalate` node does. The store keeps one active
    # ticket (the other's), records the turn's as superseded, the reply names the active one,
    # and the hand-back still works
    async with toy_app(tmp_path, store=store_url) as app:
        create = app.store.create_escalation
        rivals: list[Escalation] = []

        async def rival_first(ticket: Escalation) -> Escalation:
            if not rivals:
                rival = Escalation(conversation_id=ticket.conversation_id, reason="complaint")
                rivals.append(await create(rival))
            return await create(ticket)

        monkeypatch.setattr(app.store, "create_escalation", rival_first)
        asked = await app.respond("c1", "I am suing you")
        (rival,) = rivals
        assert asked.action == "escalate"
        assert asked.escalation_id == rival.id  # the reply names the ticket that is active
        (mine,) = [t for t in await app.store.list_escalations(conversation_id="c1")
                   if t.id != rival.id]  # fmt: skip
        assert (mine.status, mine.package["superseded_by"]) == ("resolved", rival.id)
        assert await app.store.active_escalation("c1") == rival

        waiting = await app.respond("c1", "hello?")
        assert (waiting.agent, waiting.escalation_id) == ("human", rival.id)
        await app.claim(rival.id, "alice")
        await app.resolve(rival.id, "alice", resume_bot=True)
        back = await app.respond("c1", "my bill")
        tickets = await app.store.list_escalations(conversation_id="c1")
    assert (back.agent, back.action) == ("billing", "answer")
    # resuming the paused graph re-ran its `escalate` node without opening another ticket
    assert sorted(t.id for t in tickets) == sorted([rival.id, mine.id])
    assert all(t.status == "resolved" for t in tickets)
