"""Form refusals in words that name the field (the API's models decide what is valid)."""

from __future__ import annotations

import pytest

from pipeline.console.errors import FormError
from pipeline.console.forms import blank_to_none, parse
from tenancy.models import ApiKeyCreate, TenantCreate


def test_each_failing_field_gets_its_own_sentence() -> None:
    with pytest.raises(FormError) as caught:
        parse(TenantCreate, {"tenantId": "Bad Id", "name": "", "subdomain": "-x-"})
    assert caught.value.fields == {
        "tenantId": "use 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter "
        "or digit",
        "name": "is required",
        "subdomain": "use lowercase letters, digits and '-', not at either end",
    }


def test_missing_and_unknown_fields() -> None:
    with pytest.raises(FormError) as caught:
        parse(ApiKeyCreate, {"nickname": "x"})
    assert caught.value.fields == {"name": "is required", "nickname": "is not a field of this form"}


def test_empty_optional_inputs_are_not_given() -> None:
    assert blank_to_none({"a": " ", "b": "", "c": "x"}, "a", "c") == {"b": "", "c": "x"}
