"""An independent OpenID Provider for the sign-in tests: panva's oidc-provider, configured like
NHS login by provider.mjs, run as a process of its own (server.py) and driven over HTTP like a
browser (driver.py). docs/adr/0009-independent-openid-provider-in-tests.md says why."""
