"""A video chosen from the browser's own computer through the new-job form: its upload shown as it goes (the
network slowed down so there is something to see), the job started meanwhile, and the job completing on it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.conftest import screenshot
from tests.helpers import wait_until
from tests.kinds.media import make_video

UPLOAD_BYTES_PER_SECOND = 100_000


def test_a_file_chosen_in_the_page_uploads_and_the_job_runs_on_it(app_process, page, tmp_path: Path):
    app = app_process()
    clip = make_video(tmp_path / 'from my laptop.mp4', seconds=4, size='320x240', pattern='testsrc2')
    page.goto(f'{app.url}/new?kind=video')
    page.get_by_text('Upload from this device').wait_for()
    cdp = page.context.new_cdp_session(page)
    cdp.send('Network.enable')
    cdp.send('Network.emulateNetworkConditions', {'offline': False, 'latency': 0, 'downloadThroughput': -1,
                                                  'uploadThroughput': UPLOAD_BYTES_PER_SECOND})
    page.locator('input[type=file]').set_input_files(str(clip))
    page.get_by_text(re.compile(r'^upload · .* of .*from my laptop\.mp4$')).wait_for()
    screenshot(page, 'upload-progress')
    page.get_by_role('button', name='Start job').click()  # while the file is still on its way
    page.wait_for_url(re.compile(r'/jobs/\d+$'), timeout=60_000)
    job_id = int(page.url.rsplit('/', 1)[1])
    job = wait_until(lambda: (j := app.job(job_id))['status'] in ('completed', 'failed') and j, 60,
                     message='the job to end')
    assert job['status'] == 'completed', job['error']
    uploaded = Path(job['params']['input'])
    assert uploaded.name == 'from my laptop.mp4' and uploaded.read_bytes() == clip.read_bytes()
    assert uploaded.parent.parent == (app.data_dir / 'uploads').resolve()
    page.get_by_text('completed').first.wait_for()
