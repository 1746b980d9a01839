"""Settings, split by where the portal runs (docs/adr/0003-settings-layout.md).

``base`` reads every value from the environment once, composing the modules of
``components/`` (one per integration); ``local``, ``test``, ``stack`` and ``production`` only
change defaults or add checks. Nothing outside this package reads ``os.environ``.
"""
