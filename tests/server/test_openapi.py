"""/openapi.json describes every route the server has, and every reference in it resolves."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import Env

pytestmark = pytest.mark.asyncio


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


async def test_the_document_covers_every_route(env: Env) -> None:
    reply = await env.rp.call("GET", "/openapi.json", headers={"Authorization": ""})
    assert reply.status == 200
    document = reply.body
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": env.base_url}]
    for ref in refs(document):
        assert resolve(document, ref) is not None, ref

    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "delete", "put", "patch"}
    }
    app = env.server.app
    assert app is not None
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method in {"GET", "POST", "DELETE", "PUT", "PATCH"}
        and route.resource is not None
        and route.resource.canonical != "/v1/ws"
        # Duo's Auth API and its activation pages are another API (app/server/DUO.md).
        and not route.resource.canonical.startswith(("/auth/v2/", "/duo/"))
    }
    assert documented == served


async def test_every_operation_documents_its_errors(env: Env) -> None:
    document = (await env.rp.call("GET", "/openapi.json")).body
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation["operationId"]
            codes = set(operation["responses"])
            if operation.get("security", None) != []:
                assert "401" in codes, (method, path)
    challenge = document["paths"]["/v1/challenges"]["post"]["responses"]
    assert {"201", "400", "401", "404", "423", "429"} <= set(challenge)
    registration = document["paths"]["/v1/devices"]["post"]["responses"]
    assert {"200", "201", "400", "401", "404", "409", "410", "429"} <= set(registration)
