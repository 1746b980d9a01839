"""The Jinja2 environment for every page (docs/adr/0002-jinja2-and-nhsuk-frontend.md).

Templates in ``templates/`` and apps' ``jinja2/`` folders come first; the NHS.UK components
come from the nhsuk-frontend-jinja package, imported as ``nhsuk/components/<name>/macro.jinja``.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader, Undefined
from jinja2.runtime import Macro
from markupsafe import Markup, escape

from core.wording import GP_PRACTICE_CODE


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """Reverse a URL name, as Django templates' ``{% url %}`` does.

    Remembered per URL configuration and script prefix (the admin's own host has its own
    configuration, core/admin_host.py): a page reverses a dozen names, the same on every
    page, and each reverse costs more than the rest of its link."""
    try:
        return _reversed(
            get_urlconf() or settings.ROOT_URLCONF,
            get_script_prefix(),
            name,
            args,
            tuple(kwargs.items()),
        )
    except TypeError:  # an argument that cannot be a key
        return reverse(name, args=args or None, kwargs=kwargs or None)


@receiver(setting_changed)
def _reversed_forget(**kwargs: Any) -> None:
    """A test that changes the URLs (ROOT_URLCONF, the admin's host) starts afresh."""
    _reversed.cache_clear()


@functools.lru_cache(maxsize=1024)
def _reversed(
    urlconf: Any,
    prefix: str,
    name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
) -> str:
    return reverse(name, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


def placeholder(name: str) -> str:
    """What stands in a component's parameters for a text put in after rendering
    (``rendered_once``): the name between private-use characters, which escaping leaves as
    they are and no claim or setting holds."""
    return f"\ue000{name}\ue000"


PATIENT_NAME_PLACEHOLDER = placeholder("patient name")

# Each NHS.UK component rendered by ``rendered_once``, by its macro and parameters.
_rendered: dict[tuple[str, int, str, Hashable], str] = {}
_RENDERED_KEPT = 256


def _frozen(value: Any) -> Hashable:
    """The parameters as a key: dictionaries, lists, strings (markup told from text, which
    render differently), numbers, booleans, None and left out; anything else cannot be
    keyed."""
    if isinstance(value, Markup):
        return ("markup", str(value))
    if isinstance(value, Undefined):  # a parameter the page left out, as signed out
        return ("undefined",)
    if value is None or isinstance(value, str | int | float | bool):
        return (type(value).__name__, value)
    if isinstance(value, Mapping):
        return ("dict", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("list", tuple(_frozen(item) for item in value))
    raise TypeError(f"cannot key a {type(value).__name__}")


def _fits_in_place(text: str) -> bool:
    """Text that the component would show exactly as given, escaped: the header leaves out an
    empty account item's text and trims the rest, a line break would be indented with the
    markup around it, and a placeholder's own mark would be taken for another's."""
    return (
        bool(text)
        and text == text.strip()
        and not any(mark in text for mark in ("\n", "\r", "\ue000"))
    )


def rendered_once(
    macro: Macro, params: dict[str, Any], fill: Mapping[str, str] | None = None
) -> Markup:
    """An NHS.UK component's markup, rendered once per process for the same parameters.

    The nhsuk-frontend-jinja macros are pure (their markup depends on their parameters alone)
    but costly: the header alone was a third of the signed-in page's CPU, most of it in the
    ``indent`` filter. The page's header and footer are the same on every page, but for the
    patient's name, and a patient's details differ from another's only in their values:
    ``fill`` maps a placeholder put in ``params`` to the text it stands for, which goes in
    escaped after rendering, so every patient shares one rendering. A text the
    component would change (``_fits_in_place``), parameters that cannot be keyed, a macro of
    a template made from a string (no file tells it apart), or templates that reload
    (``DEBUG``) are rendered afresh each time (docs/adr/0029).
    """
    fill = fill or {}
    if settings.DEBUG or not all(_fits_in_place(text) for text in fill.values()):
        return _filled_directly(macro, params, fill)
    code = getattr(getattr(macro, "_func", None), "__code__", None)
    if code is None or code.co_filename == "<template>":  # no template file to tell it by
        return _filled_directly(macro, params, fill)
    try:
        # The template the macro is defined in, where, and its name: two templates' macros of
        # the same name are never taken for each other.
        key = (code.co_filename, code.co_firstlineno, macro.name, _frozen(params))
    except TypeError:
        return _filled_directly(macro, params, fill)
    markup = _rendered.get(key)
    if markup is None:
        if len(_rendered) >= _RENDERED_KEPT:
            _rendered.clear()
        markup = _rendered[key] = str(macro(params))
    for holder, text in fill.items():
        markup = markup.replace(str(escape(holder)), str(escape(text)))
    return Markup(markup)  # noqa: S704 - the component's own markup, each filled text escaped


def _filled_directly(macro: Macro, params: Any, fill: Mapping[str, str]) -> Markup:
    """The component rendered with each placeholder's own text in its parameters."""
    if not fill:
        return Markup(macro(params))  # noqa: S704 - the component's own markup

    def filled(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, Markup) and value in fill:
            return fill[value]
        if isinstance(value, Mapping):
            return {key: filled(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [filled(item) for item in value]
        return value

    return Markup(macro(filled(params)))  # noqa: S704 - the component's own markup


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
            "rendered_once": rendered_once,
            "patient_name_placeholder": PATIENT_NAME_PLACEHOLDER,
            "placeholder": placeholder,
            "service_name": settings.SERVICE_NAME,
            "gp_practice_code": GP_PRACTICE_CODE,
        }
    )
    return jinja_environment
