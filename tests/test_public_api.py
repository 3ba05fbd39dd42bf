"""The facade: one sorted __all__ that matches what the package exports."""

from __future__ import annotations

import frontdesk


def test_all_is_sorted_and_complete() -> None:
    assert list(frontdesk.__all__) == sorted(frontdesk.__all__)
    public = {n for n in vars(frontdesk) if not n.startswith("_")}
    submodules = {n for n in public if type(getattr(frontdesk, n)).__name__ == "module"}
    assert set(frontdesk.__all__) == public - submodules
