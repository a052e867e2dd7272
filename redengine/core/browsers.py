"""Which browser asks: a phone's gets its own first screen (Compare's bars in HTML, its controls folded)."""

from __future__ import annotations

from collections.abc import Mapping

# A phone's browser says so: "Mobi" in its User-Agent (MDN's advice), or the client hint Sec-CH-UA-Mobile.
PHONE_AGENT_WORD = "Mobi"


def is_phone(headers: Mapping[str, str]) -> bool:
    """Whether request headers (names in any case the mapping answers to) come from a phone's browser."""
    return PHONE_AGENT_WORD in headers.get("User-Agent", "") or headers.get("Sec-CH-UA-Mobile") == "?1"
