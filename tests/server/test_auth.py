"""Auth over real HTTP: every route in /openapi.json refuses a request without a key (except the
documented public ones), roles are enforced, and a client never sees another's conversation."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx

from frontdesk.server import PUBLIC_PATHS

from .harness import LiveServer

PARAM = re.compile(r"\{[^}]+\}")


def _operations(schema: dict[str, object]) -> list[tuple[str, str]]:
    paths = schema["paths"]
    assert isinstance(paths, dict)
    return [
        (method.upper(), PARAM.sub("x-1", path))
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


async def test_every_route_without_a_key_is_401_except_the_public_ones(server: LiveServer) -> None:
    async with server.client() as http:
        schema = (await http.get("/openapi.json")).json()
        operations = _operations(schema)
        assert len(operations) >= 12, operations
        public, protected = [], []
        for method, path in operations:
            response = await http.request(method, path, json={"text": "hi"})
            if path in PUBLIC_PATHS:
                public.append(path)
                assert response.status_code < 400, (method, path, response.text)
            else:
                protected.append(path)
                assert response.status_code == 401, (method, path, response.text)
                error = response.json()["error"]
                assert error["type"] == "unauthorized"
                assert "Authorization: Bearer" in error["message"]
                assert response.headers["www-authenticate"] == "Bearer"
        assert {"/healthz", "/readyz", "/console"} <= set(public)
        assert "/v1/escalations" in protected
        # a bad key and a malformed header are 401 too
        for headers in ({"Authorization": "Bearer fd_not-a-key"}, {"Authorization": "Basic abc"}):
            response = await http.get("/v1/escalations", headers=headers)
            assert response.status_code == 401, response.text
        console = await http.get("/console")
        assert console.headers["content-type"].startswith("text/html")


async def test_a_client_is_refused_operator_endpoints_with_403(server: LiveServer) -> None:
    key = server.key("client")
    async with server.client(key) as http:
        schema = (await http.get("/openapi.json")).json()
        staff_only = [(m, p) for m, p in _operations(schema) if p.startswith("/v1/escalations")]
        assert len(staff_only) >= 5
        for method, path in staff_only:
            response = await http.request(method, path, json={"text": "hi", "resume_bot": True})
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error"]["type"] == "forbidden"
            assert "operator" in response.json()["error"]["message"]
        me = (await http.get("/v1/me")).json()
        assert me["role"] == "client"


async def test_a_client_gets_404_for_another_clients_conversation(server: LiveServer) -> None:
    alice, bob = server.key("client", name="alice"), server.key("client", name="bob")
    conversation = f"alice-{uuid.uuid4().hex[:8]}"
    async with server.client(alice) as a, server.client(bob) as b:
        sent = await a.post(
            f"/v1/conversations/{conversation}/messages", json={"text": "what are your hours?"}
        )
        assert sent.status_code == 200, sent.text
        assert (await a.get(f"/v1/conversations/{conversation}")).status_code == 200
        for response in (
            await b.get(f"/v1/conversations/{conversation}"),
            await b.get(f"/v1/conversations/{conversation}/stream"),
            await b.post(f"/v1/conversations/{conversation}/messages", json={"text": "hi"}),
            await b.get("/v1/conversations/never-existed"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["type"] == "not_found"
        # an operator reads it, but does not post as its user
        async with server.client(server.key("operator")) as op:
            history = (await op.get(f"/v1/conversations/{conversation}")).json()
            posted = await op.post(
                f"/v1/conversations/{conversation}/messages", json={"text": "hello"}
            )
        assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
        assert posted.status_code == 403
        assert "/v1/escalations/{id}/reply" in posted.json()["error"]["message"]


async def test_a_revoked_key_is_refused_at_once(server: LiveServer) -> None:
    name = f"temp-{uuid.uuid4().hex[:8]}"
    key = server.key("client", name=name)
    async with server.client(key) as http:
        assert (await http.get("/v1/me")).json()["name"] == name
        keys = server.call(server.app.store.list_api_keys())
        (record,) = [k for k in keys if k.name == name]
        assert server.call(server.app.store.revoke_api_key(record.id))
        refused = await http.get("/v1/me")
        assert refused.status_code == 401
        assert refused.json()["error"]["message"] == "invalid or revoked API key"


async def test_bad_input_is_a_clear_4xx(server: LiveServer) -> None:
    key = server.key("client")
    async with server.client(key) as http:
        cases = [
            (await http.post("/v1/conversations/ok-1/messages", content=b"{not json",
                             headers={"Content-Type": "application/json"}), 422),
            (await http.post("/v1/conversations/ok-1/messages", json={}), 422),
            (await http.post("/v1/conversations/ok-1/messages", json={"text": "   "}), 422),
            (await http.post("/v1/conversations/bad%20id/messages", json={"text": "hi"}), 422),
            (await http.post("/v1/conversations/ok-1/messages", json={"text": "x" * 70_000}), 413),
            (await http.delete("/v1/escalations"), 405),
            (await http.get("/v1/nothing-here"), 404),
        ]  # fmt: skip
        for response, status in cases:
            assert response.status_code == status, response.text
            error = response.json()["error"]
            assert error["type"], error
            assert error["message"], error
        too_large = cases[4][0].json()["error"]
        assert too_large["type"] == "payload_too_large"
        assert "65536 bytes" in too_large["message"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"text": "'
            for _ in range(20):
                yield b"x" * 4096
            yield b'"}'

        chunked = await http.post(
            "/v1/conversations/ok-1/messages", content=chunks(),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert chunked.status_code == 413, chunked.text
        assert chunked.json()["error"]["type"] == "payload_too_large"


async def test_health_and_readiness_are_public(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok", "checks": {}}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"store": "ok", "router": "trained", "server": "serving"}
