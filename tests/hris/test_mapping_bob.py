"""Bob payloads: nested from dotted field ids, the default site, and what is refused before any call."""

from __future__ import annotations

import pytest

from hirebridge.connectors.bob.mapping import build_payload, nest, update_payload
from hirebridge.connectors.errors import RejectedError
from tests.hris.helpers import a_hire


def test_a_full_hire_maps_to_the_documented_nested_shape() -> None:
    hire = a_hire()
    assert build_payload(hire, {}, {}) == {
        "firstName": "Ada",
        "surname": "Lovelace",
        "email": hire.email,
        "home": {"mobilePhone": "+44 20 7946 0000"},
        "work": {
            "title": "Software Engineer",
            "department": "Engineering",
            "site": "London",
            "startDate": "2031-03-01",
        },
    }


def test_the_default_site_is_used_only_without_a_location() -> None:
    assert build_payload(a_hire(location=None), {}, {"defaultSite": "New York"})["work"]["site"] == "New York"
    assert build_payload(a_hire(), {}, {"defaultSite": "New York"})["work"]["site"] == "London"


def test_overrides_move_drop_and_add_fields_and_root_paths_are_bare() -> None:
    hire = a_hire(custom_fields={"shirt": "M"})
    payload = build_payload(
        hire,
        {"job_title": None, "phone": "root.mobile", "shirt": "custom.category_1.field_9", "salary": "payroll.x"},
        {},
    )
    assert "title" not in payload["work"]
    assert payload["mobile"] == "+44 20 7946 0000"
    assert "home" not in payload
    assert payload["custom"] == {"category_1": {"field_9": "M"}}
    assert payload["payroll"] == {"x": "85000.00"}


@pytest.mark.parametrize(
    ("hire", "settings", "reason"),
    [
        (a_hire(email=None), {}, "an email"),
        (a_hire(location=None), {}, r"a site \(work.site\)"),
        (a_hire(start_date=None), {}, r"a start date \(work.startDate\)"),
        (a_hire(last_name=""), {}, "a first name and a surname"),
    ],
)
def test_what_bob_requires_is_refused_before_any_call(hire: object, settings: dict[str, str], reason: str) -> None:
    with pytest.raises(RejectedError, match=reason):
        build_payload(hire, {}, settings)  # type: ignore[arg-type]


def test_every_missing_requirement_is_named_at_once() -> None:
    with pytest.raises(RejectedError) as caught:
        build_payload(a_hire(email=None, location=None, start_date=None), {}, {})
    assert all(part in caught.value.message for part in ("an email", "a site", "a start date"))


def test_a_mapping_that_nests_a_field_inside_a_value_is_refused() -> None:
    with pytest.raises(RejectedError, match=r"inside 'work\.site'"):
        nest({"work.site": "London", "work.site.name": "x"})
    with pytest.raises(RejectedError, match="other mapped fields sit inside it"):
        nest({"work.site.name": "x", "work.site": "London"})


def test_an_update_leaves_out_what_put_people_does_not_take() -> None:
    payload = build_payload(a_hire(), {}, {})
    assert update_payload(payload) == {"firstName": "Ada", "surname": "Lovelace", "home": payload["home"]}
