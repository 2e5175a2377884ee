"""`@job_kind`: declare a job kind from a plain function; its params model comes from the signature.

    @job_kind('resize_photos', title='Resize photos', stages={'scan': 1, 'resize': 8})
    def resize_photos(ctx: JobContext, folder: str, width: Annotated[int, Field(ge=16)] = 1024) -> dict: ...

As in FastAPI and Typer, type hints, defaults and `Annotated[..., Field(...)]` constraints become a pydantic
model that validates API bodies and generates the UI form.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from progress_app.domain.progress import Stage, StageSpec, make_stages
from progress_app.errors import InvalidParams, KindNotFound, KindRegistrationError

Restart = Literal['resume', 'rerun']
StagesFor = StageSpec | Callable[[dict[str, Any]], StageSpec]


@dataclass(slots=True)
class JobKind:
    name: str
    title: str
    description: str
    func: Callable[..., Any]
    params_model: type[BaseModel]
    stages: StagesFor = None
    pausable: bool = True
    restart: Restart = 'resume'
    """What a restart does to an interrupted job: 'resume' from its checkpoint, or 'rerun' from the start."""
    icon: str = 'work'
    source: str = 'builtin'
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """The params as stored (JSON-ready, defaults filled in); raises InvalidParams."""
        try:
            model = self.params_model.model_validate(dict(params or {}))
        except ValidationError as exc:
            raise InvalidParams([{'loc': ['params', *e['loc']], 'msg': e['msg'].removeprefix('Value error, '),
                                  'type': e['type']} for e in exc.errors()]) from None
        return model.model_dump(mode='json')

    def stages_for(self, params: dict[str, Any]) -> tuple[Stage, ...]:
        spec = self.stages(params) if callable(self.stages) else self.stages
        return make_stages(spec)

    @property
    def stages_declared(self) -> bool:
        return self.stages is not None

    def call(self, ctx: Any, params: dict[str, Any]) -> Any:
        model = self.params_model.model_validate(params)
        return self.func(ctx, **{name: getattr(model, name) for name in type(model).model_fields})

    def describe(self) -> dict[str, Any]:
        static = None if callable(self.stages) else [{'name': s.name, 'weight': s.weight}
                                                      for s in make_stages(self.stages)]
        return {'name': self.name, 'title': self.title, 'description': self.description,
                'params_schema': self.params_model.model_json_schema(), 'stages': static,
                'pausable': self.pausable, 'resumable': self.restart == 'resume', 'restart': self.restart,
                'icon': self.icon, 'source': self.source}


class Registry:
    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}

    def add(self, kind: JobKind) -> None:
        existing = self._kinds.get(kind.name)
        if existing is not None and existing.func is not kind.func:
            raise KindRegistrationError(f"a job kind named '{kind.name}' already exists (from {existing.source})")
        self._kinds[kind.name] = kind

    def remove(self, name: str) -> None:
        self._kinds.pop(name, None)

    def get(self, name: str) -> JobKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise KindNotFound(name, list(self._kinds)) from None

    def __contains__(self, name: str) -> bool:
        return name in self._kinds

    def all(self) -> list[JobKind]:
        return sorted(self._kinds.values(), key=lambda k: (k.source != 'builtin', k.name))


registry = Registry()
"""Every kind known to this process: the built-in ones and those of plugins."""


def params_model_from_signature(func: Callable[..., Any], model_name: str) -> type[BaseModel]:
    """A pydantic model of every parameter after the first (the context), as FastAPI does for endpoints."""
    parameters = list(inspect.signature(func).parameters.values())
    if not parameters:
        raise KindRegistrationError(f'{func.__qualname__} must take the job context as its first parameter')
    # Resolve the hints of the params only: the context's may name JobContext under `if TYPE_CHECKING`.
    wanted = {p.name for p in parameters[1:]}
    holder = SimpleNamespace(__annotations__={k: v for k, v in getattr(func, '__annotations__', {}).items()
                                              if k in wanted})
    try:
        hints = get_type_hints(holder, globalns=getattr(func, '__globals__', {}), include_extras=True)
    except Exception as exc:
        raise KindRegistrationError(f'cannot read the type hints of {func.__qualname__}: {exc}') from exc
    fields: dict[str, Any] = {}
    for p in parameters[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise KindRegistrationError(f"{func.__qualname__}: parameter '{p.name}' must be a plain named parameter")
        default = ... if p.default is inspect.Parameter.empty else p.default
        annotation = hints.get(p.name, Any if default is ... else type(default))
        fields[p.name] = (annotation, default)
    return create_model(model_name, __config__=ConfigDict(extra='forbid'), **fields)


def job_kind(name: str, *, title: str | None = None, description: str | None = None, stages: StagesFor = None,
             params: type[BaseModel] | None = None, pausable: bool = True, restart: Restart = 'resume',
             icon: str = 'work', target: Registry | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as a job kind. The function itself is returned unchanged."""
    if not name or not name.replace('_', '').replace('-', '').isalnum():
        raise KindRegistrationError(f"a kind name uses letters, digits, '_' and '-', not {name!r}")
    if not callable(stages):
        make_stages(stages)  # a bad declaration fails at import time, with the reason

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        doc = inspect.getdoc(func) or ''
        model = params or params_model_from_signature(func, f'{name.title().replace("_", "")}Params')
        kind = JobKind(name=name, title=title or name.replace('_', ' ').capitalize(),
                       description=description or doc.split('\n\n')[0], func=func, params_model=model,
                       stages=stages, pausable=pausable, restart=restart, icon=icon,
                       source=getattr(func, '__module__', 'builtin') or 'builtin')
        if kind.source.startswith('progress_app.kinds'):
            kind.source = 'builtin'
        (target or registry).add(kind)
        return func

    return register
