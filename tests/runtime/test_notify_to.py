"""A job (or a schedule's jobs) can name where its own notifications go: "this render: SMS; everything else:
e-mail" — real Apprise deliveries to two local endpoints."""

from __future__ import annotations

import pytest

from progress_app.errors import InvalidParams
from tests.notify_endpoint import Endpoint
from tests.runtime.test_notify import FAILING, QUICK, finish


@pytest.fixture
def phone() -> Endpoint:
    other = Endpoint()
    yield other
    other.server.shutdown()
    other.server.server_close()


def test_a_jobs_own_urls_take_its_news_and_the_others_go_to_the_settings(service, endpoint, phone):
    service.update_preferences(notify_urls=[endpoint.url], notify_on='failed')
    render = finish(service, QUICK, 'completed', notify_to=[phone.url])  # naming a place implies telling
    failed = finish(service, FAILING, 'failed', notify_to=[phone.url])
    plain = finish(service, FAILING, 'failed')
    phone.wait_for(f"nightly completed (#{render['id']}) completed")
    phone.wait_for(f"nightly failed (#{failed['id']}) failed")
    endpoint.wait_for(f"nightly failed (#{plain['id']}) failed")
    assert len(phone.received) == 2 and endpoint.titles() == [f"nightly failed (#{plain['id']}) failed"]
    assert render['options']['notify_to'] == [phone.url]
    silent = finish(service, QUICK, 'completed', notify_to=[phone.url], notify=False)
    again = service.run_again(render['id'])  # Run again keeps where it tells
    assert again['options']['notify_to'] == [phone.url] and 'notify_to' in silent['options']


def test_it_works_without_saved_urls_and_bad_ones_are_refused_at_the_field(service, phone):
    done = finish(service, QUICK, 'completed', notify_to=[phone.url])
    phone.wait_for(f"(#{done['id']}) completed")
    with pytest.raises(InvalidParams) as refused:
        service.submit('demo', QUICK, options={'notify_to': [phone.url, 'not a url']})
    assert refused.value.errors[0]['loc'] == ['notify_to', 1]
    with pytest.raises(InvalidParams):
        service.schedules.create({'kind': 'demo', 'params': QUICK, 'cron': '0 3 * * *', 'notify_to': ['nope']})
    assert service.list()['total'] == 1 and service.schedules.list() == []


def test_a_schedules_jobs_carry_its_urls(service, phone):
    schedule = service.schedules.create({'kind': 'demo', 'params': QUICK, 'interval_seconds': 1,
                                         'notify_to': [phone.url]})
    assert schedule['notify_to'] == [phone.url]
    job = service.schedules.run_now(schedule['id'])
    assert job['options']['notify_to'] == [phone.url]
    phone.wait_for(f"(#{job['id']}) completed")
