"""The embedded timer worker: a thread beside the dev server (production runs `timers run` processes)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger("zhenggai.worker")


def start_timer_thread(app: Flask) -> threading.Thread:
    """Start a daemon thread that fires due timers every TIMER_INTERVAL_SECONDS."""
    stop = threading.Event()

    def loop() -> None:
        from web.cli import run_timers_once

        while not stop.wait(app.config["TIMER_INTERVAL_SECONDS"]):
            with app.app_context():
                try:
                    run_timers_once(app.config["CLOCK"]())
                except Exception:  # noqa: BLE001 - logged; the next poll retries
                    log.exception("timer worker iteration failed")

    thread = threading.Thread(target=loop, name="zhenggai-timers", daemon=True)
    thread.start()
    app.extensions["zhenggai_timer_stop"] = stop
    return thread
