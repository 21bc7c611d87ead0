"""The tool's own RSA signing keys, stored in the database with private halves encrypted.

``/lti/jwks`` publishes every key that is not retired, so a rotation never breaks a
platform that cached the previous JWKS: the newest key signs, older ones stay
published until ``keys retire``. Key ids are RFC 7638 thumbprints, so they are stable.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config.database import utcnow
from .errors import LtiError
from .models import ToolKey

log = logging.getLogger(__name__)


class KeyCipher:
    """Encrypts private keys at rest with a Fernet key derived from a secret."""

    def __init__(self, secret: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"leadership-pods/tool-keys",
            info=b"fernet",
        ).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, data: bytes) -> str:
        return self._fernet.encrypt(data).decode()

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode())
        except InvalidToken as exc:
            raise LtiError(
                "the tool's private key cannot be decrypted: SECRET_KEY (or "
                "LEADERSHIP_PODS_KEY_ENCRYPTION_KEY) changed since the key was made",
                check="tool-key",
                hint="Restore the previous secret, or run `leadership-pods keys rotate`.",
                status=500,
            ) from exc


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str
    public_jwk: dict[str, Any]


_private_cache: dict[str, SigningKey] = {}


def _new_rsa_key() -> tuple[str, dict[str, Any], bytes]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    jwk = JWK.from_pem(pem)
    kid = jwk.thumbprint()
    public = dict(jwk.export_public(as_dict=True))
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return kid, public, pem


class ToolKeyService:
    """Create, rotate, retire and publish the tool's signing keys."""

    def __init__(self, session: Session, cipher: KeyCipher) -> None:
        self.session = session
        self.cipher = cipher

    def published(self) -> list[ToolKey]:
        return list(
            self.session.scalars(
                select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc())
            )
        )

    def all_keys(self) -> list[ToolKey]:
        return list(self.session.scalars(select(ToolKey).order_by(ToolKey.id)))

    def ensure_key(self) -> ToolKey:
        """The current key, made on first use so that the JWKS is never empty."""
        keys = self.published()
        return keys[0] if keys else self.rotate()

    def rotate(self) -> ToolKey:
        kid, public, pem = _new_rsa_key()
        key = ToolKey(kid=kid, public_jwk=public, private_key_encrypted=self.cipher.encrypt(pem))
        self.session.add(key)
        self.session.flush()
        log.info("tool key %s created", kid)
        return key

    def retire(self, kid: str) -> ToolKey:
        key = self.session.scalar(select(ToolKey).where(ToolKey.kid == kid))
        if key is None:
            raise LtiError(f"no tool key with kid {kid!r}", check="tool-key")
        if key.retired_at is not None:
            raise LtiError(f"tool key {kid} is already retired", check="tool-key")
        if [k.kid for k in self.published()] == [kid]:
            raise LtiError("that is the only published key: rotate first", check="tool-key")
        if self.published()[0].kid == kid:
            raise LtiError("that is the current signing key: rotate first", check="tool-key")
        key.retired_at = utcnow()
        self.session.flush()
        return key

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(k.public_jwk) for k in self.published()]}

    def signing_key(self) -> SigningKey:
        key = self.ensure_key()
        cached = _private_cache.get(key.kid)
        if cached is None:
            pem = self.cipher.decrypt(key.private_key_encrypted).decode()
            cached = SigningKey(kid=key.kid, private_pem=pem, public_jwk=dict(key.public_jwk))
            _private_cache[key.kid] = cached
        return cached
