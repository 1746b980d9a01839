/*
 * An independent OpenID Provider for the test suite, configured like NHS login.
 *
 * The protocol is panva's `oidc-provider` (an OpenID Certified implementation, installed from
 * npm as a devDependency, pinned in package.json): discovery, JWKS, authorization, token and
 * userinfo endpoints, client authentication, redirect URI matching, prompt handling and token
 * signing are all its own. What this file adds is configuration (each setting names the section
 * of NHS login's Interface Specification - Federation it follows) and the pages a person sees:
 * pick a synthetic test user, prove who you are (P5 to P9), share or do not share.
 * docs/adr/0009-independent-openid-provider-in-tests.md says why it exists.
 *
 * Run by hand (after `make setup`, which runs `npm ci`):
 *
 *   openssl rsa -in data/nhs_login/private_key.pem -pubout -out /tmp/portal-public.pem
 *   cat > /tmp/clients.json <<'JSON'
 *   [{"client_id": "citizen-portal-local",
 *     "client_name": "Citizen portal",
 *     "redirect_uris": ["http://127.0.0.1:8000/auth/nhs-login/callback/"],
 *     "public_key": "/tmp/portal-public.pem",
 *     "scope": "openid profile email phone gp_registration_details",
 *     "vtr_sets": [["P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", "P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"],
 *                  ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]],
 *     "pkce_required": true}]
 *   JSON
 *   node tests/independent_provider/provider.mjs --port 9000 --clients /tmp/clients.json
 *
 * then start the portal with NHS_LOGIN_ISSUER=http://127.0.0.1:9000,
 * NHS_LOGIN_CLIENT_ID=citizen-portal-local and NHS_LOGIN_ACCESS_TOKEN_SIGNED=false.
 *
 * Each client is registered as NHS login's onboarding registers one (Federation 7.1): redirect
 * URIs, a name, scopes, and the public key as a PEM file (2048-bit RSA), which becomes a JWK
 * with no `kid`, so an assertion whose header names a `kid` finds no key and is refused with
 * `invalid_client`. `vtr_sets` lists the `vtr` values the client may send; `pkce_required`
 * (default false) refuses the client's authorization requests without an S256 PKCE challenge.
 *
 * Test-only endpoints, for the test suite's eyes (not part of any specification):
 *   GET  /test-only/client-assertion-headers  the JOSE header of every client assertion the
 *        token endpoint accepted, per client_id (headers only: never the assertion itself);
 *   POST /test-only/reset  forget identity checks, consents and recorded headers, so tests do
 *        not depend on each other's order.
 *
 * Everything is kept in memory and lost when the process ends; the signing key is made at
 * start-up and never written anywhere. It listens on 127.0.0.1 only and prints one line,
 * "listening on <issuer>", when ready. Never use it for anything but tests.
 */

import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '9000' },
    clients: { type: 'string' },
  },
});
if (!options.clients) {
  process.stderr.write('usage: provider.mjs --port N --clients clients.json\n');
  process.exit(2);
}

const port = Number(options.port);
// Tests only: NHS login's issuers are https (Federation 2.1); this one is on the loopback.
const issuer = `http://127.0.0.1:${port}`;

// Federation 5.1.3 (and NHS login's "Vectors of trust" page): no vtr means this default.
const DEFAULT_VTR = ['P9.Cp.Cd', 'P9.Cp.Ck', 'P9.Cm'];
// Federation 5.1.1 and 5.1.2: proofing levels in order, and the credential components.
const LEVELS = ['P0', 'P5', 'P9'];
const COMPONENTS = new Set([...LEVELS, 'Cp', 'Cd', 'Ck', 'Cm']);
// Federation 5.1.5: the trustmark, self-hosted on the issuer's own origin.
const TRUSTMARK_PATH = `/trustmark/${new URL(issuer).hostname}`;
const VTM = `${issuer}${TRUSTMARK_PATH}`;

