"""The `progress-app` command.

    progress-app run [--name NAME] [--resume-key K] [--progress-regex R] [--url U] [--token T] -- CMD ARGS...
    progress-app serve [the flags of `python app.py`]

`run` runs CMD as an external run in the app: its output is echoed and read for progress by the same parsers as
the `command` kind (curl, wget, rsync, git, tqdm and rich bars, JSON lines, NN%, N/M, or your regex); a pause in
the app stops CMD's process group (SIGSTOP) until it is resumed, a cancel or Ctrl-C terminates it. The exit status
is CMD's (the job completes on 0 and fails with the code otherwise; 130 when cancelled: in the app, by Ctrl-C or
by SIGTERM).
"""

from __future__ import annotations

import argparse
import re
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from progress_app.client import Cancelled, Run
from progress_app.kinds.output_progress import OutputReader, child_env, feed
from progress_app.runtime.engine import process

CANCELLED_STATUS = 130
"""The exit status of `progress-app run` when the run was cancelled (as after Ctrl-C in a shell)."""
NOT_FOUND_STATUS, NOT_EXECUTABLE_STATUS = 127, 126
"""The exit status when CMD cannot be started (as a shell's)."""
NAME_CHARS = 80


class Wrapped:
    """CMD as a reported run: output read (and echoed) in the calling thread, the app's control obeyed by a
    watcher thread that stops, continues or terminates CMD's process group."""

    def __init__(self, run: Run, argv: Sequence[str], pattern: re.Pattern[str] | None) -> None:
        self._run = run
        self._argv = list(argv)
        self._reader = OutputReader(pattern)
        self._ended = threading.Event()
        self._redrawn: TextIO | None = None  # the terminal stream whose last line is a redraw not ended yet
        self.cancelled = False

    def __call__(self) -> int:
        """Run CMD to its end; its exit status (negative: killed by that signal). Raises Cancelled if the app
        cancelled it."""
        popen = process.spawn(self._argv, shell=False, cwd=None, env=child_env())
        watcher = threading.Thread(target=self._obey, args=(popen,), name='progress-app-control', daemon=True)
        watcher.start()
        try:
            process.pump_lines(popen, self._line)
            code = popen.wait()
        except BaseException:  # Ctrl-C (or anything else): CMD must not outlive us
            process.terminate_group(popen)
            popen.wait()
            raise
        finally:
            self._ended.set()
            for text in self._reader.finish():
                self._run.log(text)
            self._end_redraw()
        if self.cancelled:
            raise Cancelled(f'the run was cancelled in the app (job {self._run.job_id})')
        return code

    def _line(self, line: str, stream: str) -> None:
        update = feed(self._reader, line, stream, self._run)
        out = sys.stdout if stream == 'out' else sys.stderr
        if _is_terminal(out):  # a redrawn bar stays on one line of the terminal, as it would without us
            if update.progress:
                if self._redrawn is not out:
                    self._end_redraw()
                out.write(f'\r{update.text}\x1b[K')
                self._redrawn = out
            else:
                self._end_redraw()
                out.write(update.text + '\n')
        else:  # a pipe or a file gets what the job's log gets: not one line per redraw
            out.writelines(text + '\n' for text in update.log)
        out.flush()

    def _end_redraw(self) -> None:
        if self._redrawn is not None:
            self._redrawn.write('\n')
            self._redrawn.flush()
            self._redrawn = None

    def _obey(self, popen: process.subprocess.Popen[bytes]) -> None:
        stopped = False
        while not self._ended.wait(0.1) and popen.poll() is None:
            control = self._run.control
            if control == 'pause' and not stopped:
                process.signal_group(popen.pid, signal.SIGSTOP)
                stopped = True
                self._run.report_paused()
            elif control == 'run' and stopped:
                process.signal_group(popen.pid, signal.SIGCONT)
                stopped = False
            elif control == 'cancel':
                self.cancelled = True
                process.terminate_group(popen)  # SIGTERM (and SIGCONT if stopped), SIGKILL after a grace period
                return


def run_command(args: argparse.Namespace) -> int:
    argv = args.cmd[1:] if args.cmd and args.cmd[0] == '--' else args.cmd
    if not argv:
        raise SystemExit('progress-app run: error: name a command to run after --')
    pattern = re.compile(args.progress_regex) if args.progress_regex else None
    line = shlex.join(argv)
    name = args.name or (line if len(line) <= NAME_CHARS else line[:NAME_CHARS - 1] + '…')
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops CMD and cancels the job, as Ctrl-C does
    try:
        with Run(name, resume_key=args.resume_key, url=args.url, token=args.token, command=line) as run:
            try:
                code = Wrapped(run, argv, pattern)()
            except OSError as exc:  # not found, not executable: as a shell says it, with its status
                print(f'progress-app run: cannot run {argv[0]}: {exc.strerror or exc}', file=sys.stderr)
                code = NOT_FOUND_STATUS if isinstance(exc, FileNotFoundError) else NOT_EXECUTABLE_STATUS
            if code != 0:  # the job fails with 'exit code N'
                raise SystemExit(code if code > 0 else 128 - code)
    except KeyboardInterrupt:  # Cancelled in the app, or Ctrl-C: the job is cancelled
        return CANCELLED_STATUS
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog='progress-app', description='Progress App: run long jobs and watch '
                                          'them live; report any command into it.')
    commands = main_parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('run', help='run a command as a job of the app (progress read from its output)',
                              usage='progress-app run [options] -- CMD [ARGS...]')
    run.add_argument('--name', help='the job\'s name (default: the command line)')
    run.add_argument('--resume-key', help='re-attach to the unfinished job of this key (its next attempt)')
    run.add_argument('--progress-regex', help="your progress pattern: named groups 'percent', or 'current' and "
                                              "'total' (replaces the built-in parsers)")
    run.add_argument('--url', help='the app (default: $PROGRESS_APP_URL or http://127.0.0.1:8080)')
    run.add_argument('--token', help='an API token (default: $PROGRESS_APP_TOKEN)')
    run.add_argument('cmd', nargs=argparse.REMAINDER, help='the command and its arguments, after --')
    commands.add_parser('serve', help='start the app (the flags of `python app.py`; see serve --help)',
                        add_help=False)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ['serve']:
        from progress_app.app import main as serve  # the whole app: only when asked for

        serve(argv[1:])
        return 0
    args = parser().parse_args(argv)
    if args.command == 'run':
        if args.progress_regex:
            try:
                re.compile(args.progress_regex)
            except re.error as exc:
                parser().error(f'--progress-regex is not a valid regular expression: {exc}')
        return run_command(args)
    return 2


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


if __name__ == '__main__':
    raise SystemExit(main())
