"""The `control` filter renders radios and checkbox lists as one Bootstrap form-check per choice
(GEN-04): the class once on the wrapper squeezed every label to one character a line."""

from bs4 import BeautifulSoup
from django import forms
from django.template import Context, Template


class Choices(forms.Form):
    scope = forms.ChoiceField(choices=[("one", "仅此邮件"), ("all", "All mail from this address")],
                              widget=forms.RadioSelect, initial="one")
    products = forms.MultipleChoiceField(choices=[("led", "LED"), ("pv", "光伏板")],
                                         widget=forms.CheckboxSelectMultiple, required=False)


def rendered(form, name: str) -> BeautifulSoup:
    html = Template("{% load tradeport %}{{ field|control }}").render(Context({"field": form[name]}))
    return BeautifulSoup(html, "html.parser")


def test_radios_are_form_checks_with_their_labels():
    """GEN-04, MAIL-06: each radio is a form-check-input with its own label; the wrapper carries no
    input class; the initial choice is checked."""
    soup = rendered(Choices(), "scope")
    wrapper = soup.find("div", id="id_scope")
    assert "form-check-input" not in wrapper.get("class", [])
    checks = wrapper.find_all("div", class_="form-check")
    assert [c.label.get_text() for c in checks] == ["仅此邮件", "All mail from this address"]
    for check in checks:
        radio = check.find("input")
        assert radio["type"] == "radio"
        assert radio["class"] == ["form-check-input"]
        assert check.label["for"] == radio["id"]
    assert soup.find("input", value="one").has_attr("checked")


def test_checkbox_lists_post_back_what_was_ticked():
    """GEN-04: the rendered names and values are what the form reads back."""
    form = Choices(data={"scope": "all", "products": ["pv"]})
    assert form.is_valid()
    soup = rendered(form, "products")
    boxes = soup.find_all("input", type="checkbox")
    assert [(b["name"], b["value"], b.has_attr("checked")) for b in boxes] == [
        ("products", "led", False), ("products", "pv", True)]
    assert soup.find("input", value="all") is None  # another field's choices stay out
