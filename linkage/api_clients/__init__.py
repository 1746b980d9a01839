"""The systems allowed to call the linkage API, in one place: their registration and its rules
(``registration``), what each may do now, cached for the hot path (``state``), and the key
sets of those that publish their keys at a JWKS URL (``key_sets``). How a client proves who it
is on each call is the API's own concern: linkage/api_auth.py."""
