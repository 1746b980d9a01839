"""rendered_once (core/jinja2.py): an NHS.UK component rendered once per process for the same
parameters, with the patient's name put in afterwards, and always the markup the component
itself gives."""

from __future__ import annotations

from collections import UserString
from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from pytest_django.fixtures import Settings as SettingsWrapper

from core.jinja2 import PATIENT_NAME_PLACEHOLDER, environment

HEADER = '{% from "nhsuk/components/header/macro.jinja" import header %}'
FOOTER = '{% from "nhsuk/components/footer/macro.jinja" import footer %}'


@pytest.fixture
def jinja() -> Environment:
    environment: Environment = engines["jinja2"].env  # type: ignore[attr-defined]
    return environment


def _header_params(name: str) -> dict[str, Any]:
    return {
        "service": {"text": "Your GP record", "href": "/home/"},
        "logo": {"href": "/home/", "alt": "NHS"},
        "account": {
            "items": [
                {"text": name, "icon": True},
                {"href": "https://settings.login.nhs.uk", "text": "NHS login settings"},
                {"href": "/sign-out/", "text": "Sign out"},
            ]
        },
    }


def _once(jinja: Environment, name: str) -> str:
    return jinja.from_string(
        HEADER + "{{ rendered_once(header, params, fill={placeholder: name}) }}"
    ).render(
        params=_header_params(PATIENT_NAME_PLACEHOLDER),
        placeholder=PATIENT_NAME_PLACEHOLDER,
        name=name,
    )


def _directly(jinja: Environment, name: str) -> str:
    return jinja.from_string(HEADER + "{{ header(params) }}").render(params=_header_params(name))


@pytest.mark.parametrize(
    "name",
    [
        "Ava Thompson",
        "Siobhán O'Neill-Ünal",
        '<script>alert("x")</script> & co',
        # Text the header would trim, or whose line break it would indent: rendered directly.
        "  Ava Thompson ",
        "Ava\nThompson",
        # A placeholder's mark in a name: rendered directly, never taken for a placeholder.
        "Ava \ue000birthdate\ue000",
        # No name: the header leaves the item's text out.
        "",
    ],
)
def test_the_header_is_the_component_s_own_markup_for_every_name(
    jinja: Environment, name: str
) -> None:
    first = _once(jinja, name)
    again = _once(jinja, name)

    assert first == again == _directly(jinja, name)
    assert PATIENT_NAME_PLACEHOLDER not in first


def test_a_name_with_markup_is_shown_as_text(jinja: Environment) -> None:
    markup = _once(jinja, "<b>Ava</b>")

    assert "&lt;b&gt;Ava&lt;/b&gt;" in markup
    assert "<b>Ava" not in markup


def test_two_patients_share_one_rendering(tmp_path: Path) -> None:
    counted = _counting_macro(tmp_path)

    names = [counted.render(text="Ava Thompson"), counted.render(text="Kai Jones")]

    assert names == ["1:Ava Thompson", "1:Kai Jones"]


def _counting_macro(folder: Path) -> Any:
    """A component, in a template file of its own, that says how many times it has been
    rendered, with the name put in."""
    calls = {"count": 0}

    def count() -> int:
        calls["count"] += 1
        return calls["count"]

    (folder / "counted.jinja").write_text(
        "{% macro counted(params) %}{{ count() }}:{{ params.name }}{% endmacro %}"
        "{{ rendered_once(counted, {'name': placeholder}, fill={placeholder: text}) }}"
    )
    templates = environment(loader=FileSystemLoader(folder), autoescape=True)
    templates.globals.update(count=count, placeholder=PATIENT_NAME_PLACEHOLDER)
    return templates.get_template("counted.jinja")


def test_templates_that_reload_are_rendered_each_time(
    tmp_path: Path, settings: SettingsWrapper
) -> None:
    settings.DEBUG = True
    counted = _counting_macro(tmp_path)

    assert [counted.render(text="Ava"), counted.render(text="Ava")] == ["1:Ava", "2:Ava"]


