"""The OpenAPI 3.1 description of the HTTP API, as data (served at /openapi.json)."""

from __future__ import annotations

import copy
from typing import Any, Final

from app.push.messages import CONTEXT_FIELDS

_STATUS = ["pending", "approved", "denied", "fraud", "wrong_number", "expired", "cancelled"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _limited(description: str) -> dict[str, Any]:
    return _json(
        _ref("Error"),
        description,
        headers={"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
    )


_BAD = _error("Malformed request: wrong content type, bad JSON, unknown field, value out of range.")
_UNAUTHORIZED = _error("Missing, unknown or revoked API key.")
_ID = {"type": "string", "pattern": "^[A-Za-z0-9_.~-]{1,128}$"}
_USER = {"type": "string", "minLength": 1, "maxLength": 256}
_TIME = {"type": "integer", "minimum": 0, "description": "Unix seconds"}
_B64U = {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "description": "base64url, no padding"}


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
        "parameters": [_path_param("id", _ID, f"The {what} id")],
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
                    "content": {"application/json": {"schema": _ref("EnrollmentRequest")}},
                },
                "responses": {
                    "201": _json(_ref("Enrollment"), "The enrollment; show `uri` as a QR code."),
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
                _json(_ref("EnrollmentStatus"), "The enrollment's status."),
            )
        },
        "/v1/devices": {
            "post": {
                "operationId": "registerDevice",
                "summary": "Device registration (called by Keyfob from the QR code, no API key)",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("RegistrationRequest")}},
                },
                "responses": {
                    "201": _json(_ref("Registered"), "Registered."),
                    "200": _json(
                        _ref("Registered"),
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
                    "content": {"application/json": {"schema": _ref("ChallengeRequest")}},
                },
                "responses": {
                    "201": _json(
                        _ref("ChallengeCreated"),
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
            "parameters": [_path_param("id", _ID, "The challenge id")],
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
                    "200": _json(_ref("ChallengeStatus"), "The status."),
                    "400": _error("`wait` is not a whole number."),
                    "401": _UNAUTHORIZED,
                    "404": _no_such("challenge"),
                },
            },
            "delete": {
                "operationId": "cancelChallenge",
                "summary": "Cancel a pending challenge",
                "responses": {
                    "200": _json(_ref("ChallengeStatus"), "Cancelled."),
                    "401": _UNAUTHORIZED,
                    "404": _no_such("challenge"),
                    "409": _json(
                        _ref("AlreadyFinal"), "The challenge had already ended; `status` says how."
                    ),
                },
            },
        },
        "/v1/users/{user}/devices": {
            "get": {
                "operationId": "listDevices",
                "summary": "A user's enrolled devices (revoked ones are not listed)",
                "parameters": [_path_param("user", _USER, "The user, percent-encoded")],
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Device")}, "The devices."),
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
                _json(_ref("Revoked"), "Revoked."),
            )
        },
        "/v1/users/{user}/unblock": {
            "post": {
                "operationId": "unblockUser",
                "summary": "Allow pushes again after a fraud report (the backoff is untouched)",
                "parameters": [_path_param("user", _USER, "The user, percent-encoded")],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "additionalProperties": False}
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("Unblocked"), "Unblocked (also when it was not blocked)."),
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
                    "200": _json(_ref("Readiness"), "Ready for traffic."),
                    "503": _json(
                        _ref("Readiness"),
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
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key from `keyfob-server apikey create NAME`.",
            }
        },
        "headers": {
            "RetryAfter": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
        "schemas": {
            "Readiness": {
                "type": "object",
                "required": ["status", "database", "notifications"],
                "properties": {
                    "status": {"enum": ["ready", "not_ready"]},
                    "database": {"type": "boolean", "description": "The database answers."},
                    "notifications": {
                        "type": "boolean",
                        "description": "Other nodes' notices can arrive.",
                    },
                },
            },
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string", "description": "A stable machine-readable code"},
                    "message": {"type": "string", "description": "What was wrong, for people"},
                },
            },
            "EnrollmentRequest": {
                "type": "object",
                "required": ["user"],
                "additionalProperties": False,
                "properties": {
                    "user": {**_USER, "description": "The RP's name for the account"},
                    "ttl": {"type": "integer", "minimum": 60, "maximum": 86400, "default": 600},
                },
            },
            "Enrollment": {
                "type": "object",
                "required": ["id", "uri", "expires_at"],
                "properties": {
                    "id": _ID,
                    "uri": {
                        "type": "string",
                        "description": (
                            "keyfob://enroll?v=1&url=&eid=&secret=&spk=&issuer=&user= "
                            "(every value percent-encoded)"
                        ),
                    },
                    "expires_at": _TIME,
                },
            },
            "EnrollmentStatus": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": _ID,
                    "status": {"enum": ["pending", "completed", "expired"]},
                    "device_id": {**_ID, "description": "Present once completed"},
                },
            },
            "RegistrationRequest": {
                "type": "object",
                "required": ["eid", "secret", "device_key", "name", "ts", "sig"],
                "additionalProperties": False,
                "description": "Signed by the new device key with the tag keyfob-register-v1.",
                "properties": {
                    "eid": {"type": "string"},
                    "secret": {**_B64U, "description": "32 bytes, from the URI"},
                    "device_key": {**_B64U, "description": "Ed25519 public key, 32 bytes"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "ts": {"type": "integer", "description": "Device time (not judged)"},
                    "sig": {**_B64U, "description": "Ed25519 signature, 64 bytes"},
                },
            },
            "Registered": {
                "type": "object",
                "required": ["device_id", "ws_url", "issuer", "user", "server_time", "sig"],
                "description": "Signed by the server key with the tag keyfob-registered-v1.",
                "properties": {
                    "device_id": _ID,
                    "ws_url": {"type": "string"},
                    "issuer": {"type": "string"},
                    "user": {"type": "string"},
                    "server_time": _TIME,
                    "sig": _B64U,
                },
            },
            "ChallengeRequest": {
                "type": "object",
                "required": ["user"],
                "additionalProperties": False,
                "properties": {
                    "user": _USER,
                    "action": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 200,
                        "default": "Sign in",
                    },
                    "context": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            name: {"type": "string", "maxLength": 200} for name in CONTEXT_FIELDS
                        },
                    },
                    "ttl": {"type": "integer", "minimum": 30, "maximum": 300, "default": 120},
                    "number_matching": {"type": "boolean", "default": True},
                },
            },
            "ChallengeCreated": {
                "type": "object",
                "required": ["id", "status", "expires_at"],
                "properties": {
                    "id": _ID,
                    "status": {"const": "pending"},
                    "number": {
                        "type": "string",
                        "pattern": "^[0-9]{2}$",
                        "description": "Absent without number matching",
                    },
                    "expires_at": _TIME,
                },
            },
            "ChallengeStatus": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": _ID,
                    "status": {"enum": _STATUS},
                    "decided_at": {**_TIME, "description": "When it ended (final statuses)"},
                    "device_id": {**_ID, "description": "The device that answered, if one did"},
                },
            },
            "AlreadyFinal": {
                "allOf": [
                    _ref("Error"),
                    {
                        "type": "object",
                        "required": ["status"],
                        "properties": {"status": {"enum": _STATUS[1:]}},
                    },
                ]
            },
            "Device": {
                "type": "object",
                "required": ["device_id", "name", "online", "enrolled_at", "last_seen"],
                "properties": {
                    "device_id": _ID,
                    "name": {"type": "string"},
                    "online": {"type": "boolean"},
                    "enrolled_at": _TIME,
                    "last_seen": {"oneOf": [_TIME, {"type": "null"}]},
                },
            },
            "Revoked": {
                "type": "object",
                "required": ["device_id", "revoked"],
                "properties": {"device_id": _ID, "revoked": {"const": True}},
            },
            "Unblocked": {
                "type": "object",
                "required": ["user", "blocked"],
                "properties": {"user": {"type": "string"}, "blocked": {"const": False}},
            },
        },
    },
}


def openapi_document(base_url: str | None = None) -> dict[str, Any]:
    document = copy.deepcopy(_DOCUMENT)
    if base_url:
        document["servers"] = [{"url": base_url}]
    return document
