"""The REST API under ``/api``: campaigns, samples, measurements, suggestions, simulation jobs
and simulations.

Every route takes its store from the app, its user from the bearer token (:mod:`.auth`), and
answers with the pydantic models of :mod:`.schemas`. Errors are raised as ``FluxtrapError``
subclasses and mapped to 4xx JSON in :mod:`.app`; every write is one store transaction and
records the user who made it.
"""

from __future__ import annotations

import io
import json
import secrets
from collections import Counter
from collections.abc import Callable, Coroutine
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.routing import APIRoute
from pydantic import BeforeValidator

from fluxtrap.campaign import MAX_NAME
from fluxtrap.errors import ValidationError
from fluxtrap.inputs import near
from fluxtrap.store import Store
from fluxtrap.store.store import check_filename, token_expiry
from fluxtrap.units import parse
from fluxtrap.web import jcdata, schemas
from fluxtrap.web.auth import Admin, Reader, Writer, store_of
from fluxtrap.web.jobs import MAX_LISTED, MAX_OFFSET, Jobs, unwritable_because
from fluxtrap.workflows import history

MAX_SAMPLES = 1000  # samples in one list (a campaign's page; notes of up to 10 000 characters)
MAX_CAMPAIGNS = 500  # campaigns in one list (each with its spec): a page, as samples are
MAX_SUGGESTIONS = 500  # suggestions in one list (each with its model summary)
MAX_USERS = 500  # users in one list (admins': a page, as campaigns are)
MAX_MEASUREMENTS = 500  # a sample's measurements in one list (each with its metadata's warnings)
MAX_JC_CURVES = 100  # Jc(B) curves in one answer (a 1000-point curve is ~50 kB of JSON)
MAX_LABELS = 100  # sample labels in one answer (a picker's choices)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (``json.loads`` kept the last value
    and dropped the first without a word: ``{"ramp_rate": 50, "ramp_rate": 90}`` stored 90)."""
    out = dict(pairs)
    if len(out) < len(pairs):
        key, n = Counter(key for key, _ in pairs).most_common(1)[0]
        raise ValueError(f"the key {key!r} is given {n} times in one JSON object: give it once")
    return out


# values one JSON body may hold (each key, number, string, list and object counts): the largest
# request the API takes (50 parameters of 100 choices) holds about 5 500; a 0.8 MiB sample of
# 60 000 parameters took 1.1 s of the event loop to refuse (parsed with the key check, then
# 120 000 validation errors), where every other request waited
MAX_JSON_VALUES = 20_000


def _values_within(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) holds at most ``limit`` values, keys counted; the walk
    stops at the limit."""
    todo, count = [value], 0
    while todo:
        count += 1
        if count > limit:
            return False
        item = todo.pop()
        if isinstance(item, dict):
            count += len(item)  # the keys
            todo += item.values()
        elif isinstance(item, list):
            todo += item
    return True


class _Request(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            # text first: json.loads of bytes guessed UTF-16 and UTF-32 and read them, where a
            # Latin-1 body was refused as not UTF-8 (a UTF-8 byte order mark is dropped)
            body = (await self.body()).decode("utf-8-sig")
            if (nul := body.find("\x00")) >= 0:  # UTF-16 or UTF-32 without a byte order mark
                raise ValueError(
                    f"it is not UTF-8 text (a NUL byte at position {nul}: UTF-16 or UTF-32? "
                    "JSON is sent as UTF-8)"
                )
            if not _values_within(json.loads(body), MAX_JSON_VALUES):  # json's C parser: fast
                raise ValueError(
                    f"its JSON holds more than {MAX_JSON_VALUES} values (keys, numbers, strings, "
                    "lists and objects each count); no request of this API needs that many"
                )
            self._json = json.loads(body, object_pairs_hook=_unique_keys)
        return self._json


class _Route(APIRoute):
    """A route whose JSON body is read by ``_unique_keys`` (FastAPI's custom request class):
    a parse error there is app.py's 400 "the body cannot be read: ..."."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            return await handler(_Request(request.scope, request.receive))

        return route_handler


def _taken(request: Request) -> tuple[dict[str, bool], dict[str, bool]]:
    """The query parameters and the form fields that the request's operation takes (its own and
    its dependencies', from the route's FastAPI dependant, as FastAPI reads them), each name ->
    whether it takes a list (may be sent repeatedly, as ``?sample=B1&sample=B2``)."""
    query: dict[str, bool] = {}
    form: dict[str, bool] = {}
    todo = [request.scope["route"].dependant]
    while todo:
        dependant = todo.pop()
        query |= {f.alias: _takes_list(f.field_info.annotation) for f in dependant.query_params}
        form |= {f.alias: _takes_list(f.field_info.annotation) for f in dependant.body_params}
        todo += dependant.dependencies
    return query, form


def _takes_list(annotation: Any) -> bool:
    """Whether a parameter annotated ``annotation`` (``list[str] | None``, ``str``) is a list."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_takes_list(a) for a in get_args(annotation))
    return (get_origin(annotation) or annotation) in (list, tuple, set, frozenset)


