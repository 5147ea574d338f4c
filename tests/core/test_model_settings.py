"""model.Settings is a declared dataclass (editors see its fields); it must stay equal to spec.SETTINGS."""
from dataclasses import fields

from reconciler import model, spec


def test_settings_fields_are_the_spec_rows_in_order():
    assert [f.name for f in fields(model.Settings)] == [s.attr for s in spec.SETTINGS]


def test_sensitive_settings_stay_out_of_repr():
    by_name = {f.name: f for f in fields(model.Settings)}
    for s in spec.SETTINGS:
        assert by_name[s.attr].repr is (not s.sensitive), s.attr
        assert by_name[s.attr].default is None, s.attr
    assert "SECRET1" not in repr(model.Settings(invite_code="SECRET1"))


def test_settings_are_frozen_and_compare_by_value():
    a = model.Settings(profit_rate=__import__("decimal").Decimal("0.1"))
    b = model.Settings(profit_rate=__import__("decimal").Decimal("0.10"))
    assert a == b
    try:
        a.profit_rate = None
    except AttributeError:
        pass
    else:
        raise AssertionError("Settings must be frozen")
