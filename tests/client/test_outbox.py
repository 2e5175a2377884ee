"""The buffer of one run while the app is slow or unreachable: latest-wins progress, a capped log in order,
a latest-wins checkpoint, and `done` kept until delivered and always last."""

from __future__ import annotations

from progress_app.client.outbox import LOG_BATCH, Outbox


def test_progress_is_latest_wins_and_only_what_changed_is_sent():
    box = Outbox()
    batch = box.take({'current': 3, 'total': 10})
    assert batch is not None and batch.update == {'current': 3, 'total': 10}
    box.sent(batch)
    assert box.take({'current': 3, 'total': 10}) is None
    box.take({'current': 5, 'total': 10})  # not delivered: the app was down
    batch = box.take({'current': 9, 'total': 10})
    assert batch is not None and batch.update == {'current': 9}


def test_an_undelivered_report_is_told_again_and_a_new_run_hears_everything():
    box = Outbox()
    box.sent(box.take({'current': 1, 'unit': 'files'}))
    box.forget_progress()  # the run was made anew in the app
    assert box.take({'current': 1, 'unit': 'files'}).update == {'current': 1, 'unit': 'files'}


def test_log_lines_keep_their_order_and_only_the_delivered_ones_are_forgotten():
    box = Outbox()
    for i in range(3):
        box.log(f'line {i}')
    batch = box.take({})
    box.log('line 3')  # while the report is on its way
    box.sent(batch)
    assert box.take({}).update == {'log': ['line 3']}


def test_the_log_keeps_the_newest_lines_and_says_how_many_were_dropped():
    box = Outbox(log_cap=5)
    for i in range(12):
        box.log(f'line {i}')
    batch = box.take({})
    assert batch.update['log'] == ['[progress-app: 7 older log lines were dropped while the app was unreachable]',
                                   *[f'line {i}' for i in range(7, 12)]]
    box.sent(batch)
    assert box.take({}) is None


def test_lines_dropped_while_a_report_is_on_its_way_are_not_lost_twice():
    box = Outbox(log_cap=3)
    for i in range(3):
        box.log(f'a{i}')
    batch = box.take({})
    for i in range(2):  # the cap pushes out two of the lines being sent
        box.log(f'b{i}')
    box.sent(batch)
    assert box.take({}).update == {'log': ['b0', 'b1']}


def test_a_checkpoint_is_latest_wins_and_a_newer_one_survives_the_delivery_of_an_older():
    box = Outbox()
    box.checkpoint({'i': 1})
    box.checkpoint({'i': 2})
    batch = box.take({})
    assert batch.update == {'checkpoint': {'i': 2}}
    box.checkpoint({'i': 3})
    box.sent(batch)
    assert box.take({}).update == {'checkpoint': {'i': 3}}


def test_done_waits_for_the_log_and_is_kept_until_delivered():
    box = Outbox()
    for i in range(LOG_BATCH + 10):
        box.log(str(i))
    box.finish(exit_code=0, error=None)
    first = box.take({'current': 1})
    assert 'done' not in first.update and len(first.update['log']) == LOG_BATCH
    box.sent(first)
    second = box.take({'current': 1})
    assert second.update == {'log': [str(i) for i in range(LOG_BATCH, LOG_BATCH + 10)], 'done': True,
                             'exit_code': 0}
    assert not box.delivered
    retry = box.take({'current': 1})  # the first attempt never arrived
    box.sent(retry)
    assert box.delivered


def test_paused_is_told_once():
    box = Outbox()
    box.paused = True
    batch = box.take({})
    assert batch.update == {'paused': True}
    box.sent(batch)
    assert box.take({}) is None


def test_entering_a_stage_tells_the_message_again_since_the_app_clears_it_then():
    box = Outbox()
    box.sent(box.take({'stage': 'download', 'message': 'fetching'}))
    assert box.take({'stage': 'unpack', 'message': 'fetching'}).update == {'stage': 'unpack', 'message': 'fetching'}