// Synthetic people matching the portal's demo register (practice A12345): NHS numbers in the
// 999 range with valid check digits, example.org addresses, Ofcom drama phone numbers.
const TEST_USERS = {
  'ava-thompson-p9': {
    label: 'Ava Thompson, P9 (identity fully checked)',
    level: 'P9',
    methods: ['Cp', 'Cd'],
    claims: {
      sub: '0b7c1f52-3f4e-4d0e-9a61-5f2f0c6e9a18',
      nhs_number: '9990000018',
      given_name: 'Ava',
      family_name: 'Thompson',
      birthdate: '1985-03-05',
      email: 'ava.thompson@example.org',
      email_verified: true,
      phone_number: '+447700900101',
      phone_number_verified: true,
      phone_number_pds_matched: true,
      gp_registration_details: { gp_ods_code: 'A12345' },
    },
  },
  'chloe-evans-p5': {
    label: 'Chloe Evans, P5 (some details checked)',
    level: 'P5',
    methods: ['Cp', 'Cd'],
    claims: {
      sub: '7d4e2a90-8c1b-4f3a-b2d5-6e9f1a2b3c34',
      nhs_number: '9990000034',
      given_name: 'Chloe',
      family_name: 'Evans',
      birthdate: '2001-07-14',
      email: 'chloe.evans@example.org',
      email_verified: true,
      phone_number: '+447700900103',
      phone_number_verified: true,
      phone_number_pds_matched: true,
      gp_registration_details: { gp_ods_code: 'A12345' },
    },
  },
};

// What tests may change and /test-only/reset puts back.
const state = {
  levels: new Map(), // sub -> proofing level reached by an identity check here
  consents: new Map(), // `${clientId} ${sub}` -> the proofing level the user agreed to share at
  assertionHeaders: {}, // client_id -> [JOSE header, ...]
  vtrByNonce: new Map(), // `${clientId} ${nonce}` -> the vtr list that authorization asked for
};

function userBySub(sub) {
  return Object.values(TEST_USERS).find((user) => user.claims.sub === sub);
}

function levelOf(user) {
  return state.levels.get(user.claims.sub) || user.level;
}

/*
 * The vector NHS login returns as `vot` (Federation 5.1.3, 5.1.4): one of those requested,
 * with the highest proofing level requested that the user holds, whose credential components
 * the user has. Undefined when the user meets none of them (an identity check is needed).
 */
function vectorFor(user, vtr) {
  const held = LEVELS.indexOf(levelOf(user));
  let best;
  let bestLevel = -1;
  for (const vector of vtr) {
    const parts = vector.split('.').filter(Boolean);
    const level = LEVELS.indexOf(parts.find((part) => part.startsWith('P')) || 'P0');
    const methods = parts.filter((part) => part.startsWith('C'));
    if (level <= held && methods.every((method) => user.methods.includes(method))) {
      if (level > bestLevel) {
        best = vector;
        bestLevel = level;
      }
    }
  }
  return best;
}

// Federation 5.1.3: components joined by dots, at most one proofing level, any may be omitted.
function isVector(vector) {
  const parts = typeof vector === 'string' ? vector.split('.') : [];
  return parts.length > 0 && parts.every((part) => COMPONENTS.has(part))
    && parts.filter((part) => part.startsWith('P')).length <= 1;
}

function parseVtr(value) {
  return value === undefined ? DEFAULT_VTR : JSON.parse(value);
}

/*
 * Claims each scope carries (Federation 3.4.1.1, Table 2) and, in the ID token, Table 16:
 * `vot` and `vtm` with every token; profile claims as the scope releases them.
 */
