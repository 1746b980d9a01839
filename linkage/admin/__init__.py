"""Django admin for practice staff (docs/adr/0013), one module per thing they manage.

Staff belong to practices (PracticeStaff); every queryset of practice data is limited to those
practices (``scoping``), and a superuser sees all. Linkage keys change only through the
services, so every revoke, reissue and "show key" is audited; audit events can be read and
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
