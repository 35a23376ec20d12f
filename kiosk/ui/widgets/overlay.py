"""The intervention overlay (rules in overlay.kv): what the lane is waiting for, in yellow.

Before an attendant logs in it shows each open intervention and a PIN pad marked "staff only"
(scanning a staff badge logs in too); after login each intervention gets Approve and Reject, and
the attendant panel shows the lane actions, each device's status and the upload queue. It covers
the screen below the header and swallows touches, so a shopper cannot pay around an age check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui.intents import (
    Approve,
    AttendantLogout,
    AttendantPin,
    Cancel,
    CloseLane,
    Intent,
    OpenLane,
    Reject,
    ReprintReceipt,
    StaffPanel,
)
from kiosk.ui.viewmodel import DeviceRowView, LaneView, MessageView

Emit = Callable[[Intent], None]


class InterventionItem(BoxLayout):
    """One open intervention; the buttons show only to a logged-in attendant."""

    intervention_id = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    blocks_text = StringProperty("")
    logged_in = BooleanProperty(False)
    can_clear = BooleanProperty(False)
    emit = ObjectProperty(None, allownone=True)

    def approve(self) -> None:
        self.emit(Approve(self.intervention_id))

    def reject(self) -> None:
        self.emit(Reject(self.intervention_id))


class PinPad(BoxLayout):
    """Staff number and PIN on one keypad. OK on the number moves to the PIN; OK on the PIN
    emits AttendantPin and forgets both (a PIN never stays on screen).
    """

    field = OptionProperty("id", options=["id", "pin"])
    can_close = BooleanProperty(False)  # staff panel opened by hand: offer to close it again
    attendant_id = StringProperty("")
    pin = StringProperty("")
    emit = ObjectProperty(None, allownone=True)

    def on_kv_post(self, base_widget: object) -> None:
        self.ids.pad.bind(value=self._typed)

    def _typed(self, _pad: object, value: str) -> None:
        if self.field == "id":
            self.attendant_id = value
        else:
            self.pin = value

    def choose(self, field: str) -> None:
        """Make the pad edit `field` ("id" or "pin")."""
        self.field = field
        self.ids.pad.value = self.attendant_id if field == "id" else self.pin

    def ok(self) -> None:
        if self.field == "id" or not self.pin:
            if self.attendant_id:
                self.choose("pin")
            return
        if not self.attendant_id:
            self.choose("id")
            return
        intent = AttendantPin(self.attendant_id, self.pin)
        self.reset()
        if self.emit is not None:
            self.emit(intent)

    def reset(self) -> None:
        self.attendant_id = ""
        self.pin = ""
        self.choose("id")

    def close(self) -> None:
        self.reset()
        if self.emit is not None:
            self.emit(StaffPanel(open=False))


LANE_ACTION_INTENTS: dict[str, Callable[[], Intent]] = {
    "open_lane": OpenLane,
    "close_lane": CloseLane,
    "cancel_basket": Cancel,
    "reprint_receipt": ReprintReceipt,
}


class DeviceRow(BoxLayout):
    """One device: name, status in words (coloured too), and its outages."""

    name = StringProperty("")
    status_text = StringProperty("")
    online = BooleanProperty(True)
    outages_text = StringProperty("")


class AttendantPanel(BoxLayout):
    """Who is logged in, what they may do to the lane, device and upload status, Log out."""

    name = StringProperty("")
    upload_text = StringProperty("")
    has_devices = BooleanProperty(False)
    emit = ObjectProperty(None, allownone=True)

    def show_status(self, rows: tuple[DeviceRowView, ...], upload_text: str) -> None:
        """Fill the device rows and the upload queue text."""
        box = self.ids.devices
        box.clear_widgets()
        for row in rows:
            box.add_widget(DeviceRow(name=row.name, status_text=row.status_text,
                                     online=row.online, outages_text=row.outages_text))
        self.has_devices = bool(rows)
        self.upload_text = upload_text

    def show_actions(self, actions: tuple[str, ...], lang: str) -> None:
        from kivy.app import App

        from kiosk.ui.strings import t
        from kiosk.ui.widgets.buttons import KButton  # kv rules are loaded by then

        app = App.get_running_app()
        box = self.ids.actions
        box.clear_widgets()
        for action in actions:
            button = KButton(key=action, text=t(action, lang), size_hint_y=None,
                             height=max(72 * app.scale, app.touch_min),
                             font_size=24 * app.font_scale)
            button.bind(on_release=lambda _b, a=action: self.emit(LANE_ACTION_INTENTS[a]()))
            box.add_widget(button)

    def logout(self) -> None:
        self.emit(AttendantLogout())


class InterventionOverlay(FloatLayout):
    """Shows `view.interventions`; `emit` receives the attendant's intents."""

    message_text = StringProperty("")
    message_level = StringProperty("error")
    logged_in = BooleanProperty(False)
    waiting = BooleanProperty(False)  # interventions are open (else: the staff panel alone)

    def __init__(self, emit: Emit, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.emit = emit
        self.pin_pad = PinPad(emit=emit)
        self.attendant_panel = AttendantPanel(emit=emit)
        self._shown: tuple[Any, ...] | None = None

    def show(self, view: LaneView) -> None:
        """Fill the overlay from `view` (it is shown only while interventions are open)."""
        self._show_message(view.message)
        key = (view.interventions, view.attendant, view.lang, view.lane_actions,
               view.device_rows, view.upload_text)
        if key == self._shown:
            return
        self._shown = key
        self.logged_in = view.attendant is not None
        self.waiting = bool(view.interventions)
        items = self.ids.item_list
        items.clear_widgets()
        for iv in view.interventions:
            items.add_widget(
                InterventionItem(
                    intervention_id=iv.intervention_id,
                    title=iv.title,
                    detail=iv.detail,
                    blocks_text=iv.blocks_text,
                    logged_in=self.logged_in,
                    can_clear=iv.can_clear,
                    emit=self.emit,
                )
            )
        side = self.ids.side
        side.clear_widgets()
        if view.attendant is None:
            self.pin_pad.can_close = not view.interventions
            side.add_widget(self.pin_pad)
        else:
            self.pin_pad.reset()
            self.attendant_panel.name = view.attendant
            self.attendant_panel.show_actions(view.lane_actions, view.lang)
            self.attendant_panel.show_status(view.device_rows, view.upload_text)
            side.add_widget(self.attendant_panel)

    def hide(self) -> None:
        """Forget any half-typed PIN when the overlay goes away."""
        self.pin_pad.reset()
        self._shown = None

    def _show_message(self, message: MessageView | None) -> None:
        self.message_text = message.text if message else ""
        self.message_level = message.level if message else "error"

    # Children first (buttons), then swallow: nothing under the overlay may be pressed.
    def on_touch_down(self, touch: Any) -> bool:
        return bool(super().on_touch_down(touch)) or self.collide_point(*touch.pos)

    def on_touch_move(self, touch: Any) -> bool:
        return bool(super().on_touch_move(touch)) or self.collide_point(*touch.pos)

    def on_touch_up(self, touch: Any) -> bool:
        return bool(super().on_touch_up(touch)) or self.collide_point(*touch.pos)
