"""`command`: run a program (argv, or a shell line when asked), log its output and read progress from it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from progress_app.errors import JobFailed, ParamsRule
from progress_app.kinds.output_progress import OutputReader, child_env, feed
from progress_app.kinds.paths import PathParam
from progress_app.kinds.registry import job_kind
from progress_app.kinds.titles import Titles

if TYPE_CHECKING:
    from progress_app.runtime.engine.context import JobContext

ERROR_LINES = 10
"""How many of the last output lines a failed command's error message quotes."""
SHELL = '/bin/sh'  # what subprocess runs with shell=True
SHELL_CHECK_SECONDS = 5.0


class CommandFailed(JobFailed):
    """The program ended with a non-zero exit code or was killed: an expected failure, not a bug of the app."""


class CommandParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    command: Annotated[str | list[str], Field(description='Program and arguments: a list, or one line split like '
                                                          'a shell would (run by a shell only with shell=true)')]
    shell: Annotated[bool, Field(description='Run the line with /bin/sh (pipes, globs, &&)')] = False
    cwd: Annotated[str | None, Field(title='Working folder', description='Where the program runs (default: the '
                                                                          "app's folder)"),
                   PathParam('write')] = None
    env: Annotated[dict[str, str], Field(title='Environment', description='Extra environment variables')] = {}
    progress_regex: Annotated[str | None, Field(description='Custom progress pattern with named groups '
                                                            "'percent', or 'current' and 'total'")] = None
    on_interrupt: Annotated[Literal['rerun', 'fail'], Titles({'rerun': 'Run again', 'fail': 'Fail'}),
                            Field(description='After the app was killed or restarted mid-run: run again, or fail')
                            ] = 'rerun'

    @field_validator('command')
    @classmethod
    def _not_empty(cls, value: str | list[str]) -> str | list[str]:
        first = value if isinstance(value, str) else (value[0] if value else '')
        if not first.strip():
            raise ValueError('must name a program to run')
        if any('\0' in part for part in ([value] if isinstance(value, str) else value)):
            raise ValueError('must not contain NUL characters')
        return value

    @field_validator('cwd')
    @classmethod
    def _cwd_exists(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).expanduser().is_dir():
            raise ValueError(f"the folder '{value}' does not exist")
        return value

    @field_validator('env')
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not name or '=' in name or '\0' in name or '\0' in text:
                raise ValueError(f'{name!r} is not a valid environment variable (no empty name, "=" or NUL)')
        return value

    @field_validator('progress_regex')
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f'not a valid regular expression: {exc}') from None
        names = set(pattern.groupindex)
        if len(names & {'current', 'total'}) == 1:
            raise ValueError("needs both the named groups 'current' and 'total', not only one of them")
        if not (names & {'percent', 'current', 'message'} or (pattern.groups and not names)):
            raise ValueError("needs a named group 'percent', or 'current' and 'total' (or one group for the percent),"
                             " e.g. '(?P<percent>\\d+)% done'")
        return value

    @model_validator(mode='after')
    def _runnable(self) -> CommandParams:
        try:
            self._check_runnable()
        except ValueError as exc:  # each is about the command line: the form shows it at that field
            raise ParamsRule(str(exc), 'command') from None
        return self

    def _check_runnable(self) -> None:
        if self.shell:
            _check_shell_syntax(self.line())
            return
        program = self.argv()[0]
        base = Path(self.cwd).expanduser() if self.cwd else Path.cwd()
        if os.sep in program:  # relative to the working folder, as the child resolves it after chdir
            target = base / program  # no '~' expansion: without a shell, the child would not do it either
            found = target.is_file() and os.access(target, os.X_OK)
        else:
            found = shutil.which(program, path=self.env.get('PATH', os.environ.get('PATH', os.defpath))) is not None
        if not found:
            raise ValueError(f"program '{program}' was not found (or is not executable)")

    def argv(self) -> list[str]:
        """The program and its arguments (for a string: split like a shell would; raises ValueError)."""
        if isinstance(self.command, list):
            return list(self.command)
        try:
            return shlex.split(self.command)
        except ValueError as exc:
            raise ValueError(f'cannot split the command line: {exc}') from None

    def line(self) -> str:
        """The command as one shell line."""
        return self.command if isinstance(self.command, str) else shlex.join(self.command)


def _check_shell_syntax(line: str) -> None:
    """Let the shell parse the line without running it (`sh -n`): unbalanced quotes fail here, not mid-run."""
    check = subprocess.run([SHELL, '-n', '-c', line], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=SHELL_CHECK_SECONDS, check=False)
    if check.returncode != 0:
        reason = check.stderr.decode('utf-8', errors='replace').strip().splitlines()
        raise ValueError(f"the shell cannot parse the line: {reason[-1] if reason else 'syntax error'}")


@job_kind('command', title='Shell command', params=CommandParams, restart='rerun', icon='terminal',
          description='Run a program; its output goes to the log and progress is read from it '
                      '(JSON lines, NN%, N/M, the meters of curl, wget, rsync, git, pip, dd, pv, 7z, HandBrakeCLI, '
                      'yt-dlp, tqdm/rich bars, or your own regex).')
def command(ctx: JobContext, command: str | list[str], shell: bool = False, cwd: str | None = None,
            env: dict[str, str] | None = None, progress_regex: str | None = None,
            on_interrupt: str = 'rerun') -> dict[str, Any]:
    # Already validated by the kind (once more at the start of the run): only borrow the model's helpers.
    params = CommandParams.model_construct(command=command, shell=shell, cwd=cwd, env=env or {})
    reader = OutputReader(re.compile(progress_regex) if progress_regex else None)
    tail = OutputTail(ERROR_LINES)

    def on_line(line: str, stream: str) -> None:
        update = feed(reader, line, stream, ctx)
        tail.add(update.text, is_progress=update.progress)

    full_env = child_env(params.env)
    try:
        code = ctx.run_process(params.line() if shell else params.argv(), shell=shell,
                               cwd=str(Path(cwd).expanduser()) if cwd else None, env=full_env, on_line=on_line,
                               log_output=False)
    finally:
        for text in reader.finish():  # the final state of a bar still being redrawn when the output ended
            ctx.log(text)
    if code != 0:
        last = '\n'.join(tail.lines)  # the reason is the exit code; the output says more, kept beside it
        raise CommandFailed(describe_exit(code), f'last output:\n{last}' if last else 'no output')
    return {'exit_code': code}


def describe_exit(code: int) -> str:
    """'exit code 3', or for a negative code (killed by a signal) 'killed by SIGKILL (exit code -9)'."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f'signal {-code}'
        return f'killed by {name} (exit code {code})'
    return f'exit code {code}'


class OutputTail:
    """The last lines of output for an error message; a run of progress lines (a tqdm bar redrawn with `\\r`
    hundreds of times) keeps only its latest line, so it cannot push the actual error out."""

    def __init__(self, size: int) -> None:
        self.lines: deque[str] = deque(maxlen=size)
        self._last_was_progress = False

    def add(self, line: str, *, is_progress: bool) -> None:
        if is_progress and self._last_was_progress and self.lines:
            self.lines[-1] = line
        else:
            self.lines.append(line)
        self._last_was_progress = is_progress
