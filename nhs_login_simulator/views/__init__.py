"""The simulator's endpoints. Every one is public: NHS login is not behind the portal's sign-in.

Sign-in state lives in the simulator's own signed cookie, never in the portal's session, so
signing out of the portal leaves the NHS login session as the real one would be. Its pages set
their own Content-Security-Policy, so they work whether or not the portal's CSP middleware acts
on them.
"""
