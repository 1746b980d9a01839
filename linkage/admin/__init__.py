"""Django admin for practice staff (docs/adr/0013), one module per thing they manage.

Staff belong to practices (PracticeStaff); every queryset of practice data is limited to those
practices (``scoping``), and a superuser sees all. Every write made here, other than the
register import (linkage/register_import.py) and the superusers' own records (new practices,
staff memberships), goes through an audited service of linkage/services.py: each revoke,
reissue and "show key", each practice's online services switched on or off and each API
client disabled is recorded. Audit events can be read and exported, never changed.

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
