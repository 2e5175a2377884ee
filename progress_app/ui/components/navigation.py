"""The header every page has, and on narrow screens its menu as a drawer: on a phone the header is one row
(menu, name, connection, notifications, New job) instead of three, and the pages are a tap on the menu away.

Quasar's responsive classes choose what shows (`gt-sm`: the header's page buttons from 1024 px on; `lt-md`: the
menu button below that), so nothing of ours runs to measure the screen."""

from __future__ import annotations

from nicegui import app, ui

from progress_app.runtime.service import JobService
from progress_app.ui.components import notifications

NAV = (('/', 'Dashboard', 'dashboard'), ('/history', 'History', 'insights'),
       ('/schedules', 'Schedules', 'event_repeat'), ('/settings', 'Settings', 'tune'))


def header(service: JobService, current: str) -> None:
    with ui.header().classes('items-center no-wrap gap-2 px-2 sm:px-4 py-2 bg-primary'):
        menu_button = ui.button(icon='menu').props('flat round dense color=white aria-label="Menu"').classes(
            'lt-md').mark('menu')
        with ui.link(target='/').classes('flex items-center no-wrap gap-2 no-underline text-white'):
            ui.icon('hourglass_top', size='sm')
            ui.label('Progress App').classes('text-lg font-semibold whitespace-nowrap')
        ui.space().classes('max-w-[24px] gt-sm')
        for path, label, icon in NAV:
            button = ui.button(label, icon=icon, on_click=lambda p=path: ui.navigate.to(p)).props('flat no-caps')
            button.classes('text-white nav-link gt-sm' + (' active' if path == current else ''))
        ui.space()
        ui.html('<span id="connection-dot" data-state="unknown" title="Connecting…"></span>').classes('mr-2')
        notifications.bell()
        if service.config.password:
            ui.button(icon='logout', on_click=_log_out).props(
                'flat round dense color=white aria-label="Log out"').tooltip('Log out')
        new_job = {'on_click': lambda: ui.navigate.to('/new')}
        ui.button(icon='add', text='New job', **new_job).props(
            'unelevated no-caps color=white text-color=primary').classes('ml-2 gt-xs')
        ui.button(icon='add', **new_job).props(  # a phone: the icon only, the name stays on one row
            'unelevated round dense color=white text-color=primary aria-label="New job"').classes('xs')
    menu_button.on_click(drawer(current).toggle)  # made after the header: a test's find('History') is its button


def drawer(current: str) -> ui.left_drawer:
    """The pages as a menu that slides in over the page (never docked beside it, whatever the width)."""
    with ui.left_drawer(value=False).props('overlay behavior=mobile bordered').classes('p-0') as menu:
        with ui.list().classes('w-full pt-2'):
            ui.item_label('Progress App').props('header').classes('text-lg font-semibold')
            for path, label, icon in (*NAV, ('/new', 'New job', 'add')):
                item = ui.item(on_click=lambda p=path: ui.navigate.to(p)).props(
                    'clickable' + (' active' if path == current else ''))
                with item.mark('menu-' + label.lower().replace(' ', '-')):
                    with ui.item_section().props('avatar'):
                        ui.icon(icon)
                    ui.item_section(label)
    return menu


def _log_out() -> None:
    app.storage.user.clear()
    ui.navigate.to('/login')
