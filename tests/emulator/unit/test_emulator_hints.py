"""The emulator reads values from prompts the way a reader would."""

from __future__ import annotations

from nebius_inference.testing._hints import Hints


def test_a_closing_quote_is_not_part_of_a_name() -> None:
    assert "Spirited Away" in Hints("Review the film 'Spirited Away' for me.").proper_nouns()


def test_keyed_values_stop_at_the_end_of_their_line() -> None:
    hints = Hints("Vendor: Acme Tools\nInvoice number: INV-2041\nTotal: 249.90 EUR\nPaid: no")
    assert hints.keyed("vendor") == "Acme Tools"
    assert hints.keyed("invoice_number") == "INV-2041"
    assert hints.keyed("total") == "249.90 EUR"
