"""Django admin for practice staff (docs/adr/0013), one module per thing they manage.

Staff belong to practices (PracticeStaff); every queryset of practice data is limited to those
practices (``scoping``), and a superuser sees all. Every write that decides who reaches
linkage information goes through an audited service (linkage/services.py,
linkage/practices.py, linkage/api_clients/registration.py, and the register import of
linkage/register_import.py): each key issued, revoked or reissued and each "show key", each
register import, each practice's online services switched on or off, each API client
registered, changed or disabled. Practices added or renamed and staff memberships,
superusers' work, are kept in the admin's own history. Audit events can be read and
exported, never changed.

Django's autodiscovery imports this package: importing each module registers its ModelAdmin.
"""

from linkage.admin import (
    api_clients,
    audit_events,
    linkage_keys,
    practices,
    register,
    staff,
)

__all__ = ["api_clients", "audit_events", "linkage_keys", "practices", "register", "staff"]
