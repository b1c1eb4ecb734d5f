"""Every slot name the Python code uses is one domain.yml declares."""

from __future__ import annotations

import yaml

from bot import slots
from bot.settings import ROOT


def test_slot_names_are_declared_in_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))
    declared = set(domain["slots"]) | {"requested_slot"}  # Rasa adds requested_slot itself
    used = {v for k, v in vars(slots).items() if k.isupper()}
    assert used <= declared, used - declared