const CLAIMS = {
  openid: ['sub', 'vot', 'vtm', 'jti'],
  profile: ['nhs_number', 'birthdate', 'family_name', 'identity_proofing_level'],
  basic_demographics: ['birthdate', 'family_name', 'identity_proofing_level'],
  profile_extended: ['given_name'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified', 'phone_number_pds_matched'],
  gp_registration_details: ['gp_registration_details'],
};
// NHS login's "Scopes and claims" table: scopes released below P5 (P0 users) are these only.
const P0_SCOPES = new Set(['openid', 'email', 'phone']);
// Federation 4.2, Table 16: what an ID token carries besides the standard claims.
const ID_TOKEN_CLAIMS = new Set([
  'sub', 'vot', 'vtm', 'jti', 'nhs_number', 'birthdate', 'family_name', 'identity_proofing_level',
]);

async function findAccount(ctx, sub, token) {
  const user = userBySub(sub);
  if (!user) return undefined;
  return {
    accountId: sub,
    async claims(use, scope) {
      const level = levelOf(user);
      const released = new Set(
        scope.split(' ').filter((name) => level !== 'P0' || P0_SCOPES.has(name))
          .flatMap((name) => CLAIMS[name] || []),
      );
      const available = { ...user.claims, identity_proofing_level: level };
      const claims = { sub };
      for (const [name, value] of Object.entries(available)) {
        if (released.has(name) && (use === 'userinfo' || ID_TOKEN_CLAIMS.has(name))) {
          claims[name] = value;
        }
      }
      if (use === 'id_token' && token) {
        // Federation 4.2: vot is the vector achieved for this authorization, vtm its trustmark.
        const vtr = state.vtrByNonce.get(`${token.clientId} ${token.nonce}`) || DEFAULT_VTR;
        const vot = vectorFor(user, vtr);
        if (vot) claims.vot = vot;
        claims.vtm = VTM;
        claims.jti = randomBytes(16).toString('hex');
      }
      return claims;
    },
  };
}

/* NHS login's onboarding registration (Federation 7.1) as oidc-provider client metadata. */
function registeredClient(registration) {
  const publicKey = createPublicKey(readFileSync(registration.public_key));
  if (publicKey.asymmetricKeyType !== 'rsa' || publicKey.asymmetricKeyDetails.modulusLength !== 2048) {
    throw new Error(`${registration.client_id}: the public key must be a 2048-bit RSA key`);
  }
  // A PEM has no key id: the JWK registered has none either.
  const { kty, n, e } = publicKey.export({ format: 'jwk' });
  return {
    client_id: registration.client_id,
    client_name: registration.client_name || registration.client_id,
    // Federation 3.4.1 and 7.3: exact match with a registered redirect URI.
    redirect_uris: registration.redirect_uris,
    // Federation 3.4.1 and 2.1: response_type code, the authorization code flow only.
    response_types: ['code'],
    // Federation 3.4.1, Table 1: the query response mode only.
    response_modes: ['query'],
    grant_types: ['authorization_code'],
    // Federation 3.2 and 7.2: confidential clients only, authenticated with private_key_jwt.
    token_endpoint_auth_method: 'private_key_jwt',
    // Federation 4.5: RS512 for every JWT, the client's assertions and our ID tokens alike.
    token_endpoint_auth_signing_alg: 'RS512',
    id_token_signed_response_alg: 'RS512',
    jwks: { keys: [{ kty, n, e }] },
    scope: registration.scope || 'openid profile email phone gp_registration_details',
    vtr_sets: registration.vtr_sets || [DEFAULT_VTR],
    pkce_required: registration.pkce_required === true,
  };
}

function sameSet(left, right) {
  return left.length === right.length && left.every((item) => right.includes(item));
}

const { base, Check } = interactionPolicy;
const policy = base();
// Federation 3.4.1, Table 1: max_age is not supported by NHS login, so it is ignored.
policy.get('login').checks.remove('max_age');
// Federation 5.1.7: a session that does not meet the requested vectors means signing in (or
// proving who you are) again.
policy.get('login').checks.add(new Check(
  'vtr_not_met',
  'the session does not meet the requested vectors of trust',
  (ctx) => {
    const user = userBySub(ctx.oidc.session.accountId);
    if (!user) return Check.NO_NEED_TO_PROMPT; // no_session asks for a sign-in already
    return vectorFor(user, parseVtr(ctx.oidc.params.vtr))
      ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
  },
));
// NHS login asks again for consent when what it would share changes with the user's level.
policy.get('consent').checks.add(new Check(
  'identity_level_changed',
  'the user has not agreed to share at this identity level',
  (ctx) => {
    const { accountId } = ctx.oidc.session;
    const user = userBySub(accountId);
    const consented = state.consents.get(`${ctx.oidc.client.clientId} ${accountId}`);
    return user && consented !== levelOf(user) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
  },
));

const clients = JSON.parse(readFileSync(options.clients, 'utf8')).map(registeredClient);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = privateKey.export({ format: 'jwk' });
// RFC 7638 thumbprint as the key id: the portal picks our key from the JWKS by the ID token's kid.
const kid = createHash('sha256')
  .update(JSON.stringify({ e: signingJwk.e, kty: 'RSA', n: signingJwk.n }))
  .digest('base64url');

const provider = new Provider(issuer, {
  clients,
  // Federation 4.5: RS512 keys; made at start-up, published at the JWKS endpoint.
  jwks: { keys: [{ ...signingJwk, kid, alg: 'RS512', use: 'sig' }] },
  // Federation 3.3: the endpoint paths NHS login publishes through discovery.
  routes: {
    authorization: '/authorize',
    token: '/token',
    userinfo: '/userinfo',
    jwks: '/.well-known/jwks.json',
  },
  // Federation 2.1 and 3.4.1: the authorization code flow and nothing else.
  responseTypes: ['code'],
  // Federation 3.2 and 7.2: private_key_jwt only, no public clients ("none").
  clientAuthMethods: ['private_key_jwt'],
  // Federation 4.5: RS512 only.
  enabledJWA: {
    clientAuthSigningAlgValues: ['RS512'],
    idTokenSigningAlgValues: ['RS512'],
    requestObjectSigningAlgValues: ['RS512'],
    userinfoSigningAlgValues: ['RS512'],
  },
  // RFC 7636 with S256 only (RFC 9700 2.1.1: plain would show the verifier in the request).
  // NHS login documents PKCE for public clients only (Federation 3.2), which it does not
  // support; a client registered with `pkce_required` (the portal) must send it, so that a
  // sign-in here proves the portal's challenge and verifier, not merely that they are ignored.
  pkce: { methods: ['S256'], required: (ctx, client) => client.pkce_required === true },
  claims: CLAIMS,
  scopes: ['openid'],
  // Federation 4.2: the ID token carries the profile claims, not only userinfo.
  conformIdTokenClaims: false,
  // Federation 3.4.1, Table 1: vtr, NHS login's extension, checked as a JSON list of vectors
  // (5.1.3) and against the sets registered for the client; nonce is mandatory there too.
  extraParams: {
    vtr(ctx, value, client) {
      let vtr;
      try {
        vtr = parseVtr(value);
      } catch {
        throw new errors.InvalidRequest('vtr is not a JSON list');
      }
      if (!Array.isArray(vtr) || !vtr.length || !vtr.every(isVector)) {
        throw new errors.InvalidRequest('vtr is not a list of vectors of trust');
      }
      if (!client.vtr_sets.some((registered) => sameSet(registered, vtr))) {
        throw new errors.InvalidRequest('vtr is not registered for this client');
      }
      if (!ctx.oidc.params.nonce) {
        throw new errors.InvalidRequest('nonce is required');
      }
      ctx.oidc.params.vtr = JSON.stringify(vtr);
      state.vtrByNonce.set(`${client.clientId} ${ctx.oidc.params.nonce}`, vtr);
    },
  },
  extraClientMetadata: {
    properties: ['vtr_sets', 'pkce_required'],
    validator(ctx, key, value) {
      if (key === 'vtr_sets' && !(Array.isArray(value) && value.every(Array.isArray))) {
        throw new errors.InvalidClientMetadata('vtr_sets must be a list of vtr lists');
      }
      if (key === 'pkce_required' && typeof value !== 'boolean') {
        throw new errors.InvalidClientMetadata('pkce_required must be true or false');
      }
    },
  },
  findAccount,
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    // Not part of NHS login's interface (Federation 2.2: no logout; 3.3: these endpoints only).
    rpInitiatedLogout: { enabled: false },
    resourceIndicators: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
  },
  // Federation 4.4, Table 18.
  ttl: {
    AuthorizationCode: 600,
    IdToken: 3600,
    AccessToken: 300,
    Interaction: 3600,
    Session: 3600,
    Grant: 3600,
  },
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    // SameSite=None needs Secure, which plain HTTP cannot give: lax still lets the redirects
    // back from the portal carry the session.
    long: { httpOnly: true, sameSite: 'lax', signed: true },
    short: { httpOnly: true, sameSite: 'lax', signed: true },
  },
  // Test-only record of each accepted client assertion's header (the assertion is never kept).
  async assertJwtClientAuthClaimsAndHeader(ctx, claims, header, client) {
    (state.assertionHeaders[client.clientId] ||= []).push(header);
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sorry, there is a problem', `<p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`);
  },
});