def _only_taken(what: str, sent: list[str], taken: dict[str, bool], request: Request) -> None:
    """``sent`` (the names of a query or form, in order, repeats kept) against ``taken``: a name
    the operation does not take, or one sent twice that takes one value (FastAPI kept the last
    and dropped the others without a word), is a ValidationError naming it."""
    route = request.scope["route"]
    method = "GET" if request.method == "HEAD" else request.method
    counts = Counter(sent)
    if unknown := sorted(set(counts) - set(taken)):
        known = sorted(taken)
        close = [f"{_name(u)} (did you mean {c!r}?)" if (c := near(u, known)) else _name(u)
                 for u in unknown[:10]]  # fmt: skip
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise ValidationError(
            f"unknown {what}(s) {', '.join(close)}{more} for {method} {route.path_format}; "
            f"it takes {', '.join(known) or 'none'}"
        )
    for key, n in counts.items():
        if n > 1 and not taken[key]:
            once = "one file per upload" if key == "file" else "give it once"
            raise ValidationError(f"{what} {key!r} was sent {n} times: {once}")


def _name(name: str) -> str:
    """``name`` quoted, at most 60 characters of it (a refused name is not echoed whole)."""
    return repr(name) if len(name) <= 60 else f"{name[:60]!r}... ({len(name)} characters)"


def known_query(request: Request) -> None:
    """A query parameter the operation does not take is a 422 naming it (FastAPI ignored it:
    ``?stauts=open`` listed every suggestion, ``?offset=-1`` read as if it paged), and so is
    one given twice that takes one value (``?status=open&status=used``: the last won)."""
    if request.query_params:
        sent = [k for k, _ in request.query_params.multi_items()]
        _only_taken("query parameter", sent, _taken(request)[0], request)


async def known_form(request: Request) -> None:
    """A form field the operation does not take (``temprature``: the first loop was analysed)
    or one sent twice (two files in ``file``, two ``a``) is a 422 naming it: FastAPI ignored
    the one and kept the last of the other. The form is the one FastAPI parsed for the
    endpoint (Starlette keeps it), so nothing is read twice."""
    form = await request.form()
    _only_taken("form field", [k for k, _ in form.multi_items()], _taken(request)[1], request)


router = APIRouter(
    prefix="/api",
    route_class=_Route,
    dependencies=[Depends(known_query)],
    responses={
        400: {
            "model": schemas.Error,
            "description": "the body is not valid JSON or multipart form data",
        },
        401: {"model": schemas.Error, "description": "no token or an unknown one"},
        413: {"model": schemas.Error, "description": "a body larger than the server's limit"},
        422: {"description": "a value that breaks a rule; the detail says which and why"},
    },
)
W = {403: {"model": schemas.Error, "description": "a reader tried to write"}}
TAKEN = {409: {"model": schemas.Error, "description": "the name or label is taken"}}
CHANGED = {409: {"model": schemas.Error, "description": "not the if_status given: changed since"}}
N = {
    404: {
        "model": schemas.Error,
        "description": "no such campaign, sample, measurement, suggestion or simulation",
    }
}
Id = schemas.Id


def _store(request: Request) -> Store:
    return store_of(request)


def _limit(most: int) -> Any:
    """A list endpoint's ``?limit`` query parameter: 1 to ``most``."""
    return Annotated[schemas.Count, Query(ge=1, le=most, description=f"how many, at most {most}")]


def _offset(skipped: str) -> Any:
    """A list endpoint's ``?offset``: how many of the ``skipped`` ("first made") to skip."""
    return Annotated[
        schemas.Count, Query(ge=0, le=MAX_OFFSET, description=f"how many of the {skipped} to skip")
    ]


def here(request: Request) -> str:
    """The request's path percent-encoded once, for a link back to it (``request.url.path``
    keeps "#" and "?" encoded and the rest decoded: quoted again, a campaign named "Ba#1" was
    linked as "Ba%25231", a 404)."""
    return quote(request.scope["path"])


def _link_pages(request: Request, response: Response, more: bool, limit: int, offset: int) -> None:
    """The next (if ``more``) and previous pages' addresses, this path and query with
    ``offset`` moved, in a ``Link`` header (RFC 8288: rel="next", rel="prev"; the path
    percent-encoded)."""
    links = {}
    if more and offset + limit <= MAX_OFFSET:
        links["next"] = offset + limit
    if offset:
        links["prev"] = max(0, offset - limit)
    if links:
        response.headers["Link"] = ", ".join(
            f'<{here(request)}?{request.url.include_query_params(offset=at).query}>; rel="{rel}"'
            for rel, at in links.items()
        )


def _page(request: Request, response: Response, rows: list, limit: int, offset: int) -> list:
    """The first ``limit`` of ``rows``, read as ``limit + 1`` from ``offset`` (the one more says
    whether there is a next page), with the pages' ``Link`` header (``_link_pages``)."""
    _link_pages(request, response, len(rows) > limit, limit, offset)
    return rows[:limit]


def _jobs(request: Request) -> Jobs:
    return request.app.state.jobs


# -- who am I ----------------------------------------------------------------------------------
@router.get("/me", response_model=schemas.User, tags=["auth"])
def me(user: Reader) -> schemas.User:
    """The user the token belongs to."""
    return schemas.User.of(user)


