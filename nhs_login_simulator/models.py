"""What the simulator remembers between requests: clients as registered, codes, refresh
tokens, the client-assertion ids it has seen, the ID tokens it issued (for single sign-on), the
asserted login identities already used, and what each user agreed to share with each client.
Codes and tokens are stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib

from django.db import models


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Client(models.Model):
    """A relying party registered with the simulator, as partners register with NHS login: its
    redirect URIs, its public key (a PEM has no ``kid``; a JWK carries one), the scopes and the
    ``vtr`` sets it may send (NHS login's "Testing scenarios", "Vector of Trust check"), and the
    clients it shares single sign-on with (NHS login's "Single Sign On" page)."""

    client_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255)
    redirect_uris = models.JSONField(default=list)
    public_key_pem = models.TextField()
    # The kid of a key registered as a JWK; empty for a PEM, which has none.
    key_id = models.CharField(max_length=255, blank=True)
    # Only IM1-enabled clients may receive gp_integration_credentials.
    im1_enabled = models.BooleanField(default=False)
    scopes = models.JSONField(default=list)
    # Each a list of vectors; compared with a request's vtr as sets.
    vtr_sets = models.JSONField(default=list)
    sso_partners = models.ManyToManyField("self", symmetrical=True, blank=True)
    # A service consumer of the Provision Account interface (its section 3): it may take a
    # client_credentials token and call provision-account for the ODS codes listed (any ODS
    # code when the list is empty). A client only for provisioning has no redirect URI.
    provisioning_enabled = models.BooleanField(default=False)
    provisioning_ods_codes = models.JSONField(default=list, blank=True)
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
    # The authorization request's S256 PKCE challenge (RFC 7636, 4.4), "" if it sent none: the
    # token request must then prove the verifier behind it.
    code_challenge = models.CharField(max_length=43, blank=True)
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


class _UsedOnce(models.Model):
    """A one-time token's ``jti`` for a client, kept until the token expires, so that it cannot
    be replayed; each subclass names its own unique constraint on the pair."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.client_id}: {self.jti}"


class UsedClientAssertion(_UsedOnce):
    """A client assertion's ``jti``, kept until the assertion expires, so it cannot be replayed."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="simulator_assertion_jti_once")
        ]


class IssuedIdToken(models.Model):
    """An ID token the simulator issued, by its ``jti``: an ``asserted_login_identity`` names
    one as its ``code`` (NHS login's "Single Sign On" page, Federation specification 3.4.1)."""

    jti = models.CharField(max_length=255, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    user_id = models.CharField(max_length=100)
    identity_proofing_level = models.CharField(max_length=2)
    auth_time = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"ID token {self.jti} for {self.user_id} at {self.client_id}"


class UsedAssertedLoginIdentity(_UsedOnce):
    """An ``asserted_login_identity``'s ``jti``: each is a one-time token."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "jti"], name="simulator_asserted_identity_jti_once"
            )
        ]


class Consent(models.Model):
    """What a user agreed to share with a client: the highest proofing level they agreed at
    and the scopes. NHS login asks again at a first sign-in, a new level of verification, or
    when the client asks for more (its "Sharing a user's NHS login information" page)."""

    user_id = models.CharField(max_length=100)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    identity_proofing_level = models.CharField(max_length=2)
    scopes = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "client"], name="simulator_consent_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} shares {self.identity_proofing_level} with {self.client_id}"


class ProvisionedAccount(models.Model):
    """An account a service consumer provisioned (Provision Account interface, section 3.3):
    a new one waiting for its user to claim it, or an existing account's uplift to P9 waiting
    likewise. The claim link's token and the passcode are kept as SHA-256 hashes only; the
    messages that carried them are in ``SentMessage``, the simulator's stand-in for the
    user's mailbox and phone."""

    class Kind(models.TextChoices):
        CREATE = "create"
        UPLIFT = "uplift"

    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The test user an uplift raises to P9; empty for a new account.
    existing_user_id = models.CharField(max_length=100, blank=True)
    sub = models.CharField(max_length=64, unique=True)
    nhs_number = models.CharField(max_length=10)
    email = models.CharField(max_length=254)
    phone_number = models.CharField(max_length=20)
    date_of_birth = models.CharField(max_length=10)
    ods_code = models.CharField(max_length=6)
    claim_token_hash = models.CharField(max_length=64, unique=True)
    passcode_hash = models.CharField(max_length=64, blank=True)
    passcode_expires_at = models.DateTimeField(null=True, blank=True)
    passcode_attempts = models.PositiveSmallIntegerField(default=0)
    # Django's password hash of the password the user set when they claimed a new account.
    password_hash = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        state = "claimed" if self.claimed_at else "waiting to be claimed"
        return f"{self.kind} for {self.ods_code}, {state}"


class SentMessage(models.Model):
    """An email or text message NHS login would have sent, shown on the simulator's
    provisioning messages page instead."""

    class Channel(models.TextChoices):
        EMAIL = "email"
        SMS = "sms", "Text message"

    account = models.ForeignKey(ProvisionedAccount, on_delete=models.CASCADE)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    link = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.channel}: {self.subject}"


class ProvisioningSetting(models.Model):
    """The answer the simulator's provisioning settings page chose for every provisioning
    request until it is changed: one row, empty for "answer as NHS login would"."""

    answer = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.answer or "as NHS login would"