// --- Pages: plain HTML, nothing loaded from anywhere -----------------------------------------

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - independent OpenID Provider (tests only)</title></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body>
</html>
`;
}

function send(res, status, html, redirectUri) {
  // The browser follows our redirects back to the client after a form post, so form-action
  // names the client's origin as well as ours.
  const formAction = redirectUri ? ` ${new URL(redirectUri).origin}` : '';
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; img-src 'self'; form-action 'self'${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  });
  res.end(html);
}

function signInPage(interaction) {
  const users = Object.entries(TEST_USERS).map(([id, user], index) => `
  <div><input type="radio" id="user-${index}" name="user" value="${id}"${index === 0 ? ' checked' : ''}>
  <label for="user-${index}">${escapeHtml(user.label)}</label></div>`).join('');
  return page('Sign in with a test user', `
<p>Vectors of trust requested: ${escapeHtml(parseVtr(interaction.params.vtr).join(', '))}</p>
<form method="post" action="/interaction/${interaction.uid}/login">
<fieldset><legend>Test user</legend>${users}
</fieldset>
<button type="submit">Continue</button>
</form>`);
}

function identityCheckPage(interaction, userId) {
  const user = TEST_USERS[userId];
  return page('Prove who you are', `
<p>${escapeHtml(user.label)}: this service needs your identity to be checked in full (P9).</p>
<form method="post" action="/interaction/${interaction.uid}/identity-check">
<input type="hidden" name="user" value="${userId}">
<button type="submit" name="decision" value="continue">Continue</button>
<button type="submit" name="decision" value="cancel">Cancel identity check</button>
</form>`);
}

function consentPage(interaction, client) {
  const user = userBySub(interaction.session.accountId);
  const scopes = interaction.params.scope.split(' ').filter((name) => CLAIMS[name] && name !== 'openid');
  const items = scopes.map((name) => `<li>${escapeHtml(CLAIMS[name].join(', '))}</li>`).join('');
  return page(`Share your NHS login information with ${client.clientName}`, `
