"""The Jinja2 environment for every page (docs/adr/0002-jinja2-and-nhsuk-frontend.md).

Templates in ``templates/`` and apps' ``jinja2/`` folders come first; the NHS.UK components
come from the nhsuk-frontend-jinja package, imported as ``nhsuk/components/<name>/macro.jinja``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader

from core.wording import GP_PRACTICE_CODE


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """Reverse a URL name, as Django templates' ``{% url %}`` does."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(**options: Any) -> Environment:
    """Build the environment Django's Jinja2 backend renders with.

    ``ChainableUndefined`` is what the nhsuk-frontend-jinja macros require: they read nested
    optional parameters such as ``params.service.href`` without checking each level.
    """
    options["loader"] = ChoiceLoader([options["loader"], PackageLoader("nhsuk_frontend_jinja")])
    options["undefined"] = ChainableUndefined
    # "do" lets templates build the item lists the NHS.UK macros take.
    options["extensions"] = [*options.get("extensions", []), "jinja2.ext.do"]
    jinja_environment = Environment(**options)  # noqa: S701 - Django's backend turns autoescape on
    jinja_environment.globals.update(
        {
            "static": static,
            "static_url": settings.STATIC_URL,
            "url": url,
            "service_name": settings.SERVICE_NAME,
            "gp_practice_code": GP_PRACTICE_CODE,
        }
    )
    return jinja_environment
