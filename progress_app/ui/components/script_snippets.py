"""How to report into the app from a script that runs elsewhere: copyable snippets for the tqdm drop-in, `Run`,
`progress-app run` and plain HTTP, with this app's own address (and a token placeholder when a password is set)."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui

from progress_app.ui.external import ICON

DEFAULT_URL = 'http://127.0.0.1:8080'  # what the client uses when PROGRESS_APP_URL is not set
TOKEN = '<an API token from Settings, or the password>'


@dataclass(frozen=True)
class Snippet:
    name: str
    title: str
    intro: str
    language: str
    code: str


def setup(url: str, password: bool) -> str:
    """The shell lines that point the client at this app; empty when the defaults do."""
    lines = [f'export PROGRESS_APP_URL={url}'] if url != DEFAULT_URL else []
    if password:
        lines.append(f"export PROGRESS_APP_TOKEN='{TOKEN}'")
    return '\n'.join(lines)


def snippets(url: str, password: bool) -> list[Snippet]:
    auth = ' \\\n     -H "Authorization: Bearer $PROGRESS_APP_TOKEN"' if password else ''
    post = f"curl -s -X POST{auth} -H 'content-type: application/json'"
    return [
        Snippet('tqdm', 'tqdm', 'Change one import: each bar becomes a job here, and Pause and Cancel reach the '
                'loop (Cancel raises Cancelled in it). Without tqdm, track() does the same for any loop.', 'python',
                '''\
from progress_app.client import tqdm   # instead of: from tqdm import tqdm

for photo in tqdm(photos, desc='Resize photos', unit='photos'):
    resize(photo)

from progress_app.client import track

for path in track(paths, name='Thumbnails'):
    make_thumbnail(path)'''),
        Snippet('run', 'Run', 'Stages, messages, a log and a checkpoint. Started again with the same resume_key, '
                'it goes on in the same job from its last checkpoint.', 'python', '''\
from progress_app.client import Run

with Run('Nightly import', total=len(urls), unit='files', stages={'download': 3, 'import': 1},
         resume_key='import-2026-12-02') as run:
    done = run.resume_state or 0       # the last checkpoint of an earlier attempt with this key
    run.stage('download')
    run.advance(done)
    for i, url in enumerate(urls[done:], done):
        fetch(url)
        run.advance()                  # blocks while paused in the app, raises Cancelled on cancel
        run.checkpoint(i + 1)
    run.stage('import')
    run.message('loading into the database')
    load_everything()'''),
        Snippet('command', 'Command', 'Any program, as the command kind shows it: rsync, curl, wget, yt-dlp, '
                'pip, pv, dd, git, 7z, HandBrakeCLI and tqdm-style bars become the progress; its output is the '
                'log. Pause stops it, Cancel ends it.', 'bash', '''\
progress-app run -- rsync -a --info=progress2 src/ dst/
progress-app run --name 'Backup photos' -- tar czf photos.tgz Photos/'''),
        Snippet('http', 'HTTP', 'From any language: create the run, then report. Every answer says what the app '
                'wants: "run", "pause" (report {"paused": true} once stopped) or "cancel". A run silent for '
                'lease_seconds fails.', 'bash', f'''\
id=$({post} {url}/api/runs \\
     -d '{{"name": "Nightly import", "total": 200, "unit": "files", "lease_seconds": 60}}' | jq .id)

{post} {url}/api/jobs/$id/report \\
     -d '{{"current": 42, "message": "a.csv", "log": "imported a.csv", "checkpoint": {{"next": 43}}}}'
# → {{"control": "run", "status": "running"}}

{post} {url}/api/jobs/$id/report -d '{{"done": true, "exit_code": 0}}\''''),
    ]


def section(url: str, password: bool) -> ui.expansion:
    """A collapsed section with a tab per way of reporting."""
    ways = snippets(url, password)
    with ui.card().classes('w-full p-0'), ui.expansion(
            'Track a script that runs elsewhere', icon=ICON,
            caption='Your own Python script, a shell command or any HTTP client reports into a job here').classes(
            'w-full').props('header-class="text-lg"').mark('script-snippets') as expansion:
        pointing = setup(url, password)
        if pointing:
            ui.label('First, in the shell that starts the script:').classes('text-sm')
            ui.code(pointing, language='bash').classes('w-full text-sm').mark('snippet-setup')
        with ui.tabs().props('dense no-caps align=left active-color=primary') as tabs:
            tab_of = {way.name: ui.tab(way.name, way.title) for way in ways}
        with ui.tab_panels(tabs, value=tab_of[ways[0].name]).classes('w-full bg-transparent').props('animated=false'):
            for way in ways:
                with ui.tab_panel(tab_of[way.name]).classes('px-0 gap-2'):
                    ui.label(way.intro).classes('text-sm')
                    ui.code(way.code, language=way.language).classes('w-full text-sm').mark(f'snippet-{way.name}')
    return expansion
