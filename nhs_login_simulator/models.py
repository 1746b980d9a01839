"""What the simulator remembers between requests: clients, codes, refresh tokens and the
client-assertion ids it has seen. Codes and tokens are stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib

from django.db import models


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Client(models.Model):
    """A relying party registered with the simulator, as partners register with NHS login."""

    client_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255)
    redirect_uris = models.JSONField(default=list)
    public_key_pem = models.TextField()
    # Only IM1-enabled clients may receive gp_integration_credentials.
    im1_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.client_id


class AuthorizationCode(models.Model):
    code_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    redirect_uri = models.TextField()
    user_id = models.CharField(max_length=100)
    scope = models.TextField()
    nonce = models.TextField()
    vtr = models.JSONField()
    vot = models.CharField(max_length=20)
    identity_proofing_level = models.CharField(max_length=2)
    auth_time = models.DateTimeField()
    fault = models.CharField(max_length=50, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.user_id} at {self.client_id}"


class RefreshToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    user_id = models.CharField(max_length=100)
    scope = models.TextField()
    vtr = models.JSONField()
    vot = models.CharField(max_length=20)
    identity_proofing_level = models.CharField(max_length=2)
    auth_time = models.DateTimeField()
    fault = models.CharField(max_length=50, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"refresh token for {self.user_id} at {self.client_id}"


class UsedClientAssertion(models.Model):
    """A client assertion's ``jti``, kept until the assertion expires, so it cannot be replayed."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="simulator_assertion_jti_once")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.jti}"
