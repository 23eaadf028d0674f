"""Browser tests: headless Debian Chromium driven by Playwright (skipped with the reason when absent)."""

from __future__ import annotations

import pytest

from labserver import CHROMIUM, ensure_chromium


@pytest.fixture(scope="module")
def chromium() -> str:
    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    pytest.importorskip("playwright.sync_api")
    return str(CHROMIUM)
