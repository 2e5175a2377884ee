"""Make the README's screenshots from a real run: `.venv/bin/python docs/screenshots.py` (needs the test extra and
Debian's chromium). Starts the app on a throw-away data dir, gives it real work — a video transcode of a generated
clip, a shell command that prints percentages, a checksum batch, demo jobs (one fails), one scheduled for later, a
script elsewhere reporting over HTTP — and photographs the dashboard (light), the running transcode's page (dark)
and the external run's page (light) in headless Chromium, and the dashboard on a phone (390 px, light).

    .venv/bin/python docs/screenshots.py dashboard-phone.png      # only the pictures named"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.helpers import AppProcess, wait_until  # noqa: E402
from tests.kinds.media import make_video  # noqa: E402

COUNTDOWN = "import time\nfor i in range(0, 101, 2):\n    print(f'rendered {i}%', flush=True)\n    time.sleep(1)"


def give_it_work(app: AppProcess, media: Path) -> int:
    clip = make_video(media / 'holiday.mp4', seconds=120, size='640x360')
    video = app.submit('video', {'input': str(clip), 'codec': 'vp9', 'crf': 40},
                       name='Transcode holiday.mp4 to VP9')
    app.submit('command', {'command': [sys.executable, '-c', COUNTDOWN]}, name='Render monthly report')
    app.submit('batch', {'source': str(ROOT / 'progress_app'), 'operation': 'checksum'}, name='Checksum sources')
    failing = app.submit('demo', {'items': 30, 'item_seconds': 0.05, 'fail_at_item': 12}, name='Import contacts')
    app.submit('demo', {'items': 2000, 'item_seconds': 0.05}, name='Index photo library')
    later = (datetime.now() + timedelta(hours=2)).replace(microsecond=0).isoformat()
    app.submit('demo', {'items': 500}, name='Nightly cleanup', run_at=later)
    wait_until(lambda: app.job(failing['id'])['status'] == 'failed', 30)
    return video['id']


def report_from_elsewhere(app: AppProcess, stop: threading.Event) -> int:
    """A backup script on another machine, as it would report over the HTTP API (see README, Track your own
    scripts): the run, then a report every half second until `stop`."""
    job = app.client.post('/api/runs', json={
        'name': 'Back up pictures to the NAS', 'total': 1840, 'unit': 'files', 'stages': {'copy': 9, 'verify': 1},
        'host': 'studio-mac', 'pid': 48213, 'user': 'alice', 'resume_key': 'pictures-nightly',
        'command': 'rsync -a --info=progress2 ~/Pictures/ nas:/backup/pictures/'}).json()

    def report() -> None:
        with httpx.Client(base_url=app.url, timeout=10) as client:
            done = 0
            while not stop.wait(0.5):
                done += 9
                client.post(f"/api/jobs/{job['id']}/report", json={
                    'current': done, 'message': f'2026/IMG_{done:04d}.heic', 'log': f'2026/IMG_{done:04d}.heic',
                    'checkpoint': {'next': done + 1}})

    threading.Thread(target=report, daemon=True).start()
    return job['id']


def main() -> None:
    with tempfile.TemporaryDirectory(prefix='progress-screens-') as tmp:
        app = AppProcess(Path(tmp) / 'data').start()
        stop = threading.Event()
        try:
            job_id = give_it_work(app, Path(tmp))
            external_id = report_from_elsewhere(app, stop)
            time.sleep(8)  # let the jobs get somewhere: speed, ETA and the progress chart need a few samples
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path='/usr/bin/chromium')
                shots = (('/', 'light', (1400, 900), 'dashboard.png'),
                         (f'/jobs/{job_id}', 'dark', (1400, 1200), 'job-dark.png'),
                         (f'/jobs/{external_id}', 'light', (1400, 560), 'external-run.png'),
                         ('/', 'light', (390, 844), 'dashboard-phone.png'))
                for path, scheme, (width, height), name in shots:
                    if sys.argv[1:] and name not in sys.argv[1:]:
                        continue
                    phone = {'device_scale_factor': 2, 'is_mobile': True, 'has_touch': True} if width < 600 else {}
                    page = browser.new_context(viewport={'width': width, 'height': height}, color_scheme=scheme,
                                               **phone).new_page()
                    page.goto(app.url + path)
                    page.wait_for_timeout(4000)
                    page.screenshot(path=str(ROOT / 'docs' / name))
                    print('wrote', ROOT / 'docs' / name)
                browser.close()
        finally:
            stop.set()
            app.stop()


if __name__ == '__main__':
    main()
