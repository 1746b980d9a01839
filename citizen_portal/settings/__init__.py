"""Settings, split by where the portal runs (docs/adr/0003-settings-layout.md).

``base`` reads every value from the environment once; ``local``, ``test`` and ``production``
only change defaults or add checks. Nothing outside this package reads ``os.environ``.
"""