<p>${escapeHtml(user.label)}, identity level ${escapeHtml(levelOf(user))}.</p>
<ul>${items}</ul>
<form method="post" action="/interaction/${interaction.uid}/consent">
<button type="submit" name="decision" value="share">Share my information</button>
<button type="submit" name="decision" value="decline">Do not share</button>
</form>`);
}

async function formBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

function userIdOf(sub) {
  return Object.keys(TEST_USERS).find((id) => TEST_USERS[id].claims.sub === sub);
}

async function interactionRoute(req, res, path) {
  const [, , uid, step] = path.split('/');
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
  const { prompt, params } = interaction;
  const vtr = parseVtr(params.vtr);
  const finish = (result) => provider.interactionFinished(req, res, result, {
    mergeWithLastSubmission: false,
  });

  if (req.method === 'GET' && !step) {
    if (prompt.name === 'login') {
      const signedIn = userIdOf(interaction.session?.accountId);
      // Single sign-on that falls short of the vectors asked for: the identity check, not a
      // new sign-in (Federation 5.1.6.3; NHS login's "Step up from P5 to P9" page).
      const stepUp = signedIn && !prompt.reasons.includes('login_prompt')
        && prompt.reasons.includes('vtr_not_met');
      return send(res, 200, stepUp ? identityCheckPage(interaction, signedIn) : signInPage(interaction),
        params.redirect_uri);
    }
    const client = await provider.Client.find(params.client_id);
    return send(res, 200, consentPage(interaction, client), params.redirect_uri);
  }
  if (req.method !== 'POST') return send(res, 405, page('Method not allowed', ''));
  const form = await formBody(req);

  if (step === 'login' && prompt.name === 'login') {
    const userId = form.get('user');
    const user = TEST_USERS[userId];
    if (!user) return send(res, 400, page('Choose a test user', ''), params.redirect_uri);
    if (!vectorFor(user, vtr)) return send(res, 200, identityCheckPage(interaction, userId), params.redirect_uri);
    return finish({ login: { accountId: user.claims.sub } });
  }
  if (step === 'identity-check' && prompt.name === 'login') {
    const user = TEST_USERS[form.get('user')];
    if (!user) return send(res, 400, page('Choose a test user', ''), params.redirect_uri);
    if (form.get('decision') !== 'continue') {
      // Contract with the portal: a cancelled identity check is access_denied, no description.
      return finish({ error: 'access_denied' });
    }
    state.levels.set(user.claims.sub, 'P9');
    return finish({ login: { accountId: user.claims.sub } });
  }
  if (step === 'consent' && prompt.name === 'consent') {
    const { accountId } = interaction.session;
    if (form.get('decision') !== 'share') {
      // NHS login's decline: back to the redirect URI with access_denied and nothing more.
      return finish({ error: 'access_denied' });
    }
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: params.client_id });
    grant.addOIDCScope(params.scope);
    const grantId = await grant.save();
    state.consents.set(`${params.client_id} ${accountId}`, levelOf(userBySub(accountId)));
    return finish({ consent: { grantId } });
  }
  return send(res, 400, page('That step is not expected now', ''), params.redirect_uri);
}

function trustmark(res) {
  // Federation 5.1.5's example shape.
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({
    idp: issuer, trustmark_provider: issuer, P: LEVELS, C: ['Cp', 'Cd', 'Ck', 'Cm'],
  }));
}

function testOnly(req, res, path) {
  if (path === '/test-only/client-assertion-headers' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(state.assertionHeaders));
  }
  if (path === '/test-only/reset' && req.method === 'POST') {
    state.levels.clear();
    state.consents.clear();
    state.assertionHeaders = {};
    state.vtrByNonce.clear();
    res.writeHead(204);
    return res.end();
  }
  res.writeHead(404);
  return res.end();
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  try {
    if (pathname.startsWith('/interaction/')) return await interactionRoute(req, res, pathname);
    if (pathname === TRUSTMARK_PATH) return trustmark(res);
    if (pathname.startsWith('/test-only/')) return testOnly(req, res, pathname);
    return callback(req, res);
  } catch (error) {
    process.stderr.write(`interaction failed: ${error.name}: ${error.message}\n`);
    return send(res, 400, page('Sorry, there is a problem', `<p>${escapeHtml(error.message)}</p>`));
  }
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
