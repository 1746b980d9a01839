"""The settings of ``base``, one module per integration (docs/adr/0003-settings-layout.md):
``base`` composes them, and none is ever a DJANGO_SETTINGS_MODULE itself.

Each module reads its own variables from the environment with django-environ (``portal.env``)
and imports from the others only the values it builds on, by name.
"""
