"""The operator console in a real headless browser (Debian's chromium, driven by playwright):
log in, see a ticket arrive live, claim it, reply, hand back to the bot."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.server import ServerOptions

from .harness import LiveServer, seed_router_cache

CHROMIUM = "/usr/bin/chromium"
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "console.png"


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI requires {CHROMIUM} for the console test (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the console test")
    return CHROMIUM


@pytest.fixture
def console_server(tmp_path: Path, router_cache: Path) -> Iterator[LiveServer]:
    """A server of its own, so the queue (and the screenshot) holds only this test's tickets."""
    seed_router_cache(router_cache, tmp_path / "data")
    live = LiveServer(tmp_path / "data", options=ServerOptions(sweep_interval_s=0)).start()
    yield live
    live.stop()


async def test_operator_handles_a_ticket_in_the_console(
    console_server: LiveServer, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    server = console_server
    operator_key = server.key("operator", name="console-operator")
    conversation = f"console-{uuid.uuid4().hex[:8]}"
    answer = "Hello, this is Dana at the front desk: how can I help?"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )  # fmt: skip
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 860})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(server.url + "/console")
            await page.get_by_label("Operator API key").fill(operator_key)
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_text("Signed in as console-operator")).to_be_visible()
            await expect(page.locator("#live")).to_have_text("live")
            # the key is kept for this tab only, never in the URL
            stored = await page.evaluate("sessionStorage.getItem('frontdesk.apiKey')")
            assert stored == operator_key
            assert operator_key not in page.url

            # other users' tickets first: an emergency (P0) and a complaint
            async with server.client(server.key("client")) as others:
                for n, text in enumerate(
                    ("my father collapsed and is not breathing",
                     "I want to file a complaint about how rude the front desk was")
                ):  # fmt: skip
                    sent = await others.post(f"/v1/conversations/other-{n}/messages",
                                             json={"text": text})  # fmt: skip
                    assert sent.json()["action"] == "escalate"
            await expect(page.locator("#tickets tr")).to_have_count(2)
            await expect(page.locator("#tickets tr").first).to_contain_text("P0")

            # a user asks for a person: the ticket appears without a reload
            async with server.client(server.key("client")) as user:
                reply = await user.post(
                    f"/v1/conversations/{conversation}/messages",
                    json={"text": "I want to talk to a real person"},
                )
                ticket_id = reply.json()["escalation_id"]
                row = page.locator(f'tr[data-id="{ticket_id}"]')
                await expect(row).to_be_visible(timeout=10_000)
                await expect(row).to_contain_text("person_requested")
                await expect(row.locator(".sla")).to_contain_text("left")

                await row.click()
                await expect(page.locator("#ticket-title")).to_contain_text(conversation)
                await expect(page.locator("#messages")).to_contain_text(
                    "I want to talk to a real person"
                )
                await expect(page.locator("#t-actions li").first).to_be_visible()
                await page.get_by_role("button", name="Claim").click()
                await expect(page.locator("#t-status")).to_have_text("claimed")
                await expect(page.locator("#t-claimed")).to_have_text("you")

                await page.get_by_label("Reply to the user").fill(answer)
                await page.get_by_role("button", name="Send reply").click()
                await expect(page.locator("#messages li.operator")).to_contain_text(answer)
                # the user's new message shows up live in the operator's view
                await user.post(
                    f"/v1/conversations/{conversation}/messages", json={"text": "thanks Dana"}
                )
                await expect(page.locator("#messages li.user").last).to_contain_text("thanks Dana")
                shot = tmp_path / "console.png"
                await page.screenshot(path=str(shot), full_page=True)

                await page.get_by_role("button", name="Resolve and hand back to the bot").click()
                await expect(page.locator("#t-status")).to_have_text("resolved")
                history = (await user.get(f"/v1/conversations/{conversation}")).json()
            assert answer in [m["text"] for m in history["messages"] if m["role"] == "operator"]
            assert history["escalation"] is None
            assert errors == []
        finally:
            await browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("FRONTDESK_UPDATE_SCREENSHOTS"):  # refresh the one in the docs
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)
