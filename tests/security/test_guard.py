"""Host and Origin rules of the request guard, as plain functions."""

from __future__ import annotations

import socket

import pytest

from progress_app.config import Settings
from progress_app.security.guard import host_allowed, host_name, same_origin, served_names

LOOPBACK = served_names(Settings())


@pytest.mark.parametrize('host', ['127.0.0.1:8080', 'localhost:8080', 'localhost', '[::1]:8080', '127.0.0.2',
                                  'LOCALHOST:1', '192.168.1.20:8080', 'localhost.:8080'])
def test_addresses_and_loopback_names_are_served(host):
    assert host_allowed(host, LOOPBACK)


@pytest.mark.parametrize('host', ['evil.example', 'evil.example:8080', '', 'localhost.evil.example',
                                  '127.0.0.1.nip.io:8080', socket.gethostname() + '.invalid'])
def test_other_names_are_refused_on_loopback(host):
    assert not host_allowed(host, LOOPBACK)


def test_allowed_hosts_exact_and_subdomains_and_any():
    names = served_names(Settings(allowed_hosts='nas.local,.example.org'))
    assert host_allowed('nas.local:8080', names)
    assert host_allowed('a.example.org', names) and host_allowed('b.a.example.org:1', names)
    assert not host_allowed('example.org.evil.test', names)
    assert host_allowed('anything.test', served_names(Settings(allowed_hosts='*')))


def test_listening_beyond_loopback_serves_the_machines_own_name():
    names = served_names(Settings(host='0.0.0.0', password='x'))
    assert host_allowed(f'{socket.gethostname()}:8080', names)
    assert not host_allowed('evil.example', names)


def test_host_name_strips_ports_and_brackets():
    assert host_name('Example.org:80') == 'example.org'
    assert host_name('[::1]:8080') == '::1'
    assert host_name('::1') == '::1'


@pytest.mark.parametrize(('origin', 'host', 'scheme', 'same'), [
    ('http://127.0.0.1:8080', '127.0.0.1:8080', 'http', True),
    ('http://localhost:8080/jobs/1', 'localhost:8080', 'http', True),  # a Referer: a whole address
    ('http://localhost', 'localhost:80', 'http', True),
    ('https://nas.local', 'nas.local', 'https', True),
    ('http://127.0.0.1:8080', '127.0.0.1:8080', 'ws', True),
    ('http://localhost:9000', 'localhost:8080', 'http', False),  # another port of the same machine
    ('http://evil.example', '127.0.0.1:8080', 'http', False),
    ('https://127.0.0.1:8080', '127.0.0.1:8080', 'http', False),
    ('http://sub.nas.local:8080', 'nas.local:8080', 'http', False),  # a sibling or child name
    ('null', '127.0.0.1:8080', 'http', False),
    ('http://127.0.0.1:99999', '127.0.0.1:8080', 'http', False),
])
def test_same_origin(origin, host, scheme, same):
    assert same_origin(origin, host, scheme) is same