@router.get("/health", response_model=schemas.Health, tags=["auth"])
def health(request: Request, user: Reader) -> schemas.Health:
    """Whether the server can write its store (a PostgreSQL role's GRANT is asked again at most
    every 10 s) and whether its simulation workers can claim jobs, else why and since when."""
    why = unwritable_because(_store(request))
    return schemas.Health(writable=why is None, read_only=why, jobs=_jobs(request).health())


@router.get(
    "/users",
    response_model=list[schemas.UserInfo],
    tags=["auth"],
    responses={403: {"model": schemas.Error, "description": "only admins list users"}},
)
def list_users(
    request: Request,
    response: Response,
    user: Admin,
    limit: _limit(MAX_USERS) = MAX_USERS,
    offset: _offset("first by name") = 0,
) -> list[schemas.UserInfo]:
    """The users of this store by name with their role and token state (admins only):
    ``limit`` after the first ``offset``; the next and previous pages in the ``Link`` header."""
    rows = _store(request).users(limit=limit + 1, skip=offset)
    return [schemas.UserInfo.of(u) for u in _page(request, response, rows, limit, offset)]


@router.post(
    "/users/{name}/revoke",
    response_model=schemas.Revoked,
    tags=["auth"],
    responses=N
    | {
        403: {"model": schemas.Error, "description": "only admins revoke users"},
        409: {"model": schemas.Error, "description": "the last active admin"},
    },
)
def revoke_user(request: Request, name: str, user: Admin) -> schemas.Revoked:
    """Revoke a user's token (admins only), as ``fluxtrap user revoke``: their dashboard sessions
    end, their queued jobs are cancelled and their running ones stopped; how many is said.
    Refused (409) for the last active admin, who alone could manage the users."""
    revoked, jobs = _jobs(request).revoke(name, user)
    return schemas.Revoked(
        user=schemas.UserInfo.of(revoked), jobs_cancelled=len(jobs), job_ids=[j.id for j in jobs]
    )


@router.post(
    "/users",
    response_model=schemas.NewUser,
    status_code=201,
    tags=["auth"],
    responses=TAKEN | {403: {"model": schemas.Error, "description": "only admins add users"}},
)
def add_user(request: Request, body: schemas.UserIn, user: Admin) -> schemas.NewUser:
    """Create a user (admins only), as ``fluxtrap user add``: their token is in this answer
    only (the store keeps its hash; like every answer, it is not cached: ``limits``). A name
    mixing the look-alike letters of the Latin, Greek and Cyrillic scripts is refused (the
    store's check)."""
    expires_at = token_expiry(body.expires, "expires")
    token = secrets.token_urlsafe(24)
    rec = _store(request).add_user(body.name, body.role, token, expires_at=expires_at)
    return schemas.NewUser(user=schemas.UserInfo.of(rec), token=token)


@router.put(
    "/users/{name}/role",
    response_model=schemas.UserInfo,
    tags=["auth"],
    responses=N
    | {
        403: {"model": schemas.Error, "description": "only admins change roles"},
        409: {"model": schemas.Error, "description": "it would leave no active admin"},
    },
)
def set_role(request: Request, name: str, body: schemas.RoleIn, user: Admin) -> schemas.UserInfo:
    """Give a user another role (admins only; the same one again changes nothing); refused for
    the last active admin's demotion."""
    return schemas.UserInfo.of(_store(request).set_role(name, body.role))


# -- campaigns ---------------------------------------------------------------------------------
@router.get("/campaigns", response_model=list[schemas.Campaign], tags=["campaigns"])
def list_campaigns(
    request: Request,
    response: Response,
    user: Reader,
    limit: _limit(MAX_CAMPAIGNS) = MAX_CAMPAIGNS,
    offset: _offset("first created") = 0,
) -> list[schemas.Campaign]:
    """Campaigns, oldest first: ``limit`` after the first ``offset`` (a page: a list of every
    campaign grew with the store, each with its spec); the next and previous pages in the
    ``Link`` header."""
    rows = _store(request).campaign_records(limit=limit + 1, skip=offset)
    return [schemas.Campaign.of(c) for c in _page(request, response, rows, limit, offset)]


@router.post(
    "/campaigns",
    response_model=schemas.Campaign,
    status_code=201,
    tags=["campaigns"],
    responses=W | TAKEN,
)
def create_campaign(request: Request, body: schemas.CampaignIn, user: Writer) -> schemas.Campaign:
    """Create a campaign from the campaign file's content as JSON (the caller is recorded as
    ``created_by``); ``note`` says, as ``fluxtrap campaign create`` does, if suggestions will be
    refused (more objectives to optimise than suggest takes)."""
    return schemas.Campaign.of(_store(request).create_campaign(body.spec(), created_by=user.name))


