"""`@job_kind`: the params model derived from a signature, validation messages, and bad declarations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from progress_app import JobContext, job_kind, shown_when
from progress_app.errors import InvalidParams, KindNotFound, KindRegistrationError
from progress_app.kinds.registry import JobKind, Registry, registry
from progress_app.store.engine import create_db_engine
from progress_app.store.repository import Repository


@pytest.fixture
def kinds() -> Registry:
    return Registry()


@pytest.fixture
def unique_name() -> Iterator[str]:
    """A kind name no other test uses; removed from the process-wide registry afterwards."""
    name = f'test_{uuid.uuid4().hex[:10]}'
    yield name
    registry.remove(name)


def resize(ctx: JobContext, folder: str,
           width: Annotated[int, Field(ge=16, le=10_000, description='Width in pixels')] = 1024,
           quality: float = 0.8,
           mode: Literal['fit', 'fill'] = 'fit',
           suffix: str | None = None,
           extensions: list[str] | None = None,
           tags: tuple[str, ...] = ()) -> dict[str, Any]:
    """Resize photos.

    The long description is not part of the title."""
    return {'folder': folder, 'width': width, 'quality': quality, 'mode': mode, 'suffix': suffix,
            'extensions': extensions, 'tags': tags}


def test_params_model_from_signature(kinds):
    job_kind('resize', stages={'scan': 1, 'resize': 8}, target=kinds)(resize)
    kind = kinds.get('resize')
    assert kind.title == 'Resize' and kind.description == 'Resize photos.'
    assert kind.validate({'folder': '/photos'}) == {
        'folder': '/photos', 'width': 1024, 'quality': 0.8, 'mode': 'fit', 'suffix': None, 'extensions': None,
        'tags': []}
    clean = kind.validate({'folder': '/p', 'width': '640', 'quality': 1, 'mode': 'fill', 'suffix': '_s',
                           'extensions': ['jpg', 'png'], 'tags': ['a']})
    assert clean['width'] == 640 and clean['quality'] == 1.0 and clean['extensions'] == ['jpg', 'png']
    # The function gets the params typed and complete, from the stored (JSON) form.
    assert kind.call(None, clean) == {'folder': '/p', 'width': 640, 'quality': 1.0, 'mode': 'fill', 'suffix': '_s',
                                      'extensions': ['jpg', 'png'], 'tags': ('a',)}


def test_an_option_of_one_mode_says_so_in_the_schema_the_form_reads(kinds):
    def scan(ctx: JobContext, mode: Literal['quick', 'deep'] = 'quick',
             depth: Annotated[int, Field(ge=1, **shown_when('mode', 'deep'))] = 3) -> None:
        """Scan."""

    job_kind('scan', target=kinds)(scan)
    schema = kinds.get('scan').params_model.model_json_schema()
    assert schema['properties']['depth']['x-shown-when'] == {'mode': ['deep']}
    assert 'x-shown-when' not in schema['properties']['mode']
    assert kinds.get('scan').validate({'mode': 'deep', 'depth': 5}) == {'mode': 'deep', 'depth': 5}


@pytest.mark.parametrize(('params', 'where', 'says'), [
    ({}, 'params.folder', "required parameter of 'resize' is missing"),
    ({'folder': '/p', 'colour': 'red'}, 'params.colour', "unknown parameter of 'resize'; it takes: folder, width"),
    ({'folder': '/p', 'width': 8}, 'params.width', 'greater than or equal to 16'),
    ({'folder': '/p', 'width': 'wide'}, 'params.width', 'valid integer'),
    ({'folder': '/p', 'mode': 'stretch'}, 'params.mode', "Input should be 'fit' or 'fill'"),
    ({'folder': '/p', 'extensions': 'jpg'}, 'params.extensions', 'valid list'),
    ({'folder': None}, 'params.folder', 'valid string'),
])
def test_bad_params_are_rejected_with_the_field_and_reason(kinds, params, where, says):
    job_kind('resize', target=kinds)(resize)
    with pytest.raises(InvalidParams) as caught:
        kinds.get('resize').validate(params)
    assert where in str(caught.value) and says in str(caught.value), str(caught.value)
    assert [e['loc'][0] for e in caught.value.errors] == ['params']


def test_params_must_be_an_object(kinds):
    job_kind('resize', target=kinds)(resize)
    with pytest.raises(InvalidParams, match='params: must be an object, not list'):
        kinds.get('resize').validate(['/p'])  # type: ignore[arg-type]


def test_several_problems_are_reported_at_once(kinds):
    job_kind('resize', target=kinds)(resize)
    with pytest.raises(InvalidParams) as caught:
        kinds.get('resize').validate({'width': 1, 'extra': 2})
    assert {tuple(e['loc']) for e in caught.value.errors} == {('params', 'folder'), ('params', 'width'),
                                                              ('params', 'extra')}


def test_describe_gives_a_json_schema(kinds):
    job_kind('resize', title='Resize photos', stages={'scan': 1, 'resize': 8}, icon='photo', target=kinds)(resize)
    described = kinds.get('resize').describe()
    schema = described['params_schema']
    assert schema['type'] == 'object' and schema['required'] == ['folder']
    assert schema['additionalProperties'] is False
    props = schema['properties']
    assert props['width'] == {'default': 1024, 'description': 'Width in pixels', 'maximum': 10000, 'minimum': 16,
                              'title': 'Width', 'type': 'integer'}
    assert props['mode']['enum'] == ['fit', 'fill']
    assert {'type': 'null'} in props['suffix']['anyOf']
    assert described['stages'] == [{'name': 'scan', 'weight': 1.0}, {'name': 'resize', 'weight': 8.0}]
    assert described | {'params_schema': None, 'stages': None} == {
        'name': 'resize', 'title': 'Resize photos', 'description': 'Resize photos.', 'params_schema': None,
        'stages': None, 'pausable': True, 'resumable': True, 'restart': 'resume', 'icon': 'photo',
        'source': __name__}


def test_names_that_pydantic_reserves_still_work(kinds):
    """A parameter called `copy`, `json` or `_private` keeps its name for the API, the schema and the function."""
    @job_kind('reserved', target=kinds)
    def reserved(ctx, copy: bool = False, json: Annotated[int, Field(ge=1)] = 1, schema: str = 's',
                 _hidden: int = 0, model_config: str = 'c') -> dict[str, Any]:
        return {'copy': copy, 'json': json, 'schema': schema, '_hidden': _hidden, 'model_config': model_config}

    kind = kinds.get('reserved')
    clean = kind.validate({'copy': True, 'json': 3, '_hidden': 7, 'model_config': 'x'})
    assert clean == {'copy': True, 'json': 3, 'schema': 's', '_hidden': 7, 'model_config': 'x'}
    assert kind.call(None, clean) == clean
    assert set(kind.describe()['params_schema']['properties']) == set(clean)
    with pytest.raises(InvalidParams, match=r'params\.json: Input should be greater than or equal to 1'):
        kind.validate({'json': 0})


def test_unannotated_parameters(kinds):
    @job_kind('loose', target=kinds)
    def loose(ctx, anything, count=3, label=None):
        return [anything, count, label]

    kind = kinds.get('loose')
    assert kind.validate({'anything': [1, 'x'], 'label': 'l'}) == {'anything': [1, 'x'], 'count': 3, 'label': 'l'}
    with pytest.raises(InvalidParams, match=r'params\.count'):
        kind.validate({'anything': 1, 'count': 'many'})


def test_an_explicit_params_model(kinds):
    class Params(BaseModel):
        size: Annotated[int, Field(gt=0)]

    @job_kind('explicit', params=Params, target=kinds)
    def explicit(ctx, size):
        return size * 2

    kind = kinds.get('explicit')
    assert kind.call(None, kind.validate({'size': 4})) == 8
    with pytest.raises(InvalidParams, match=r'params\.size: Input should be greater than 0'):
        kind.validate({'size': 0})


def test_stages_may_depend_on_the_params(kinds):
    @job_kind('staged', stages=lambda p: [f'part{i}' for i in range(p['parts'])], target=kinds)
    def staged(ctx, parts: int = 2):
        return parts

    kind = kinds.get('staged')
    assert [s.name for s in kind.stages_for(kind.validate({'parts': 3}))] == ['part0', 'part1', 'part2']
    assert kind.describe()['stages'] is None and kind.stages_declared


def test_the_decorator_returns_the_function_and_is_idempotent(kinds):
    decorated = job_kind('resize', target=kinds)(resize)
    assert decorated is resize
    job_kind('resize', target=kinds)(resize)  # the same function again (a module imported twice) is fine
    assert [k.name for k in kinds.all()] == ['resize']


def test_builtin_kinds_come_first_and_are_marked_builtin():
    from progress_app.kinds import builtin

    builtin.register()
    assert registry.get('demo').source == 'builtin'
    sources = [k.source for k in registry.all()]
    assert sources == sorted(sources, key=lambda s: s != 'builtin')
    with pytest.raises(KindNotFound, match=r"unknown job kind 'no_such_kind'; known kinds: .*demo"):
        registry.get('no_such_kind')


def test_submit_validates_and_stores_nothing_when_params_are_bad(service, unique_name, tmp_path):
    @job_kind(unique_name, stages=['one'])
    def echo(ctx: JobContext, text: str, times: Annotated[int, Field(ge=1, le=5)] = 1) -> str:
        return text * times

    with pytest.raises(InvalidParams, match=r"params\.text: required parameter of 'test_\w+' is missing"):
        service.submit(unique_name, {})
    with pytest.raises(InvalidParams, match=r"params\.loud: unknown parameter"):
        service.submit(unique_name, {'text': 'a', 'loud': True})
    with pytest.raises(InvalidParams, match=r'params\.times: Input should be less than or equal to 5'):
        service.submit(unique_name, {'text': 'a', 'times': 6})
    repo = Repository(create_db_engine(service.config.db_url))
    assert repo.list_jobs(kind=unique_name)[1] == 0, 'a rejected submission must store nothing'
    assert repo.max_event_id() == 0

    job = service.submit(unique_name, {'text': 'ab', 'times': '2'})
    assert job['params'] == {'text': 'ab', 'times': 2}
    assert service.wait(job['id'], ['completed'], timeout=10)['result'] == 'abab'
    assert unique_name in [k['name'] for k in service.kinds()]
    repo.engine.dispose()


# -- bad declarations fail at import time, with a message that says what to change -----------------------------

def no_params() -> None: ...
def star_args(ctx, *files: str) -> None: ...
def star_kwargs(ctx, **options: int) -> None: ...
def positional_only(ctx, folder, /) -> None: ...
def context_with_default(ctx=None, folder: str = '.') -> None: ...
def context_keyword_only(*, ctx, folder: str = '.') -> None: ...
def first_is_a_param(folder: str, width: int = 1) -> None: ...
def unresolvable(ctx, folder: NoSuchType) -> None: ...  # type: ignore[name-defined] # noqa: F821
def unschematic(ctx, where: Path = Path('.'), lock: type[Registry] = Registry) -> None: ...


@pytest.mark.parametrize(('func', 'says'), [
    (no_params, 'no_params must take the job context as its first parameter: def no_params(ctx: JobContext, ...)'),
    (star_args, "star_args: parameter '*files' is not allowed"),
    (star_kwargs, "star_kwargs: parameter '**options' is not allowed"),
    (positional_only, "positional_only: parameter 'folder' is not allowed"),
    (context_with_default, "context_with_default: the first parameter ('ctx=None') must be the job context"),
    (context_keyword_only, 'context_keyword_only: the first parameter'),
    (first_is_a_param, "first_is_a_param: the first parameter 'folder' is annotated 'str', but it receives the job"),
    (unresolvable, "cannot read the type hints of unresolvable: name 'NoSuchType' is not defined"),
    (unschematic, 'unschematic: the parameters cannot become a params model'),
])
def test_bad_signatures_are_refused(kinds, func, says):
    with pytest.raises(KindRegistrationError) as caught:
        job_kind('bad', target=kinds)(func)
    assert says in str(caught.value)
    assert 'bad' not in kinds


@pytest.mark.parametrize(('declaration', 'says'), [
    ({'name': ''}, "a kind name uses letters, digits, '_' and '-', not ''"),
    ({'name': 'has space'}, "not 'has space'"),
    ({'name': 'ok', 'stages': {'a': 0}}, "job kind 'ok': bad stages {'a': 0}: stage 'a' needs a positive weight"),
    ({'name': 'ok', 'stages': {'a': -1, 'b': 2}}, 'needs a positive weight, not -1'),
    ({'name': 'ok', 'stages': ['a', 'a']}, 'stage names must be unique'),
    ({'name': 'ok', 'stages': ['']}, 'a stage name must be a non-empty string'),
    ({'name': 'ok', 'stages': {'a': 'heavy'}}, "stage 'a' needs a positive weight, not 'heavy'"),
    ({'name': 'ok', 'stages': 5}, "job kind 'ok': bad stages 5"),
    ({'name': 'ok', 'restart': 'sometimes'}, "restart must be 'resume' or 'rerun', not 'sometimes'"),
    ({'name': 'ok', 'params': dict}, 'params must be a pydantic model class'),
])
def test_bad_declarations_are_refused(kinds, declaration, says):
    with pytest.raises(KindRegistrationError) as caught:
        job_kind(**declaration, target=kinds)(resize)
    assert says in str(caught.value)
    assert not kinds.all()


def test_a_kind_name_taken_by_another_function_is_refused(kinds):
    job_kind('resize', target=kinds)(resize)

    def other(ctx, folder: str) -> None: ...

    with pytest.raises(KindRegistrationError, match=r"other: a job kind named 'resize' already exists \(from "
                                                    rf'{__name__}, function resize\); choose another name'):
        job_kind('resize', target=kinds)(other)
    assert kinds.get('resize').func is resize


def test_the_builtin_demo_name_cannot_be_taken(unique_name):
    from progress_app.kinds import builtin

    builtin.register()

    def impostor(ctx) -> None: ...

    with pytest.raises(KindRegistrationError, match=r"a job kind named 'demo' already exists \(from builtin"):
        job_kind('demo')(impostor)
    assert registry.get('demo').func is not impostor


def test_a_context_annotation_is_accepted_in_every_spelling(kinds):
    def typed(ctx: JobContext) -> None: ...
    def quoted(ctx: 'JobContext') -> None: ...  # noqa: UP037
    def dotted(ctx: progress_app.JobContext) -> None: ...  # type: ignore[name-defined] # noqa: F821
    def untyped(ctx) -> None: ...
    def anything(ctx: Any) -> None: ...

    for i, func in enumerate((typed, quoted, dotted, untyped, anything)):
        job_kind(f'k{i}', target=kinds)(func)
    assert len(kinds.all()) == 5


def test_registry_remove_and_contains(kinds):
    job_kind('resize', target=kinds)(resize)
    assert 'resize' in kinds and isinstance(kinds.get('resize'), JobKind)
    kinds.remove('resize')
    kinds.remove('resize')  # removing twice is harmless
    assert 'resize' not in kinds
