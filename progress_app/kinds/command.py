"""`command`: run a program (argv, or a shell line when asked), log its output and read progress from it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from progress_app.kinds.output_progress import parse_line
from progress_app.kinds.registry import job_kind

if TYPE_CHECKING:
    from progress_app.runtime.context import JobContext

ERROR_LINES = 10


class CommandFailed(Exception):
    pass


class CommandParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    command: Annotated[str | list[str], Field(description='Program and arguments: a list, or one line split like '
                                                          'a shell would (run by a shell only with shell=true)')]
    shell: Annotated[bool, Field(description='Run the line with /bin/sh (pipes, globs, &&)')] = False
    cwd: Annotated[str | None, Field(description='Working folder')] = None
    env: Annotated[dict[str, str], Field(description='Extra environment variables')] = {}
    progress_regex: Annotated[str | None, Field(description='Custom progress pattern with named groups '
                                                            "'percent', or 'current' and 'total'")] = None
    on_interrupt: Annotated[Literal['rerun', 'fail'],
                            Field(description='After the app was killed or restarted mid-run: run again, or fail')
                            ] = 'rerun'

    @field_validator('command')
    @classmethod
    def _not_empty(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            try:
                parts = shlex.split(value)
            except ValueError as exc:
                raise ValueError(f'cannot split the command line: {exc}') from None
        else:
            parts = value
        if not parts or not str(parts[0]).strip():
            raise ValueError('must name a program to run')
        return value

    @field_validator('cwd')
    @classmethod
    def _cwd_exists(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).expanduser().is_dir():
            raise ValueError(f"the folder '{value}' does not exist")
        return value

    @field_validator('progress_regex')
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f'not a valid regular expression: {exc}') from None
        return value

    @model_validator(mode='after')
    def _program_exists(self) -> CommandParams:
        if self.shell:
            return self
        program = self.argv()[0]
        base = Path(self.cwd).expanduser() if self.cwd else Path.cwd()
        found = shutil.which(program) if os.sep not in program else (
            program if os.access(base / program, os.X_OK) else None)
        if not found:
            raise ValueError(f"program '{program}' was not found (or is not executable)")
        return self

    def argv(self) -> list[str]:
        return shlex.split(self.command) if isinstance(self.command, str) else [str(a) for a in self.command]


@job_kind('command', title='Shell command', params=CommandParams, restart='rerun', icon='terminal',
          description='Run a program; its output goes to the log and progress is read from it '
                      '(JSON lines, NN%, N/M, tqdm bars, or your own regex).')
def command(ctx: JobContext, command: str | list[str], shell: bool = False, cwd: str | None = None,
            env: dict[str, str] | None = None, progress_regex: str | None = None,
            on_interrupt: str = 'rerun') -> dict[str, Any]:
    params = CommandParams(command=command, shell=shell, cwd=cwd, env=env or {}, progress_regex=progress_regex,
                           on_interrupt=on_interrupt)  # type: ignore[arg-type]
    pattern = re.compile(progress_regex) if progress_regex else None
    last: deque[str] = deque(maxlen=ERROR_LINES)
    full_env = {**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})}

    def on_line(line: str, _stream: str) -> None:
        last.append(line)
        reading = parse_line(line, pattern)
        if reading is None:
            return
        if reading.message:
            ctx.message(reading.message)
        if reading.current is not None and reading.total:
            ctx.set_total(reading.total, reading.unit)
            ctx.set_current(reading.current)

    args: str | list[str] = command if shell and isinstance(command, str) else params.argv()
    if shell and not isinstance(command, str):
        args = shlex.join(params.argv())
    cwd_path = str(Path(cwd).expanduser()) if cwd else None
    code = ctx.run_process(args, shell=shell, cwd=cwd_path, env=full_env, on_line=on_line)
    if code != 0:
        tail = '\n'.join(last)
        raise CommandFailed(f'exit code {code}' + (f'; last output:\n{tail}' if tail else ''))
    return {'exit_code': code}
