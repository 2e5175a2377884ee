"""What only a browser shows of an external run: the host in the dashboard's name cell (a Vue slot) with the rest in
its tooltip, and the card on the job page, for a run a script opened over HTTP."""

from __future__ import annotations

from tests.browser.conftest import screenshot


def test_the_dashboard_names_the_host_and_the_job_page_the_rest(app_process, page):
    app = app_process()
    created = app.client.post('/api/runs', json={
        'name': 'Back up photos', 'total': 200, 'unit': 'files', 'host': 'build-box', 'pid': 4242, 'user': 'alice',
        'command': 'rsync -a --info=progress2 src/ dst/'})
    assert created.status_code == 201, created.text
    job = created.json()
    answer = app.client.post(f"/api/jobs/{job['id']}/report", json={'current': 50, 'message': 'IMG_0050.jpg'})
    assert answer.json() == {'control': 'run', 'status': 'running'}

    page.goto(app.url)
    host = page.locator('tr', has_text='Back up photos').locator('.external-host')
    host.wait_for()
    assert host.inner_text().strip() == '· on build-box'
    host.hover()
    page.get_by_text('build-box · pid 4242 · alice · rsync -a --info=progress2 src/ dst/ · last report').wait_for()
    assert page.locator('tr', has_text='Back up photos').get_by_role('button').filter(
        has=page.locator('text=replay')).count() == 0

    page.get_by_role('link', name='Back up photos').click()
    page.get_by_text('Runs on build-box · pid 4242 · alice').wait_for()
    page.get_by_text('IMG_0050.jpg').wait_for()
    page.get_by_text('last report').first.wait_for()
    screenshot(page, 'external-run-job-page')
