"""Real-browser tests: Debian's headless Chromium driven by Selenium against a live server.

The server is the real app on a werkzeug server thread (127.0.0.1, a free port) over a small
demo model trained for the session, with its rules database and data folder in a temp folder.
``make test`` installs ``chromium`` and ``chromium-driver`` when they are missing; without them
these tests are skipped with the reason. Selenium is pointed at the Debian binaries, so Selenium
Manager never downloads a browser or a driver.
"""
from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ADMIN_TOKEN = "browser-test-token"
# Each run saves fresh screenshots under build/ (git-ignored); `make screenshots` copies them to docs/.
SCREENSHOTS = Path(os.environ.get("VITRINE_SCREENSHOTS_DIR", Path(__file__).parents[2] / "build" / "screenshots"))
WINDOW = (1280, 860)
PHONE = (390, 844)

if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip(f"browser tests need {CHROMIUM} and {CHROMEDRIVER} (Debian packages chromium, chromium-driver; "
                "`make test` installs them)", allow_module_level=True)


@dataclass
class LiveServer:
    url: str
    app: object
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)


def start_server(app) -> LiveServer:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="vitrine-live-server", daemon=True)
    thread.start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", app, server, thread)


@pytest.fixture(scope="session")
def browser_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from training.config import TrainConfig
    from training.demo import generate_demo_store, write_demo_store
    from training.pipeline import TrainInput, train

    store = generate_demo_store(n_users=500, n_items=150, seed=5)
    events, catalog = write_demo_store(store, tmp_path_factory.mktemp("browser-demo"))
    models = tmp_path_factory.mktemp("browser-models")
    train(TrainInput(events, catalog), TrainConfig(), models, progress=False)
    return models


def app_config(models: Path, data: Path, **extra) -> dict:
    return {"MODELS_DIR": str(models), "ADMIN_TOKEN": ADMIN_TOKEN, "DATA_DIR": str(data),
            "DATABASE_URL": f"sqlite:///{data / 'rules.sqlite'}", "RELOAD_INTERVAL": 0.2, **extra}


@pytest.fixture(scope="session")
def live_server(browser_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from api import create_app

    data = tmp_path_factory.mktemp("browser-data")
    server = start_server(create_app(app_config(browser_models, data)))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                 f"--window-size={WINDOW[0]},{WINDOW[1]}",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def as_phone(browser) -> None:
    """Make the page a 390 × 844 touch phone (Chromium's device emulation) until ``as_desktop``."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})


def as_desktop(browser) -> None:
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.set_window_size(*WINDOW)


@dataclass
class Screen:
    """The screen a test runs on, and where it saves its pictures (the desktop run's only: those
    are the documentation's; the phone's own are taken by ``test_mobile.py``)."""

    name: str
    folder: Path

    def save(self, browser, filename: str) -> None:
        if self.name == "desktop":
            browser.save_screenshot(str(self.folder / filename))


@pytest.fixture(params=["desktop", "phone"])
def screen(request, browser, screenshots) -> Iterator[Screen]:
    """Runs a test twice: on a 1280 × 860 desktop window and on a 390 × 844 touch phone."""
    if request.param == "phone":
        as_phone(browser)
    try:
        yield Screen(request.param, screenshots)
    finally:
        if request.param == "phone":
            as_desktop(browser)


@pytest.fixture(scope="session")
def product(live_server) -> tuple[str, str]:
    """A product whose related-products widget shows several items of one category, and that category."""
    engine = live_server.app.extensions["vitrine"].store.served().engine
    labels = live_server.app.extensions["vitrine"].store.served().labels
    best = (0, "", "")
    for item_id in engine.model.item_ids.tolist()[:60]:
        picks = engine.related_items(item_id, 10, "product").picks
        counts = Counter(labels[p.item_id][1] for p in picks if labels[p.item_id][1] != labels[item_id][1])
        if counts:
            category, count = counts.most_common(1)[0]
            best = max(best, (count, item_id, category))
    if best[0] < 2:
        pytest.fail("no product with a repeated foreign category among its related products")
    return best[1], best[2]
