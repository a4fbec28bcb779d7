"""Drives the connection dialog's Test from a test and waits for its result on the qasync loop."""

from __future__ import annotations

import asyncio

from studio_console.obs.probe import ProbeResult
from studio_console.qt.dialogs.connection_dialog import ConnectionDialog


def run_connection_test(
    dialog: ConnectionDialog, loop: asyncio.AbstractEventLoop, timeout_s: float = 30
) -> ProbeResult:
    """Click Test and return what the dialog showed (the loop runs until test_finished)."""
    results: list[ProbeResult] = []

    async def click_and_wait() -> None:
        done = asyncio.Event()

        def finished(result: ProbeResult) -> None:
            results.append(result)
            done.set()

        dialog.test_finished.connect(finished)
        dialog.test_button.click()
        assert not dialog.test_button.isEnabled()  # no second test while one runs
        await asyncio.wait_for(done.wait(), timeout_s)
        dialog.test_finished.disconnect(finished)

    loop.run_until_complete(click_and_wait())
    assert dialog.result_label.text() == results[0].message
    return results[0]
