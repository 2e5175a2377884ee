"""`@job_kind`: declare a job kind from a plain function; its params model comes from the signature.

    @job_kind('resize_photos', title='Resize photos', stages={'scan': 1, 'resize': 8})
    def resize_photos(ctx: JobContext, folder: str, width: Annotated[int, Field(ge=16)] = 1024) -> dict: ...

As in FastAPI and Typer, type hints, defaults and `Annotated[..., Field(...)]` constraints become a pydantic
model that validates API bodies and generates the UI form. A bad declaration fails when its module is imported,
with a `KindRegistrationError` that says what to change.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, Any, ClassVar, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import ErrorDetails

from progress_app.domain.progress import Stage, StageSpec, make_stages
from progress_app.errors import InvalidParams, KindNotFound, KindRegistrationError
from progress_app.kinds.paths import check_paths

Restart = Literal['resume', 'rerun']
StagesFor = StageSpec | Callable[[dict[str, Any]], StageSpec]
RESTARTS = ('resume', 'rerun')


class SignatureParams(BaseModel):
    """Base of the params models derived from a signature. Each field's alias is its parameter's name, so a
    parameter may be called `copy` or `json` without shadowing a pydantic method."""

    model_config = ConfigDict(extra='forbid')
    parameter_names: ClassVar[dict[str, str]] = {}
    """Field name → the function's parameter name, where they differ."""


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
    """'builtin', or where the kind comes from (e.g. 'plugins/photos.py')."""
    extra: dict[str, Any] = field(default_factory=dict)
    listed: bool = True
    """Offered for new jobs (GET /api/kinds, the new-job form); the `external` kind is not: scripts open those runs."""

    def validate(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """The params as stored (JSON-ready, defaults filled in); raises InvalidParams."""
        if params is not None and not isinstance(params, Mapping):
            raise InvalidParams.field('params', f'must be an object, not {type(params).__name__}', 'dict_type')
        try:
            model = self.params_model.model_validate(dict(params or {}))
        except ValidationError as exc:
            raise InvalidParams.from_validation(exc, prefix=['params'], message=self._message) from None
        return model.model_dump(mode='json', by_alias=True)

    def _message(self, error: ErrorDetails) -> str:
        if error['type'] == 'extra_forbidden':
            known = [f.alias or n for n, f in self.params_model.model_fields.items()]
            return f"unknown parameter of '{self.name}'; it takes: {', '.join(known) or 'no parameters'}"
        if error['type'] == 'missing':
            return f"required parameter of '{self.name}' is missing"
        return str(error['msg']).removeprefix('Value error, ')

    def stages_for(self, params: dict[str, Any]) -> tuple[Stage, ...]:
        spec = self.stages(params) if callable(self.stages) else self.stages
        return make_stages(spec)

    @property
    def stages_declared(self) -> bool:
        return self.stages is not None

    def call(self, ctx: Any, params: dict[str, Any]) -> Any:
        # Checked again as the job starts: the allowed folders may have changed since it was submitted.
        check_paths(self.params_model, params, getattr(ctx, 'allowed_dirs', None))
        model = self.params_model.model_validate(params)
        names = model.parameter_names if isinstance(model, SignatureParams) else {}
        return self.func(ctx, **{names.get(name, name): getattr(model, name) for name in type(model).model_fields})

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
            raise KindRegistrationError(
                f"{_qualname(kind.func)}: a job kind named '{kind.name}' already exists (from {existing.source}, "
                f'function {_qualname(existing.func)}); choose another name')
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

_loading: ContextVar[tuple[Registry, str] | None] = ContextVar('progress_app_kind_loading', default=None)


@contextmanager
def loading(target: Registry, source: str) -> Iterator[None]:
    """While a plugin is imported: `@job_kind` registers into `target` and names `source` as the origin."""
    token = _loading.set((target, source))
    try:
        yield
    finally:
        _loading.reset(token)


def _qualname(func: Any) -> str:
    return getattr(func, '__qualname__', None) or repr(func)


def _is_context_annotation(annotation: Any) -> bool:
    if annotation is inspect.Parameter.empty or annotation is Any:
        return True
    if isinstance(annotation, str):
        text = annotation.strip('\'"')
        return text.rsplit('.', 1)[-1] in ('JobContext', 'Any') or text == 'object'
    from progress_app.runtime.engine.context import JobContext  # late: progress_app/__init__ imports this module first

    return annotation is object or (isinstance(annotation, type) and issubclass(annotation, JobContext))


def _check_context_parameter(func: Callable[..., Any], parameters: list[inspect.Parameter]) -> None:
    example = f'def {getattr(func, "__name__", "run")}(ctx: JobContext, ...)'
    if not parameters:
        raise KindRegistrationError(f'{_qualname(func)} must take the job context as its first parameter: {example}')
    first = parameters[0]
    if first.kind not in (first.POSITIONAL_ONLY, first.POSITIONAL_OR_KEYWORD) or first.default is not first.empty:
        raise KindRegistrationError(f"{_qualname(func)}: the first parameter ('{first}') must be the job context, "
                                    f'a plain positional parameter without a default: {example}')
    if not _is_context_annotation(first.annotation):
        raise KindRegistrationError(f"{_qualname(func)}: the first parameter '{first.name}' is annotated "
                                    f'{first.annotation!r}, but it receives the job context: {example}')


def params_model_from_signature(func: Callable[..., Any], model_name: str) -> type[BaseModel]:
    """A pydantic model of every parameter after the first (the context), as FastAPI does for endpoints."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError) as exc:
        raise KindRegistrationError(f'cannot read the signature of {_qualname(func)}: {exc}') from None
    _check_context_parameter(func, parameters)
    # Resolve the hints of the params only: the context's may name JobContext under `if TYPE_CHECKING`.
    wanted = {p.name for p in parameters[1:]}
    holder = SimpleNamespace(__annotations__={k: v for k, v in getattr(func, '__annotations__', {}).items()
                                              if k in wanted})
    try:
        hints = get_type_hints(holder, globalns=getattr(func, '__globals__', {}), include_extras=True)
    except Exception as exc:
        raise KindRegistrationError(f'cannot read the type hints of {_qualname(func)}: {exc}') from exc
    fields: dict[str, Any] = {}
    renamed: dict[str, str] = {}
    for p in parameters[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            shown = {p.VAR_POSITIONAL: f'*{p.name}', p.VAR_KEYWORD: f'**{p.name}'}.get(p.kind, p.name)
            raise KindRegistrationError(f"{_qualname(func)}: parameter '{shown}' is not allowed; a job's params "
                                        'are plain named parameters (each one a field of the submitted params)')
        default = ... if p.default is p.empty else p.default
        annotation = hints.get(p.name, Any if default is ... or default is None else type(default))
        if p.name.startswith('_') or hasattr(SignatureParams, p.name):
            # `copy`, `json`, `_x`… would shadow a pydantic attribute or be private: the field is renamed and
            # keeps the parameter's name as its alias (what the API, the schema and the function see).
            key = f'{p.name.strip("_") or "param"}_'
            while key in wanted or key in fields or hasattr(SignatureParams, key):
                key += '_'
            annotation = Annotated[annotation, Field(alias=p.name, title=p.name.replace('_', ' ').strip().title())]
            renamed[key] = p.name
        else:
            key = p.name
        fields[key] = (annotation, default)
    try:
        model = create_model(model_name, __base__=SignatureParams, __module__=getattr(func, '__module__', None)
                             or __name__, **fields)
        model.parameter_names = renamed
        model.model_json_schema()  # a parameter type that cannot be shown in the form fails now, not later
    except Exception as exc:
        raise KindRegistrationError(f'{_qualname(func)}: the parameters cannot become a params model '
                                    f'({type(exc).__name__}: {exc})') from exc
    return model


SHOWN_WHEN = 'x-shown-when'


def shown_when(field: str, *values: Any) -> dict[str, Any]:
    """`Field(..., **shown_when('operation', 'watermark'))`: an option the new-job form shows (and sends) only
    while the field `field` has one of `values` — a kind with several modes shows the options of one."""
    return {'json_schema_extra': {SHOWN_WHEN: {field: list(values)}}}


def shown_only_for(info: Any, field: str) -> list[Any]:
    """The values of `field` that the pydantic FieldInfo `info` is shown for ([]: always shown)."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    condition = extra.get(SHOWN_WHEN)
    return list(condition.get(field, [])) if isinstance(condition, dict) else []


def job_kind(name: str, *, title: str | None = None, description: str | None = None, stages: StagesFor = None,
             params: type[BaseModel] | None = None, pausable: bool = True, restart: Restart = 'resume',
             icon: str = 'work', target: Registry | None = None,
             listed: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as a job kind. The function itself is returned unchanged."""
    if not isinstance(name, str) or not name or not name.replace('_', '').replace('-', '').isalnum():
        raise KindRegistrationError(f"a kind name uses letters, digits, '_' and '-', not {name!r}")
    if not callable(stages):
        try:
            make_stages(stages)
        except (TypeError, ValueError, AttributeError) as exc:
            raise KindRegistrationError(f"job kind '{name}': bad stages {stages!r}: {exc}") from None
    if restart not in RESTARTS:
        raise KindRegistrationError(f"job kind '{name}': restart must be 'resume' or 'rerun', not {restart!r}")
    if params is not None and not (isinstance(params, type) and issubclass(params, BaseModel)):
        raise KindRegistrationError(f"job kind '{name}': params must be a pydantic model class, not {params!r}")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(func):
            raise KindRegistrationError(f"job kind '{name}': @job_kind decorates a function, not {func!r}")
        loading_into = _loading.get()
        doc = inspect.getdoc(func) or ''
        if params is None:
            model = params_model_from_signature(func, f'{name.title().replace("_", "").replace("-", "")}Params')
        else:
            _check_context_parameter(func, list(inspect.signature(func).parameters.values()))
            model = params
        source = getattr(func, '__module__', None) or 'builtin'
        if source.startswith('progress_app.kinds'):
            source = 'builtin'
        elif loading_into is not None:
            source = loading_into[1]
        kind = JobKind(name=name, title=title or name.replace('_', ' ').capitalize(),
                       description=description or doc.split('\n\n')[0], func=func, params_model=model,
                       stages=stages, pausable=pausable, restart=restart, icon=icon, source=source, listed=listed)
        (target or (loading_into[0] if loading_into else None) or registry).add(kind)
        return func

    return register
