"""The demo LMS's identity and its id_tokens (pure: no Flask, no database)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"

DEMO_CLIENT_ID = "leadership-pods-demo"
DEMO_DEPLOYMENT_ID = "demo-deployment-1"
DEMO_COURSE = {"id": "demo-course-1", "label": "IM-LEAD-DEMO",
               "title": "Internal Medicine Leadership Curriculum (demo)",
               "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]}

#: the demo's people, by the role a visitor picks
DEMO_USERS: dict[str, dict[str, Any]] = {
    "resident": {"sub": "demo-resident-1", "name": "Dana Okafor", "given_name": "Dana",
                 "family_name": "Okafor", "email": "dana.okafor@demo.example",
                 "roles": [MEMBERSHIP + "Learner"],
                 "custom": {"cohort": "PGY2-2026", "specialty": "Internal Medicine",
                            "pgy": "2", "stage": "resident"}},
    "faculty": {"sub": "demo-faculty-1", "name": "Dr. Priya Raman", "given_name": "Priya",
                "family_name": "Raman", "email": "priya.raman@demo.example",
                "roles": [MEMBERSHIP + "Instructor"], "custom": {}},
    "administrator": {"sub": "demo-admin-1", "name": "Jordan Lee", "given_name": "Jordan",
                      "family_name": "Lee", "email": "jordan.lee@demo.example",
                      "roles": [MEMBERSHIP + "Administrator",
                                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"],
                      "custom": {}},
}


def new_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass(frozen=True)
class DemoPlatform:
    issuer: str
    tool_launch_url: str
    private_key_pem: bytes

    @property
    def kid(self) -> str:
        return str(JWK.from_pem(self.private_key_pem).thumbprint())

    def jwks(self) -> dict[str, Any]:
        public = dict(JWK.from_pem(self.private_key_pem).export_public(as_dict=True))
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    def id_token(self, *, role: str, nonce: str, pod: str | None, deep_link_return: str | None,
                 lifetime: int = 300) -> str:
        user = DEMO_USERS[role]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": DEMO_CLIENT_ID, "azp": DEMO_CLIENT_ID,
            "sub": user["sub"], "iat": now, "exp": now + lifetime, "nonce": nonce,
            "name": user["name"], "given_name": user["given_name"],
            "family_name": user["family_name"], "email": user["email"],
            LTI + "version": "1.3.0", LTI + "deployment_id": DEMO_DEPLOYMENT_ID,
            LTI + "target_link_uri": self.tool_launch_url, LTI + "roles": user["roles"],
            LTI + "context": DEMO_COURSE,
            LTI + "tool_platform": {"guid": "leadership-pods-demo", "name": "Demo LMS",
                                    "product_family_code": "leadership-pods-demo"},
            LTI + "launch_presentation": {"document_target": "iframe", "locale": "en"},
            LTI + "custom": dict(user["custom"], **({"pod": pod} if pod else {})),
        }
        if deep_link_return:
            claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": deep_link_return,
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True, "data": "demo-" + uuid.uuid4().hex[:8],
            }
        else:
            claims[LTI + "message_type"] = "LtiResourceLinkRequest"
            claims[LTI + "resource_link"] = {"id": f"demo-link-{pod or 'course'}",
                                             "title": pod or "Leadership Pods"}
        return jwt.encode(claims, self.private_key_pem, algorithm="RS256",
                          headers={"kid": self.kid})
