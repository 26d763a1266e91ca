"""The OpenAPI document's components: the schemas of what the HTTP API takes and answers,
its security scheme and headers. openapi.py puts them together with the paths."""

from __future__ import annotations

from typing import Any, Final

from app.push.messages import CONTEXT_FIELDS

STATUS = ["pending", "approved", "denied", "fraud", "wrong_number", "expired", "cancelled"]
ID = {"type": "string", "pattern": "^[A-Za-z0-9_.~-]{1,128}$"}
USER = {"type": "string", "minLength": 1, "maxLength": 256}
TIME = {"type": "integer", "minimum": 0, "description": "Unix seconds"}
B64U = {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "description": "base64url, no padding"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


COMPONENTS: Final[dict[str, Any]] = {
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
                "user": {**USER, "description": "The RP's name for the account"},
                "ttl": {"type": "integer", "minimum": 60, "maximum": 86400, "default": 600},
            },
        },
        "Enrollment": {
            "type": "object",
            "required": ["id", "uri", "expires_at"],
            "properties": {
                "id": ID,
                "uri": {
                    "type": "string",
                    "description": (
                        "keyfob://enroll?v=1&url=&eid=&secret=&spk=&issuer=&user= "
                        "(every value percent-encoded)"
                    ),
                },
                "expires_at": TIME,
            },
        },
        "EnrollmentStatus": {
            "type": "object",
            "required": ["id", "status"],
            "properties": {
                "id": ID,
                "status": {"enum": ["pending", "completed", "expired"]},
                "device_id": {**ID, "description": "Present once completed"},
            },
        },
        "RegistrationRequest": {
            "type": "object",
            "required": ["eid", "secret", "device_key", "name", "ts", "sig"],
            "additionalProperties": False,
            "description": "Signed by the new device key with the tag keyfob-register-v1.",
            "properties": {
                "eid": {"type": "string"},
                "secret": {**B64U, "description": "32 bytes, from the URI"},
                "device_key": {**B64U, "description": "Ed25519 public key, 32 bytes"},
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "ts": {"type": "integer", "description": "Device time (not judged)"},
                "sig": {**B64U, "description": "Ed25519 signature, 64 bytes"},
            },
        },
        "Registered": {
            "type": "object",
            "required": ["device_id", "ws_url", "issuer", "user", "server_time", "sig"],
            "description": "Signed by the server key with the tag keyfob-registered-v1.",
            "properties": {
                "device_id": ID,
                "ws_url": {"type": "string"},
                "issuer": {"type": "string"},
                "user": {"type": "string"},
                "server_time": TIME,
                "sig": B64U,
            },
        },
        "ChallengeRequest": {
            "type": "object",
            "required": ["user"],
            "additionalProperties": False,
            "properties": {
                "user": USER,
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
                "id": ID,
                "status": {"const": "pending"},
                "number": {
                    "type": "string",
                    "pattern": "^[0-9]{2}$",
                    "description": "Absent without number matching",
                },
                "expires_at": TIME,
            },
        },
        "ChallengeStatus": {
            "type": "object",
            "required": ["id", "status"],
            "properties": {
                "id": ID,
                "status": {"enum": STATUS},
                "decided_at": {**TIME, "description": "When it ended (final statuses)"},
                "device_id": {**ID, "description": "The device that answered, if one did"},
            },
        },
        "AlreadyFinal": {
            "allOf": [
                ref("Error"),
                {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"enum": STATUS[1:]}},
                },
            ]
        },
        "Device": {
            "type": "object",
            "required": ["device_id", "name", "online", "enrolled_at", "last_seen"],
            "properties": {
                "device_id": ID,
                "name": {"type": "string"},
                "online": {"type": "boolean"},
                "enrolled_at": TIME,
                "last_seen": {"oneOf": [TIME, {"type": "null"}]},
            },
        },
        "Revoked": {
            "type": "object",
            "required": ["device_id", "revoked"],
            "properties": {"device_id": ID, "revoked": {"const": True}},
        },
        "Unblocked": {
            "type": "object",
            "required": ["user", "blocked"],
            "properties": {"user": {"type": "string"}, "blocked": {"const": False}},
        },
    },
}