@router.post(
    "/campaign-files",
    response_model=schemas.Campaign,
    status_code=201,
    tags=["campaigns"],
    responses=W | TAKEN,
)
def create_campaign_from_file(
    request: Request, body: schemas.CampaignFileIn, user: Writer
) -> schemas.Campaign:
    """Create a campaign from the campaign file's text (TOML), as `fluxtrap campaign create FILE`
    reads it: the dashboard's form. Its answer's ``notes`` are those the CLI prints (why suggest
    will refuse it, a high off its step grid); an error names the line or key."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.tomlfile import parse_toml

    spec = CampaignSpec.from_dict(parse_toml(body.toml, "campaign file"), source="campaign file")
    return schemas.Campaign.of(_store(request).create_campaign(spec, created_by=user.name))


@router.get(
    "/campaigns/{campaign}", response_model=schemas.Campaign, tags=["campaigns"], responses=N
)
def get_campaign(request: Request, campaign: str, user: Reader) -> schemas.Campaign:
    return schemas.Campaign.of(_store(request).campaign_record(campaign))


@router.get("/campaigns/{campaign}/best", tags=["campaigns"], responses=N)
def best_so_far(
    request: Request, campaign: str, user: Reader
) -> dict[str, dict[str, list[float | None] | dict[str, int]]]:
    """Best objective value so far after each sample, per loop (origin) and for all samples,
    among the samples known to meet the outcome constraints (as the optimizer's best):
    ``{objective: {"all" | "researcher" | "optimizer": [value after sample 1, 2, ...],
    "constraints": {"met", "not met", "unknown": samples measuring the objective},
    "awaiting": {outcome: of those, samples awaiting its measurement}}}`` (SI)."""
    store = _store(request)
    return history.best_so_far(store.campaign(campaign), store.history(campaign))


# -- samples -----------------------------------------------------------------------------------
@router.get(
    "/campaigns/{campaign}/samples",
    response_model=list[schemas.Sample],
    tags=["samples"],
    responses=N,
)
def list_samples(
    request: Request,
    response: Response,
    campaign: str,
    user: Reader,
    limit: _limit(MAX_SAMPLES) = MAX_SAMPLES,
    offset: _offset("first recorded") = 0,
) -> list[schemas.Sample]:
    """The campaign's samples in recording order: ``limit`` after the first ``offset`` (a page:
    6000 samples with long notes were one 62 MB answer); the next and previous pages in the
    ``Link`` header."""
    rows = _store(request).samples(campaign, limit=limit + 1, skip=offset)
    return [schemas.Sample.of(x) for x in _page(request, response, rows, limit, offset)]


@router.get("/campaigns/{campaign}/labels", response_model=list[str], tags=["samples"], responses=N)
def sample_labels(
    request: Request,
    campaign: str,
    user: Reader,
    containing: Annotated[
        str,
        Query(
            max_length=MAX_NAME,
            description="text the labels contain, in either case (on SQLite: ASCII letters); "
            "empty: any",
        ),
    ] = "",
    limit: _limit(MAX_LABELS) = 20,
) -> list[str]:
    """Labels of the campaign's samples that contain ``containing``, newest first, at most
    ``limit``: the upload form's sample picker offers any sample of the campaign from them
    (it had listed only the samples on the page shown)."""
    return _store(request).sample_labels(campaign, containing, limit=limit)


@router.post(
    "/campaigns/{campaign}/samples",
    response_model=schemas.SampleAdded,
    status_code=201,
    tags=["samples"],
    responses=W | N | TAKEN,
)
def add_sample(
    request: Request, campaign: str, body: schemas.SampleIn, user: Writer
) -> schemas.SampleAdded:
    """Record a sample (the caller is recorded as ``recorded_by``); a ``suggestion_id`` marks
    that suggestion used, a parameter not in ``params`` is the suggestion's value (as `sample add
    --from-suggestion`), and ``departures`` says where the sample's parameters differ from it."""
    store = _store(request)
    params = body.params
    if body.suggestion_id is not None:  # each had to be sent again, digit for digit
        suggested = store.suggestion(body.suggestion_id)
        if suggested.campaign != campaign:  # said first: not its parameters missing
            raise ValidationError(
                f"sample {body.label!r}: suggestion_id {suggested.id} is a suggestion of "
                f"another campaign, not of {campaign!r}"
            )
        params = {**suggested.params, **params}
    rec = store.add_sample(
        campaign,
        body.label,
        params,
        origin=body.origin,
        suggestion_id=body.suggestion_id,
        objectives=body.objectives,
        recorded_by=user.name,
        notes=body.notes,
        outside_space=body.outside_space,
    )
    return schemas.SampleAdded(
        **schemas.Sample.of(rec).model_dump(), departures=store.departures(rec)
    )


@router.get(
    "/campaigns/{campaign}/samples/{label}",
    response_model=schemas.Sample,
    tags=["samples"],
    responses=N,
)
def get_sample(request: Request, campaign: str, label: str, user: Reader) -> schemas.Sample:
    return schemas.Sample.of(_store(request).sample(campaign, label))


# -- measurements ------------------------------------------------------------------------------
@router.get(
    "/campaigns/{campaign}/samples/{label}/measurements",
    response_model=list[schemas.Measurement],
    tags=["measurements"],
    responses=N,
)
def list_measurements(
    request: Request,
    response: Response,
    campaign: str,
    label: str,
    user: Reader,
    limit: _limit(MAX_MEASUREMENTS) = MAX_MEASUREMENTS,
    offset: _offset("first recorded") = 0,
) -> list[schemas.Measurement]:
    """A sample's measurements, oldest first, each with what its analysis warned about:
    ``limit`` after the first ``offset``, the next and previous pages in the ``Link`` header
    (each listed one's metadata is read for its warnings: a list of every one was unbounded)."""
    store = _store(request)
    recs = store.measurements(campaign, label, with_content=False, limit=limit + 1, skip=offset)
    recs = _page(request, response, recs, limit, offset)
    return [
        schemas.Measurement.of(x, notes)
        for x, notes in zip(recs, jcdata.notes_of(store, recs), strict=True)
    ]


@router.post(
    "/campaigns/{campaign}/samples/{label}/measurements",
    response_model=schemas.Upload,
    status_code=201,
    tags=["measurements"],
    responses=W
    | N
    | {413: {"model": schemas.Error, "description": "larger than the server's upload limit"}},
)
def upload_measurement(
    request: Request,
    campaign: str,
    label: str,
    user: Writer,
    _form: Annotated[None, Depends(known_form)],
    file: Annotated[UploadFile, File(description="the instrument file (MPMS3 .dat or CSV)")],
    a: Annotated[
        str | None,
        Form(
            max_length=50,
            description='sample edge a (<= b) across the field, e.g. "1.2 mm" (M(H) loops)',
        ),
    ] = None,
    b: Annotated[
        str | None, Form(max_length=50, description='sample edge b across the field, e.g. "2 mm"')
    ] = None,
    c: Annotated[
        str | None, Form(max_length=50, description='sample edge along the field, e.g. "0.5 mm"')
    ] = None,
    shape: Annotated[
        str,
        Form(
            max_length=50,
            description="the sample's shape: bar (edges a, b, c) or cylinder (a disc or rod: "
            "diameter, and thickness along the field), in any case, as the CLI's --shape",
        ),
    ] = "bar",
    diameter: Annotated[
        str | None,
        Form(max_length=50, description='diameter of a cylinder, e.g. "3 mm" (shape cylinder)'),
    ] = None,
    thickness: Annotated[
        str | None,
        Form(
            max_length=50,
            description='thickness of a cylinder along the field, e.g. "1 mm" (shape cylinder)',
        ),
    ] = None,
    kind: Annotated[
        str,
        Form(
            max_length=50,
            description="what the file measures: mh_loop (Jc(B); needs a, b, c) or mt_curve (Tc "
            "of each sweep, 90 % shielded, for the campaign's tc objectives), in any case, '-' "
            "for '_', as the CLI's --kind",
        ),
    ] = "mh_loop",
    temperature: Annotated[
        str | None,
        Form(
            max_length=50,
            description='which loop of a multi-temperature file, e.g. "5 K" (default: the first)',
        ),
    ] = None,
    force: Annotated[
        bool,
        Form(
            description="derive a Jc even from a loop that is not a superconductor's (recorded "
            "in the curve's settings: forced, warnings), as the CLI's --force"
        ),
    ] = False,
    replace: Annotated[
        bool,
        Form(
            description="overwrite objective values the sample already has (without it such "
            "an upload is a 422 naming both values, and nothing is stored), as --replace"
        ),
    ] = False,
) -> schemas.Upload:
    """Upload a measurement file: the server derives Jc(B) (an M(H) loop) or Tc (an M(T) curve)
    and the campaign's objectives from it and stores file, curves and objectives in one
    transaction (a file that cannot be analysed is a 422 and nothing is written; so is a loop
    that does not shield, unless ``force``, and one giving an objective value the sample
    already has, unless ``replace``); ``warnings`` says what the analysis warned about,
    ``not_set`` why an objective was not read off the file."""
    from fluxtrap.magnetometry.loops import shape_name
    from fluxtrap.magnetometry.pipeline import kind_name
    from fluxtrap.workflows.measurements import measurement_target, record_measurement

    store = _store(request)
    spec = measurement_target(store, campaign, label)  # 404 before the (slower) analysis
    # its name checked before the analysis, whose errors quote it (a U+202E reordered them)
    filename = check_filename(file.filename or "upload")
    shape = shape_name(shape, "form field shape")  # "Cylinder" as the CLI takes it (was a 422)
    kind = kind_name(kind, "form field kind")  # "MH_LOOP" as the CLI takes it (was a 422)
    sizes = (("a", a), ("b", b), ("c", c), ("diameter", diameter), ("thickness", thickness))
    given = {k: v for k, v in sizes if v}  # a form sends "" for none
    named = [*given, *(["shape"] if shape != "bar" else [])]
    if kind == "mt_curve" and named:  # not ignored: the loop's edges sent with the wrong kind?
        raise ValidationError(
            f"form field(s) {', '.join(named)}: the sample's edges apply to M(H) loops (kind "
            "mh_loop), not to an M(T) curve"
        )
    own = ("diameter", "thickness") if shape == "cylinder" else ("a", "b", "c")
    if other := [k for k in given if k not in own]:
        raise ValidationError(
            f"form field(s) {', '.join(other)}: a {shape} is given by {', '.join(own)}"
        )
    if kind == "mh_loop" and (missing := [k for k in own if k not in given]):
        # said here, naming the shape's own fields (a cylinder without its thickness had been
        # told it needs "a, b and c")
        raise ValidationError(
            f"an M(H) loop needs the sample's edges: {', '.join(own[:-1])} and {own[-1]}"
            + (f" ({', '.join(missing)} missing)" if len(missing) < len(own) else "")
            + f' of the {shape}, each a length with its unit, e.g. "1.2 mm"'
        )
    sizes_m = {k: parse(v, "length", f"form field {k}") for k, v in given.items()}
    edges = (
        None
        if len(sizes_m) < len(own)
        else (sizes_m["diameter"], sizes_m["diameter"], sizes_m["thickness"])
        if shape == "cylinder"
        else (sizes_m["a"], sizes_m["b"], sizes_m["c"])
    )
    temperature_K = (
        None if not temperature else parse(temperature, "temperature", "form field temperature")
    )
    with request.app.state.heavy.turn("upload the file", user.name):
        # read in its turn: 40 uploads of 50 MiB waiting for one would hold 2 GB (the parser
        # spooled each to disk; its size is bounded by .limits)
        done = record_measurement(
            store,
            campaign,
            label,
            filename,
            file.file.read(),
            edges,
            kind=kind,
            temperature_K=temperature_K,
            recorded_by=user.name,
            spec=spec,
            force=force,
            replace=replace,
            shape=shape,
        )
    curves = store.curves(done.record.id)
    notes = jcdata.measurement_notes(done.record, [cv.settings for cv in curves])
    return schemas.Upload(
        measurement=schemas.Measurement.of(done.record, notes),
        curves=[schemas.Curve.of(cv) for cv in curves],
        objectives=done.objectives,
        objective_errors=done.errors,
        warnings=notes,
        not_set=done.skipped,
    )


@router.get(
    "/measurements/{measurement_id}/curves",
    response_model=list[schemas.Curve],
    tags=["measurements"],
    responses=N,
)
def measurement_curves(request: Request, measurement_id: Id, user: Reader) -> list[schemas.Curve]:
    """The curves derived from one measurement (Jc(B) in A/m^2 against B in T, ...)."""
    return [schemas.Curve.of(cv) for cv in _store(request).curves(measurement_id)]


@router.get(
    "/campaigns/{campaign}/jc",
    response_model=dict[str, schemas.Columns],
    tags=["measurements"],
    responses=N,
)
def jc_curves(
    request: Request,
    response: Response,
    campaign: str,
    user: Reader,
    sample: Annotated[
        list[str] | None, Query(description="labels to include (default: all measured)")
    ] = None,
    limit: _limit(MAX_JC_CURVES) = MAX_JC_CURVES,
    offset: _offset("first measured") = 0,
) -> dict[str, schemas.Columns]:
    """Jc(B) of each measured sample (the newest measurement), keyed by sample label, in the
    order they were first measured: ``limit`` after the first ``offset`` (a page: 2000 samples'
    curves were one ~100 MB answer); the next and previous pages in the ``Link`` header."""
    store = _store(request)
    chosen = list(jcdata.jc_measurements(store, campaign, sample).items())
    _link_pages(request, response, len(chosen) > offset + limit, limit, offset)
    with request.app.state.heavy.turn("read the Jc(B) curves", user.name):  # each maybe MBs
        curves = jcdata.jc_curves(jcdata.read_jc(store, dict(chosen[offset : offset + limit])))
        return {k: schemas.Columns(columns=v) for k, v in curves.items()}


# -- suggestions -------------------------------------------------------------------------------
@router.get(
    "/campaigns/{campaign}/suggestions",
    response_model=list[schemas.Suggestion],
    tags=["suggestions"],
    responses=N,
)
def list_suggestions(
    request: Request,
    response: Response,
    campaign: str,
    user: Reader,
    status: schemas.SuggestionStatus | None = None,
    limit: _limit(MAX_SUGGESTIONS) = MAX_SUGGESTIONS,
    offset: _offset("first made") = 0,
) -> list[schemas.Suggestion]:
    """The campaign's suggestions (or those with ``status``), oldest first: ``limit`` after the
    first ``offset``, the next and previous pages in the ``Link`` header (a list of every one
    grew with the campaign, each with its model summary)."""
    rows = _store(request).suggestions(campaign, status, limit=limit + 1, skip=offset)
    return [schemas.Suggestion.of(x) for x in _page(request, response, rows, limit, offset)]


@router.post(
    "/campaigns/{campaign}/suggestions",
    response_model=list[schemas.Suggestion],
    status_code=201,
    tags=["suggestions"],
    responses=W | N,
)
def ask_suggestions(
    request: Request, campaign: str, body: schemas.SuggestIn, user: Writer
) -> list[schemas.Suggestion]:
    """Ask the optimizer for the next ``n`` process conditions; they are stored as ``open``
    with the seed and the caller as ``created_by``. A batch estimated past the optimizer's
    ``MAX_ASK_S`` is refused (422) naming the largest ``n`` within it: a shared server runs no
    long asks."""
    from fluxtrap.optimize.optimizer import MAX_ASK_S, LongAskError
    from fluxtrap.workflows.suggest import suggest

    seed = secrets.randbelow(2**31) if body.seed is None else body.seed
    with request.app.state.heavy.turn("ask for suggestions", user.name):
        try:
            recs = suggest(_store(request), campaign, body.n, seed, created_by=user.name)
        except LongAskError as e:  # its message names CLI flags this API does not have
            fewer = (
                f"ask for a smaller batch, at most n={e.largest}"
                if e.largest
                else "even n=1 is estimated past it, as this campaign's history stands"
            )
            raise ValidationError(
                f"suggestions for {campaign!r}: {e.sizes}: estimated about {e.seconds / 60:.0f} "
                f"min, past this server's {MAX_ASK_S / 60:g} min limit for one request: {fewer}"
            ) from None
    return [schemas.Suggestion.of(x) for x in recs]


@router.get(
    "/suggestions/{suggestion_id}",
    response_model=schemas.Suggestion,
    tags=["suggestions"],
    responses=N,
)
def get_suggestion(request: Request, suggestion_id: Id, user: Reader) -> schemas.Suggestion:
    return schemas.Suggestion.of(_store(request).suggestion(suggestion_id))


@router.patch(
    "/suggestions/{suggestion_id}",
    response_model=schemas.Suggestion,
    tags=["suggestions"],
    responses=W | N | CHANGED,
)
def set_suggestion_status(
    request: Request, suggestion_id: Id, body: schemas.SuggestionStatusIn, user: Writer
) -> schemas.Suggestion:
    """Mark a suggestion used (only one a sample was made from: recording the sample marks it),
    discarded, abandoned, failed, or open again, with an optional note (the caller is recorded
    as ``status_changed_by``); with ``if_status``, only if it still has that status (409)."""
    rec = _store(request).set_suggestion_status(
        suggestion_id, body.status, changed_by=user.name, note=body.note, expected=body.if_status
    )
    return schemas.Suggestion.of(rec)


@router.patch(
    "/campaigns/{campaign}/samples/{label}",
    response_model=schemas.Sample,
    tags=["samples"],
    responses=W | N | CHANGED,
)
def set_sample_status(
    request: Request, campaign: str, label: str, body: schemas.SampleStatusIn, user: Writer
) -> schemas.Sample:
    """Mark a sample failed (no longer pending; its suggestion, if any, failed too) or made;
    with ``if_status``, only if it still has that status (409 naming the status it has)."""
    rec = _store(request).set_sample_status(
        campaign, label, body.status, note=body.note, changed_by=user.name, expected=body.if_status
    )
    return schemas.Sample.of(rec)


@router.put(
    "/campaigns/{campaign}/samples/{label}/objectives",
    response_model=schemas.Sample,
    tags=["samples"],
    responses=W | N,
)
def set_objectives(
    request: Request, campaign: str, label: str, body: schemas.ObjectivesIn, user: Writer
) -> schemas.Sample:
    """Record objective values measured by hand (a Tc from another instrument); a value already
    stored is a 422 naming it unless ``replace``, and a failed sample takes none."""
    store = _store(request)
    rec = store.set_objectives(
        campaign, label, body.objectives, replace=body.replace, changed_by=user.name
    )
    return schemas.Sample.of(rec)


# -- simulation jobs and stored simulations ----------------------------------------------------
JobId = Annotated[
    int, BeforeValidator(schemas.digits), Path(ge=1, le=2**31 - 1, description="a job id (32-bit)")
]
NJ = {404: {"model": schemas.Error, "description": "no such job"}}
NOT_DONE = {
    409: {"model": schemas.Error, "description": "the simulation failed: it has no results"}
}


@router.post(
    "/simulations",
    response_model=schemas.Job,
    status_code=202,
    tags=["simulations"],
    responses=W
    | {
        429: {
            "model": schemas.Error,
            "description": "the user (or everybody) has as many jobs queued or running as allowed",
        },
        202: {
            "description": "queued; follow the job at its Location",
            "headers": {
                "Location": {
                    "description": "the job: /api/jobs/{id}",
                    "schema": {"type": "string"},
                }
            },
        },
    },
)
def submit_simulation(
    request: Request, response: Response, body: schemas.SimulationIn, user: Writer
) -> schemas.Job:
    """Check a case file and queue its simulation as a job; poll ``GET /api/jobs/{id}`` (the
    ``Location``) until it has finished, then read ``/api/simulations/{simulation_id}``."""
    # checking a case takes a turn: 1000 layers and 1000 probes (a 105 kB case) took 7 s of CPU
    with request.app.state.heavy.turn("submit the case", user.name):
        job = _jobs(request).submit(body.case, user.name)
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return job


@router.get("/jobs", response_model=list[schemas.Job], tags=["simulations"])
def list_jobs(request: Request, user: Reader) -> list[schemas.Job]:
    """The newest simulation jobs (500 at most, from before restarts too), oldest first."""
    return _jobs(request).jobs()


@router.get("/jobs/{job_id}", response_model=schemas.Job, tags=["simulations"], responses=NJ)
def get_job(request: Request, job_id: JobId, user: Reader) -> schemas.Job:
    """A job: queued, running, done or failed; once finished, ``simulation_id`` is its id in the
    store (null if the store refused it: ``error`` says why)."""
    return _jobs(request).job(job_id)


@router.delete(
    "/jobs/{job_id}",
    response_model=schemas.Job,
    tags=["simulations"],
    responses=NJ
    | {
        403: {"model": schemas.Error, "description": "another user's job (and not an admin)"},
        409: {"model": schemas.Error, "description": "the job has already finished"},
    },
)
def cancel_job(request: Request, job_id: JobId, user: Writer) -> schemas.Job:
    """Cancel a queued or running job (its owner or an admin); a running job's process is
    killed. Nothing is stored of a cancelled job."""
    return _jobs(request).cancel(job_id, user)


@router.get("/simulations", response_model=list[schemas.Simulation], tags=["simulations"])
def list_simulations(
    request: Request,
    response: Response,
    user: Reader,
    limit: _limit(MAX_LISTED) = MAX_LISTED,
    offset: _offset("newest") = 0,
) -> list[schemas.Simulation]:
    """Stored simulations (finished web jobs and ``fluxtrap simulate --db``), by id: the newest
    ``limit`` after the ``offset`` newest (a page counted from the newest; each carries its
    summary, so a list of every one was unbounded; its J/B maps' numbers only in its own GET);
    the next and previous pages in the ``Link`` header."""
    with request.app.state.heavy.turn("list the simulations", user.name):  # summaries parsed
        rows = _jobs(request).simulations(limit + 1, offset)  # oldest first: the extra one first
    _link_pages(request, response, len(rows) > limit, limit, offset)
    return rows[-limit:]


@router.get(
    "/simulations/{simulation_id}",
    response_model=schemas.Simulation,
    tags=["simulations"],
    responses=N,
)
def get_simulation(request: Request, simulation_id: Id, user: Reader) -> schemas.Simulation:
    """A stored simulation (done or failed)."""
    return _jobs(request).simulation(simulation_id)


@router.get(
    "/simulations/{simulation_id}/probes",
    tags=["simulations"],
    responses=N
    | NOT_DONE
    | {
        200: {
            "content": {"application/json": {}, "text/csv": {}},
            "description": "probes.csv columns: time_s, applied_T, temperature_K, <probe>_Bz_T",
        },
    },
)
def simulation_probes(
    request: Request, simulation_id: Id, user: Reader, format: Literal["json", "csv"] = "json"
) -> Response:
    """The probe traces of a stored simulation that is done, as JSON columns or as
    ``probes.csv`` (the stored file, byte for byte)."""
    with request.app.state.heavy.turn("read the probe traces", user.name):  # maybe MBs
        return _csv_as(_jobs(request).probes_csv(simulation_id), format)


@router.get(
    "/simulations/{simulation_id}/heat",
    tags=["simulations"],
    responses=N
    | NOT_DONE
    | {
        200: {
            "content": {"application/json": {}, "text/csv": {}},
            "description": "heat.csv columns: time_s, max_T_K, mean_T_K, heat_J, dissipated_J, "
            "removed_J (absent before it was written) "
            "(with a cold head also cold_head_T_K, cooler_J, heater_J)",
        },
    },
)
def simulation_heat(
    request: Request, simulation_id: Id, user: Reader, format: Literal["json", "csv"] = "json"
) -> Response:
    """The heat history of a stored heat run that is done, as JSON columns or as ``heat.csv``
    (the stored file, byte for byte); 404 for a run without a heat model (or stored before
    heat.csv was kept)."""
    with request.app.state.heavy.turn("read the heat history", user.name):
        return _csv_as(_jobs(request).heat_csv(simulation_id), format)


def _csv_as(content: bytes, format: Literal["json", "csv"]) -> Response:
    """A stored CSV file as it is, or as JSON columns."""
    if format == "csv":
        return Response(content, media_type="text/csv")
    df = pd.read_csv(io.BytesIO(content))
    return Response(
        schemas.Columns(columns=df.to_dict(orient="list")).model_dump_json(),
        media_type="application/json",
    )


@router.get("/simulations/{simulation_id}/plots", tags=["simulations"], responses=N | NOT_DONE)
def simulation_plots(request: Request, simulation_id: Id, user: Reader) -> dict:
    """Plotly figures (JSON) of a stored simulation that is done: probe traces, and the J/B
    maps its summary keeps (a web job's and the demo's)."""
    with request.app.state.heavy.turn("draw the simulation's figures", user.name):
        return _jobs(request).figures(simulation_id)


@router.get(
    "/simulations/{simulation_id}/maps/{index}",
    tags=["simulations"],
    responses=N | NOT_DONE,
)
def simulation_map(
    request: Request,
    simulation_id: Id,
    index: Annotated[schemas.Count, Path(ge=0, le=MAX_OFFSET, description="the map, from 0")],
    user: Reader,
) -> dict:
    """The Plotly figure (JSON) of one J/B map of a stored simulation that is done (its page
    shows the last and fetches another chosen here)."""
    with request.app.state.heavy.turn("draw the J/B map", user.name):
        return _jobs(request).map_figure(simulation_id, index)
