"""The OpenAPI 3.1 description of the HTTP API, as data (served at /openapi.json)."""

from __future__ import annotations

import copy
from typing import Any, Final

from app.server.openapi_schemas import COMPONENTS, ID, USER, ref


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _error(description: str) -> dict[str, Any]:
    return _json(ref("Error"), description)


def _limited(description: str) -> dict[str, Any]:
    return _json(
        ref("Error"),
        description,
        headers={"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
    )


_BAD = _error("Malformed request: wrong content type, bad JSON, unknown field, value out of range.")
_UNAUTHORIZED = _error("Missing, unknown or revoked API key.")


def _path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _no_such(what: str) -> dict[str, Any]:
    return _error(f"No such {what} for this RP.")


def _by_id(what: str, operation_id: str, summary: str, ok: dict[str, Any]) -> dict[str, Any]:
    """An operation on one of the RP's objects, named by the id in the path."""
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [_path_param("id", ID, f"The {what} id")],
        "responses": {"200": ok, "401": _UNAUTHORIZED, "404": _no_such(what)},
    }


_DOCUMENT: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {
        "title": "keyfob-server relying-party API",
        "version": "1",
        "description": (
            "Push sign-in approvals for Keyfob (protocol v1). A relying party (RP) enrolls "
            "its users' Keyfob devices and sends them challenges; the devices answer over "
            "their websocket (see the protocol description shipped with the server). Errors "
            "are JSON {error, message}. Users and devices are scoped to the RP, which is the "
            "NAME of the API key used."
        ),
        "license": {"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"},
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/v1/enrollments": {
            "post": {
                "operationId": "createEnrollment",
                "summary": "Start enrolling a device for a user: a keyfob://enroll URI for a QR",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("EnrollmentRequest")}},
                },
                "responses": {
                    "201": _json(ref("Enrollment"), "The enrollment; show `uri` as a QR code."),
                    "400": _BAD,
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/v1/enrollments/{id}": {
            "get": _by_id(
                "enrollment",
                "getEnrollment",
                "Whether a device has used the enrollment yet",
                _json(ref("EnrollmentStatus"), "The enrollment's status."),
            )
        },
        "/v1/devices": {
            "post": {
                "operationId": "registerDevice",
                "summary": "Device registration (called by Keyfob from the QR code, no API key)",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("RegistrationRequest")}},
                },
                "responses": {
                    "201": _json(ref("Registered"), "Registered."),
                    "200": _json(
                        ref("Registered"),
                        "A retry by the same device key: the same answer as the first time.",
                    ),
                    "400": _error("Malformed body."),
                    "401": _error("Wrong secret, or a signature that does not verify."),
                    "404": _error("Unknown enrollment id."),
                    "409": _error("The enrollment was used by another device key."),
                    "410": _error("The enrollment has expired."),
                    "429": _limited(
                        "Too many failed registrations from this address or for this "
                        "enrollment (a valid registration is never refused)."
                    ),
                },
            }
        },
        "/v1/challenges": {
            "post": {
                "operationId": "createChallenge",
                "summary": "Send a sign-in challenge to every device of a user",
                "description": (
                    "Refusals are checked in the order 400, 404, 423, 429 (a pending "
                    "challenge; Retry-After is the seconds to its expiry), 429 (backoff after "
                    "denied, expired or wrong-number challenges: 10 s doubling to 1 h), 429 "
                    "(too_many_challenges: 5 in a row, then one a minute, cancelled ones "
                    "included)."
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("ChallengeRequest")}},
                },
                "responses": {
                    "201": _json(
                        ref("ChallengeCreated"),
                        "Sent. Show `number` on the sign-in page; it never goes to the device.",
                    ),
                    "400": _BAD,
                    "401": _UNAUTHORIZED,
                    "404": _error("The user has no enrolled device."),
                    "423": _error("Pushes to this user are blocked after a fraud report."),
                    "429": _limited(
                        "A challenge is pending, the user is in backoff, or has had too many "
                        "challenges in a row."
                    ),
                },
            }
        },
        "/v1/challenges/{id}": {
            "parameters": [_path_param("id", ID, "The challenge id")],
            "get": {
                "operationId": "getChallenge",
                "summary": "A challenge's status; with `wait`, a long poll until it is final",
                "parameters": [
                    {
                        "name": "wait",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 0, "default": 0},
                        "description": "Seconds to wait for a final status, 0-60 (more is 60).",
                    }
                ],
                "responses": {
                    "200": _json(ref("ChallengeStatus"), "The status."),
                    "400": _error("`wait` is not a whole number."),
                    "401": _UNAUTHORIZED,
                    "404": _no_such("challenge"),
                },
            },
            "delete": {
                "operationId": "cancelChallenge",
                "summary": "Cancel a pending challenge",
                "responses": {
                    "200": _json(ref("ChallengeStatus"), "Cancelled."),
                    "401": _UNAUTHORIZED,
                    "404": _no_such("challenge"),
                    "409": _json(
                        ref("AlreadyFinal"), "The challenge had already ended; `status` says how."
                    ),
                },
            },
        },
        "/v1/users/{user}/devices": {
            "get": {
                "operationId": "listDevices",
                "summary": "A user's enrolled devices (revoked ones are not listed)",
                "parameters": [_path_param("user", USER, "The user, percent-encoded")],
                "responses": {
                    "200": _json({"type": "array", "items": ref("Device")}, "The devices."),
                    "400": _error("The user is not 1-256 characters."),
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/v1/devices/{id}": {
            "delete": _by_id(
                "device",
                "revokeDevice",
                "Revoke a device; its open sockets close with 4403",
                _json(ref("Revoked"), "Revoked."),
            )
        },
        "/v1/users/{user}/unblock": {
            "post": {
                "operationId": "unblockUser",
                "summary": "Allow pushes again after a fraud report (the backoff is untouched)",
                "parameters": [_path_param("user", USER, "The user, percent-encoded")],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "additionalProperties": False}
                        }
                    },
                },
                "responses": {
                    "200": _json(ref("Unblocked"), "Unblocked (also when it was not blocked)."),
                    "400": _BAD,
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Liveness",
                "security": [],
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"status": {"const": "ok"}}}, "Alive."
                    )
                },
            }
        },
        "/readyz": {
            "get": {
                "operationId": "ready",
                "summary": "Readiness: the database answers and other nodes' notices arrive",
                "security": [],
                "responses": {
                    "200": _json(ref("Readiness"), "Ready for traffic."),
                    "503": _json(
                        ref("Readiness"),
                        "Not ready (`status` is `not_ready`): send traffic to another node.",
                        headers={"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
                    ),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document."}},
            }
        },
    },
    "components": COMPONENTS,
}


def openapi_document(base_url: str | None = None) -> dict[str, Any]:
    document = copy.deepcopy(_DOCUMENT)
    if base_url:
        document["servers"] = [{"url": base_url}]
    return document
