"""Buttons and labels in the kiosk's look (rules in buttons.kv)."""

from __future__ import annotations

from kivy.properties import ColorProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.label import Label

from kiosk.ui import theme

ICON_FONT = "data/fonts/DejaVuSans.ttf"  # Kivy's bundled DejaVu has ⌫ and ✓, Roboto has not


class KButton(Button):
    """A flat, rounded touch button; `bg` is its colour, the text colour follows for contrast.

    `key` names the button for tests and logs (it does not change with the language).
    """

    bg = ColorProperty(theme.NEUTRAL)
    key = StringProperty("")


class KLabel(Label):
    """A left-aligned label that wraps inside its width (dark text by default)."""


class Caption(Label):
    """A single-line label that shortens with an ellipsis instead of overflowing."""