def test_markup_and_text_parameters_are_told_apart(jinja: Environment) -> None:
    """The same characters as markup and as text render differently: never one for the other."""
    template = jinja.from_string(FOOTER + "{{ rendered_once(footer, {'copyright': copyright}) }}")

    as_text = template.render(copyright="<i>NHS</i>")
    as_markup = template.render(copyright=Markup("<i>NHS</i>"))

    assert "&lt;i&gt;NHS&lt;/i&gt;" in as_text
    assert "<i>NHS</i>" in as_markup


def test_parameters_that_cannot_be_keyed_are_rendered_each_time(jinja: Environment) -> None:
    """Text as an object that is not a str (as a lazy translation would be)."""
    template = jinja.from_string(
        HEADER + "{{ rendered_once(header, {'service': {'text': service}}) }}"
    )

    assert "Practice one" in template.render(service=UserString("Practice one"))
    assert "Practice two" in template.render(service=UserString("Practice two"))


SUMMARY_LIST = '{% from "nhsuk/components/summary-list/macro.jinja" import summaryList %}'


def _rows(values: dict[str, str]) -> dict[str, Any]:
    return {
        "rows": [{"key": {"text": key}, "value": {"text": value}} for key, value in values.items()]
    }


@pytest.mark.parametrize(
    "details",
    [
        {"Name": "Ava Thompson", "NHS number": "999 000 0018", "Date of birth": "5 March 1985"},
        {"Name": "O'Neill & <Sons>", "Date of birth": "Not given"},
        # An empty value would be left out by the component: rendered directly.
        {"Name": "Kai Jones", "GP practice code": ""},
    ],
)
def test_a_patient_s_details_are_the_summary_list_s_own_markup(
    jinja: Environment, details: dict[str, str]
) -> None:
    """Each value a placeholder, put in afterwards, as the signed-in page does."""
    holders = {key: f"\ue000{index}\ue000" for index, key in enumerate(details)}
    once = jinja.from_string(SUMMARY_LIST + "{{ rendered_once(summaryList, params, fill=fill) }}")
    directly = jinja.from_string(SUMMARY_LIST + "{{ summaryList(params) }}")

    rendered = once.render(
        params=_rows(holders), fill={holders[key]: value for key, value in details.items()}
    )

    assert rendered == directly.render(params=_rows(details))


def test_a_macro_of_a_template_from_a_string_is_rendered_each_time(jinja: Environment) -> None:
    """Such templates have no file to tell their macros apart by."""
    template = jinja.from_string(
        "{% macro part(params) %}{{ count() }}{% endmacro %}{{ rendered_once(part, {}) }}"
    )
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    template.globals["count"] = count

    assert [template.render(), template.render()] == ["1", "2"]


def test_macros_of_the_same_name_in_two_templates_are_told_apart(tmp_path: Path) -> None:
    part = "{% macro part(params) %}NAME {{ params.text }}{% endmacro %}"
    use = "{{ rendered_once(part, {'text': 'x'}) }}"
    for name in ("first", "second"):
        (tmp_path / f"{name}.jinja").write_text(part.replace("NAME", name) + use)
    templates = environment(loader=FileSystemLoader(tmp_path), autoescape=True)

    assert [templates.get_template(f"{name}.jinja").render() for name in ("first", "second")] == [
        "first x",
        "second x",
    ]


@pytest.mark.parametrize(
    ("component", "macro", "params"),
    [
        ("skip-link", "skipLink", {"href": "#maincontent", "text": "Skip to main content"}),
        ("back-link", "backLink", {"href": "/home/linkage-details/", "text": "Back"}),
        (
            "details",
            "details",
            {"summaryText": "What is a GP practice code?", "text": "A code & <its> reason."},
        ),
    ],
)
def test_the_layout_s_other_components_are_their_own_markup(
    jinja: Environment, component: str, macro: str, params: dict[str, Any]
) -> None:
    """The skip link and back link of every page, and the home page's details component."""
    imported = f'{{% from "nhsuk/components/{component}/macro.jinja" import {macro} %}}'
    once = jinja.from_string(imported + f"{{{{ rendered_once({macro}, params) }}}}")
    directly = jinja.from_string(imported + f"{{{{ {macro}(params) }}}}")

    assert (
        once.render(params=params) == once.render(params=params) == directly.render(params=params)
    )
