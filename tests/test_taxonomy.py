from pathlib import Path

import pytest

from touchtext.errors import TaxonomyError
from touchtext.taxonomy import Taxonomy, load_taxonomy

REQUIRED = {
    "marketing",
    "digital",
    "pricing",
    "ordering",
    "onboarding",
    "delivery",
    "baggage",
    "product_quality",
    "support",
    "staff",
    "billing",
    "refunds",
    "facilities",
    "signage",
    "parking",
    "food_beverage",
    "security",
    "contract",
}


def test_default_taxonomy_covers_the_lifecycle():
    tax = load_taxonomy()
    assert set(tax.ids) == REQUIRED
    assert {t.stage for t in tax.touchpoints} == {
        "awareness",
        "research",
        "purchase",
        "onboarding_delivery",
        "usage",
        "support",
        "billing",
        "renewal_exit",
    }
    assert {t.facing for t in tax.touchpoints} == {"customer_facing", "customer_touching"}
    assert all(t.description and t.name for t in tax.touchpoints)
    assert tax.get("billing").facing == "customer_touching"


def test_unknown_touchpoint_lists_valid_ids():
    with pytest.raises(TaxonomyError, match="valid ids: marketing, digital"):
        load_taxonomy().get("invoices")


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "tax.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_custom_taxonomy_loads(tmp_path):
    p = _write(
        tmp_path,
        """
name = "mini"
[[touchpoint]]
id = "wifi"
name = "Wi-Fi"
description = "Wireless internet"
stage = "usage"
facing = "customer_touching"
""",
    )
    tax = load_taxonomy(p)
    assert tax.name == "mini" and tax.ids == ("wifi",)
    assert Taxonomy.from_dict(tax.to_dict()) == tax


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[touchpoint]]\nid="a"\nname="A"\nstage="lunch"\nfacing="customer_facing"', "valid stages: awareness"),
        ('[[touchpoint]]\nid="a"\nname="A"\nstage="usage"\nfacing="sideways"', "valid values: customer_facing"),
        ('[[touchpoint]]\nid="Bad Id"\nname="A"\nstage="usage"\nfacing="customer_facing"', "lowercase letters"),
        ('[[touchpoint]]\nid="a"\nstage="usage"\nfacing="customer_facing"', "lacks name"),
        ('name = "x"', "defines no touchpoints"),
        ("this is = = not toml", "not valid TOML"),
        (
            '[[touchpoint]]\nid="a"\nname="A"\nstage="usage"\nfacing="customer_facing"\n'
            '[[touchpoint]]\nid="a"\nname="B"\nstage="usage"\nfacing="customer_facing"',
            "more than once",
        ),
    ],
)
def test_bad_taxonomy_files_are_explained(tmp_path, body, message):
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(_write(tmp_path, body))


def test_missing_taxonomy_file(tmp_path):
    with pytest.raises(TaxonomyError, match="does not exist"):
        load_taxonomy(tmp_path / "nope.toml")
