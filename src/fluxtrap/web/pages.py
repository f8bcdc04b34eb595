"""Dashboard pages: server-rendered Jinja2 templates with Plotly charts (plotly.js served locally).

Pages only read; they find their user from the ``fluxtrap_session`` cookie that ``POST /login``
sets (a server-side session's id, never the API token; HttpOnly, SameSite=Strict, Secure over
HTTPS; no valid cookie: redirect to ``/login``). Every action on a page (add a sample, upload a
file, ask for suggestions, submit a simulation) is a ``fetch`` to the REST API, which the
browser sends with the cookie and the page with the CSRF token (``<meta name="csrf-token">``),
so pages and scripts share one set of rules.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from fluxtrap.campaign import CampaignSpec, shown_acquisition
from fluxtrap.errors import FluxtrapError, NotFoundError, ValidationError
from fluxtrap.optimize.stopping import StoppingAdvice, campaign_advice
from fluxtrap.store import UserRecord
from fluxtrap.store.models import ROLES
from fluxtrap.units import value_text
from fluxtrap.web import jcdata, plots
from fluxtrap.web.api import (
    MAX_CAMPAIGNS,
    MAX_SAMPLES,
    MAX_SUGGESTIONS,
    MAX_USERS,
    here,
    known_form,
    known_query,
)
from fluxtrap.web.auth import COOKIE, csrf_token, store_of, user_from_session
from fluxtrap.web.jobs import MAX_LISTED, MAX_OFFSET
from fluxtrap.web.schemas import MAX_CAMPAIGN_FILE, Count, Id, Simulation

LISTED_CALIBRATIONS = 200  # the newest calibrations on the calibrations page
PAGE_CAMPAIGNS = 100  # campaigns on one page of the campaign list (?limit: up to MAX_CAMPAIGNS)
PAGE_SUGGESTIONS = 100  # suggestions in the model page's table (?limit: up to MAX_SUGGESTIONS)
# samples in the campaign page's tables, above its forms (?limit: up to MAX_SAMPLES)
PAGE_SAMPLES = 100
# simulations on one page of their list (?limit: up to MAX_LISTED; each summary is parsed by the
# database, about 15 ms of CPU for one of 50 J/B maps: the page had listed 500, 7.5 s)
PAGE_SIMULATIONS = 50
NOTES_SHOWN = 200  # characters of a sample's notes in those tables (the API gives all 10 000)
SHOWN_CASE = 200_000  # characters of a simulation's case file on its page (the API takes as many)
MAX_JC_DRAWN = 50  # curves on the Jc(B) page (each up to plots.MAX_PLOTTED points, 20 ms)
# M(H) and M(T) files drawn on the Jc(B) page of samples asked (each read again from its bytes)
MAX_FILES_DRAWN = 20
log = logging.getLogger("fluxtrap.web")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["formatted"] = plots.formatted
templates.env.filters["estimate"] = plots.with_error


def _shown(value: object) -> object:
    """Every value a page writes: stored text with its reordering characters as escapes
    (``plots.visible``; what is stored is unchanged); markup (tojson's ASCII JSON) as it is."""
    return (
        plots.visible(value) if isinstance(value, str) and not hasattr(value, "__html__") else value
    )


templates.env.finalize = _shown


def utc(t: datetime, form: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored time for a page, in UTC and saying so (SQLite's times are UTC without a zone;
    PostgreSQL's come in its session's zone): pages showed "07:30:23" with no zone."""
    return (t.astimezone(UTC) if t.tzinfo else t).strftime(form) + " UTC"


templates.env.filters["utc"] = utc


async def known_names(request: Request) -> None:
    """A page's query parameter or form field (``/login``, ``/logout``) that it does not take,
    or one sent twice that takes one value (FastAPI kept the last), is a 400 page naming it:
    the API's rules (``api.known_query``, ``api.known_form``), so a typo is not ignored."""
    try:
        known_query(request)
        if request.method == "POST":
            _form_sent(request)
            await known_form(request)
    except ValidationError as err:
        raise HTTPException(400, str(err)) from None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORM_FIELDS = {"/login": "token (and next)", "/logout": "csrf"}


def _form_sent(request: Request) -> None:
    """A page's POST (``/login``, ``/logout``) takes an HTML form: a body of another type (JSON
    from a script) is a 415 saying what it takes; it was FastAPI's 422 "body.token: Field
    required" of a JSON body holding the token. A script needs no login: it sends its token as
    ``Authorization: Bearer`` to ``/api``."""
    sent = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if sent in FORM_TYPES or (not sent and request.headers.get("content-length", "0") == "0"):
        return  # a form, or no body at all (its fields' defaults)
    fields = FORM_FIELDS.get(request.url.path, "its fields")
    raise HTTPException(
        415,
        f"POST {request.url.path} takes an HTML form (Content-Type {FORM_TYPES[0]} or "
        f"{FORM_TYPES[1]}) with the field {fields}, not "
        f"{repr(sent[:100]) if sent else 'a body without a Content-Type'}; a script needs no "
        "login: it sends its token to /api as the header 'Authorization: Bearer TOKEN'",
    )


router = APIRouter(
    include_in_schema=False,
    default_response_class=HTMLResponse,
    dependencies=[Depends(known_names)],
)


class LoginRequired(Exception):
    """Raised by a page without a valid session cookie; answered with a redirect to the login
    page."""


def _user(request: Request) -> UserRecord:
    user = user_from_session(store_of(request), request.cookies.get(COOKIE))
    if user is None:
        query = request.url.query  # back to the page as asked: ?sample=B1, ?offset=500
        raise LoginRequired(here(request) + (f"?{query}" if query else ""))
    return user


def _page(
    request: Request, name: str, user: UserRecord | None, status_code: int = 200, **context
) -> HTMLResponse:
    csrf = csrf_token(request.cookies[COOKIE]) if user and COOKIE in request.cookies else ""
    # a store the server cannot write (now: a GRANT restored counts): no write forms
    read_only = not request.app.state.store.writable
    can_write = user is not None and user.role in ("writer", "admin") and not read_only
    context = {"user": user, "csrf": csrf, "read_only": read_only, "can_write": can_write} | context
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def login_redirect(request: Request, err: LoginRequired) -> RedirectResponse:
    """To the login page, then back to the page asked; a page whose address, encoded in the
    login page's, would pass the URL limit (limits.Guard's 414: a 5 KB ?sample= list became a
    login address of 9 KB) goes back to its path without the query, or to /."""
    limit = request.app.state.limits.max_header
    for target in (err.args[0], here(request), "/"):
        if len(to := f"/login?{urlencode({'next': target})}") <= limit:
            break
    return RedirectResponse(to, status_code=303)


def safe_next(next: str) -> str:
    """``next`` if it is a path on this site, else ``/``: ``//evil.example``, ``/\\evil.example``
    (browsers read a backslash as a slash) and anything with a scheme or control characters
    would send the user elsewhere after logging in."""
    return next if re.fullmatch(r"/(?![/\\])[^\\\x00-\x1f\x7f]*", next) else "/"


@router.get("/login")
def login(request: Request, next: str = "/") -> HTMLResponse:
    no_users = not store_of(request).users(limit=1)
    return _page(request, "login.html", None, next=safe_next(next), no_users=no_users)


@router.post("/login", response_model=None)
def login_with_token(
    request: Request,
    # no length rule: a 422 would quote the pasted token back; none given: the page says so
    token: Annotated[str, Form()] = "",
    # as long as a URL may be (limits.Guard): 2000 had refused the login, 422, of a page asked
    # by a longer address (a ?sample= list), which the login page had been sent back with
    next: Annotated[str, Form(max_length=8 * 2**10)] = "/",
) -> HTMLResponse | RedirectResponse:
    """Check the token and start a session (``Store.start_session``): the session's id, never
    the token, goes into an HttpOnly, SameSite=Strict cookie (Secure over HTTPS) that no script
    can read and that lasts as long as the session (the session of the cookie the browser sent,
    if any, ends), then back to ``next`` on this site. A login posted from another site
    (``Sec-Fetch-Site``) is refused: it would log the user in as someone else (login CSRF)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(
            403, "log in from the fluxtrap login page (this came from another site)"
        )
    if not token.strip():  # it was "body.token: Field required"
        return _page(
            request,
            "login.html",
            None,
            status_code=422,
            next=safe_next(next),
            message="no token was given: paste the API token `fluxtrap user add` printed",
        )
    session = store_of(request).start_session(token.strip())
    if session is None:
        return _page(
            request,
            "login.html",
            None,
            status_code=401,
            next=safe_next(next),
            message="this token is not known to the server (revoked or expired?)",
        )
    if replaced := request.cookies.get(COOKIE):  # this browser's previous login ends
        store_of(request).end_session(replaced)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        session.session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=max(0, int((session.expires_at - datetime.now(UTC)).total_seconds())),
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> RedirectResponse:
    """End the session on the server and drop its cookie (only with the page's CSRF token, so no
    other site can log a user out); a copy of the cookie is refused from then on."""
    session_id = request.cookies.get(COOKIE, "")
    if session_id and not hmac.compare_digest(csrf.encode(), csrf_token(session_id).encode()):
        # 403 as the API's cookie writes without the page's token (auth.authenticate); was 422
        raise HTTPException(
            403, "log out from a fluxtrap page (the CSRF token is missing or wrong)"
        )
    if session_id:
        store_of(request).end_session(session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, httponly=True, samesite="strict")
    return response


@router.get("/")
def index(
    request: Request,
    limit: Annotated[Count, Query(ge=1, le=MAX_CAMPAIGNS)] = PAGE_CAMPAIGNS,
    offset: Annotated[Count, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HTMLResponse:
    """The campaigns, oldest first, ``limit`` after the first ``offset`` (a page, with links to
    the next and previous ones: every campaign on one page grew with the store)."""
    user, store = _user(request), store_of(request)
    specs = store.campaigns(limit=limit + 1, skip=offset)  # one more: is there a next page?
    shown = specs[:limit]
    counts = store.sample_counts([c.name for c in shown])  # one query, not one per campaign
    sized = {"limit": limit} if limit != PAGE_CAMPAIGNS else {}

    def page_at(at: int) -> str:
        return "/?" + urlencode({"offset": at, **sized})

    return _page(
        request,
        "index.html",
        user,
        campaigns=[(c, counts.get(c.name, 0)) for c in shown],
        first=offset + 1,
        next_page=page_at(offset + limit) if len(specs) > limit else None,
        previous_page=page_at(max(0, offset - limit)) if offset else None,
        max_campaign_file=MAX_CAMPAIGN_FILE,
        example_campaign=EXAMPLE_CAMPAIGN,
    )


# the create form's placeholder: the shape of a campaign file (design section 4)
EXAMPLE_CAMPAIGN = """name = "K-Ba122 SPS"
[[parameters]]
name = "max_temperature"
unit = "degC"
low = 450
high = 750
step = 1
[[objectives]]
name = "jc_3T"
quantity = "jc"
field = "3 T"
temperature = "5 K"
goal = "maximize"
"""


@router.get("/campaigns/{campaign}")
def campaign_page(
    request: Request,
    campaign: str,
    limit: Annotated[Count, Query(ge=1, le=MAX_SAMPLES)] = PAGE_SAMPLES,
    offset: Annotated[Count, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HTMLResponse:
    """The campaign's overview: progress of every sample, and a table of ``limit`` samples after
    the first ``offset`` in recording order, with links to the next and previous ones (every
    sample was one table, and one option of the upload form)."""
    user, store = _user(request), store_of(request)
    spec = store.campaign(campaign)
    history = store.history(campaign)
    samples = store.samples(campaign, limit=limit + 1, skip=offset)  # one more: a next page?

    def page_at(at: int) -> str:
        return f"{here(request)}?{request.url.include_query_params(offset=at).query}"

    measurements = store.measurements(campaign, with_content=False)
    measured = {m.sample for m in measurements if m.kind == "mh_loop"}  # a Jc(B) to link
    # samples with a file that says it is SYNTHETIC: flagged (they looked measured)
    synthetic = {m.sample for m in measurements if jcdata.synthetic(m)}
    figures = {
        f"progress-{o.name}": plots.progress_figure(spec, history, o) for o in spec.objectives
    }
    return _page(
        request,
        "campaign.html",
        user,
        spec=spec,
        samples=samples[:limit],
        first=offset + 1,
        n_samples=len(history),
        next_page=page_at(offset + limit) if len(samples) > limit else None,
        previous_page=page_at(max(0, offset - limit)) if offset else None,
        new_sample_page=page_at(len(history) // limit * limit),  # where one more sample is
        measured=measured,
        synthetic=synthetic,
        synthetic_title=jcdata.SYNTHETIC_TITLE,
        tc_notes=jcdata.tc_notes(store, measurements),
        figures=figures,
        objective_units={o.name: (o.shown_unit, o.shown(1.0)) for o in spec.objectives},
        open_suggestions=store.suggestions(campaign, "open"),
        notes_shown=NOTES_SHOWN,
    )


@router.get("/campaigns/{campaign}/jc")
def jc_page(
    request: Request, campaign: str, sample: Annotated[list[str] | None, Query()] = None
) -> HTMLResponse:
    """The newest Jc(B) curve of each measured sample, at most ``MAX_JC_DRAWN`` of them: those
    asked (``?sample=``) and the most recently measured others (2000 samples' 1000-point curves
    were a 170 MB page built in 46 s); below it the M(H) loops and M(T) sweeps the asked samples'
    curves came from (their newest ``MAX_FILES_DRAWN`` files)."""
    user, store = _user(request), store_of(request)
    spec = store.campaign(campaign)
    asked = list(dict.fromkeys(sample or []))
    if len(asked) > MAX_JC_DRAWN:
        raise ValidationError(
            f"{len(asked)} samples asked (?sample=): the Jc(B) page draws at most {MAX_JC_DRAWN}"
        )
    for label in asked:  # an unknown label is a 404, as in the API, before any curve is read
        store.sample(campaign, label)
    measured = jcdata.jc_measurements(store, campaign)  # label -> (measurement, curve id)
    asked = [s for s in asked if s in measured]
    others = sorted((m.id, s) for s, (m, _) in measured.items() if s not in asked)
    room = MAX_JC_DRAWN - len(asked)
    drawn = set(asked) | {s for _, s in others[max(0, len(others) - room) :]}
    # the drawn samples' curves read and drawn: seconds for large loops, so it takes a turn
    with request.app.state.heavy.turn("open the Jc(B) page", user.name):
        newest = jcdata.read_jc(store, {s: v for s, v in measured.items() if s in drawn})
        curves = jcdata.jc_curves(newest)
        temperatures_K = {s: meas.temperature_K for s, (meas, _) in newest.items()}
        figure = plots.jc_figure(curves, temperatures_K)
        measured_files = jcdata.measured_figures(store, campaign, sample or [], MAX_FILES_DRAWN)
    selected = [s for s in (sample or curves) if s in curves]
    notes = jcdata.jc_notes(newest)
    for label in [s for s in dict.fromkeys(sample or []) if s not in curves]:  # as asked
        notes[label] = ["no Jc(B) curve yet: upload an M(H) loop of it"]
    return _page(
        request,
        "jc.html",
        user,
        spec=spec,
        labels={s: plots.measured_at(s, temperatures_K[s]) for s in curves},
        synthetic={s for s, (meas, _) in newest.items() if jcdata.synthetic(meas)},
        synthetic_title=jcdata.SYNTHETIC_TITLE,
        selected=selected,
        figures={"jc": figure} | measured_files,
        measured_files=measured_files,
        max_files=MAX_FILES_DRAWN,
        notes=notes,
        not_drawn=len(measured) - len(curves),
        max_drawn=MAX_JC_DRAWN,
    )


def _model_view(
    spec: CampaignSpec, objective: str | None, x: str | None, y: str | None
) -> tuple[str | None, str, str]:
    """The model explorer's objective and x (the defaults filled in) and why no model is drawn
    ("" if one is); an unknown ``objective``, ``x`` or ``y`` is a 422 naming the known ones."""
    for key, given, lookup in (
        ("objective", objective, spec.objective),
        ("x", x, spec.parameter),
        ("y", y, spec.parameter),
    ):
        try:
            if given:
                lookup(given)
        except ValidationError as err:  # was a 200 page with the model's note in place of plots
            raise ValidationError(f"model page ?{key}={given}: {err}") from None
    objective = objective or (spec.objective_names[0] if spec.objectives else None)
    numeric = [p.name for p in spec.parameters if p.kind == "numeric"]
    free = [p.name for p in spec.parameters if p.kind != "fixed"]
    x = x or (numeric or free or spec.parameter_names)[0]  # slices run along numeric parameters
    held = [v for v in (x, y) if v and spec.parameter(v).kind == "fixed"]
    if objective is None:
        return objective, x, "This campaign has no objective: there is nothing to model."
    if held:  # the model's note was "search space has no parameter 'p'; known: ..."
        note = (
            f"{held[0]} is fixed by the campaign, not a parameter of the model: its slices run "
            f"along the numeric parameters ({', '.join(numeric) or 'this campaign has none'})"
        )
        return objective, x, note
    return objective, x, ""


@router.get("/campaigns/{campaign}/model")
def model_page(
    request: Request,
    campaign: str,
    objective: str | None = None,
    x: str | None = None,
    y: str | None = None,
    limit: Annotated[Count, Query(ge=1, le=MAX_SUGGESTIONS)] = PAGE_SUGGESTIONS,
    offset: Annotated[Count, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HTMLResponse:
    """The model explorer and the suggestion table: the newest ``limit`` suggestions after the
    ``offset`` newest, in id order, with links to the older and newer ones (every suggestion the
    campaign had was one table). An unknown ``objective``, ``x`` or ``y`` is a 422 naming the
    known ones. The model's plots are not fitted here: the page says it is fitting the model on
    N samples and fetches them from :func:`model_plots` (a fit of 600 samples took 12 s, with
    nothing shown)."""
    user, store = _user(request), store_of(request)
    spec = store.campaign(campaign)
    objective, x, note = _model_view(spec, objective, x, y)
    suggestions = store.suggestions(campaign)
    fitting = None  # the plots' address and the number of samples fitted
    if not note:
        try:
            n = len(plots.model_samples(spec, store.history(campaign), objective))
            query = {k: v for k, v in (("objective", objective), ("x", x), ("y", y)) if v}
            fitting = (f"{here(request)}/plots?{urlencode(query)}", n)
        except ValidationError as err:
            note = str(err)
    goals = spec.optimised_objectives
    acquisition = shown_acquisition(goals)  # as the model plots read it
    advice = campaign_advice(suggestions, goals)
    stopping = (  # several objectives: the line saying why there is no advice
        advice.to_dict()
        if isinstance(advice, StoppingAdvice)
        else ({"stop": False, "message": advice} if advice else None)
    )
    shown = suggestions[max(0, len(suggestions) - offset - limit) : len(suggestions) - offset]
    # used suggestions whose sample has objective values: the store refuses to fail those
    measured = {
        x.suggestion_id
        for x in store.samples(campaign)
        if x.suggestion_id is not None and any(v is not None for v in x.objectives.values())
    }

    def page_at(at: int) -> str:
        return f"{here(request)}?{request.url.include_query_params(offset=at).query}"

    predicted = [  # the constraint outcomes' too (a tc constraint), as `fluxtrap suggest` shows
        o
        for o in spec.objectives
        if any(o.name in s.model_summary.get("prediction", {}) for s in shown)
    ]
    return _page(
        request,
        "model.html",
        user,
        predicted=[(o, plots.unit_label(o)) for o in predicted],
        estimates={
            s.id: [
                plots.estimate(o, s.model_summary.get("prediction", {}).get(o.name))
                for o in predicted
            ]
            for s in shown
        },
        spec=spec,
        objective=objective,
        x=x,
        y=y or "",
        model_note=note,
        fitting=fitting,
        suggestions=shown,
        measured=measured,
        n_suggestions=len(suggestions),
        older_page=page_at(offset + limit) if len(suggestions) > offset + limit else None,
        newer_page=page_at(max(0, offset - limit)) if offset else None,
        acquisition=acquisition,
        stopping=stopping,
        # what the data warned of when the newest suggestions were asked (a value in a wrong
        # unit?): the plots' notes say those of the model shown (the value corrected since?)
        newest_notes=shown[-1].model_summary.get("notes", []) if shown and not offset else [],
    )


@router.get("/campaigns/{campaign}/model/plots")
def model_plots(
    request: Request,
    campaign: str,
    objective: str | None = None,
    x: str | None = None,
    y: str | None = None,
) -> HTMLResponse:
    """The model explorer's plots and what the model's data warn of (``plots.model_notes``), an
    HTML fragment the model page fetches: the fit (seconds to a minute; kept for the same data,
    ``workflows.suggest.fitted_optimizer``) takes a turn of the heavy-work gate. A fit that fails
    is a 500 saying so, with its error, for the page to show."""
    user, store = _user(request), store_of(request)
    spec = store.campaign(campaign)
    objective, x, note = _model_view(spec, objective, x, y)
    figures, notes = {}, []
    if not note:
        try:
            with request.app.state.heavy.turn("open the model page", user.name):
                history, suggestions = store.history(campaign), store.suggestions(campaign)
                figures = plots.model_figures(spec, history, suggestions, objective, x, y)
                if figures:  # the notes of the model drawn
                    notes = plots.model_notes(spec, history, suggestions)
        except ValidationError as err:
            note = str(err)
        except FluxtrapError:
            raise
        except Exception as err:  # the page shows it: a fit that failed had left it waiting
            log.exception("fitting the model of campaign %r failed", campaign)
            what = f"fitting the model of {objective} failed: {type(err).__name__}: {err}"
            raise HTTPException(500, what) from err
        if figures and y == x:  # plots.model_figures draws the 1D slice then
            note = f"y is x ({x}): the 1D slice is shown; choose another y for a 2D map"
    return _page(
        request, "model_plots.html", user, figures=figures, model_note=note, model_notes=notes
    )


def example_case(
    title: str = "Single bulk, FCM 2 T at 20 K",
    jc: str = 'jc.kim = { jc0 = "2e4 A/cm^2", b0 = "0.5 T" }',
    temperature: str = "20 K",
) -> str:
    """The quick case the simulation form starts from (TOML; ``title`` any text, written as a
    TOML string: Jinja's tojson wrote characters beyond U+FFFF as surrogate pairs, which TOML
    refuses)."""
    from fluxtrap.simulate.casefile import toml_value

    return templates.get_template("example_case.toml").render(
        title=toml_value(title), jc=jc, temperature=temperature
    )


EXAMPLE_CASE = example_case()


@router.get("/simulations")
def simulations_page(
    request: Request,
    campaign: str | None = None,
    sample: str | None = None,
    limit: Annotated[Count, Query(ge=1, le=MAX_LISTED)] = PAGE_SIMULATIONS,
    offset: Annotated[Count, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HTMLResponse:
    """Stored simulations, the newest ``limit`` after the ``offset`` newest (a page, with links to
    the older and newer ones; listed in a heavy-work turn), this server's jobs not (yet) stored
    and the submit form; with ``campaign`` and ``sample`` the form's case uses that
    sample's measured Jc(B) (its fully penetrated points) at its measurement temperature (one
    of the two alone is a 422)."""
    user, store = _user(request), store_of(request)
    case = EXAMPLE_CASE
    if bool(campaign) != bool(sample):  # one alone was ignored: the example case shown instead
        raise ValidationError(
            "give both campaign and sample (the sample whose Jc(B) the case starts from), "
            f"or neither: got only {'campaign' if campaign else 'sample'}"
        )
    if campaign and sample:
        newest = jcdata.newest_jc(store, campaign, [sample])
        curves = jcdata.jc_curves(newest)
        if sample not in curves:
            raise ValidationError(f"sample {sample!r} has no Jc(B) yet: upload its M(H) loop first")
        t_K = newest[sample][0].temperature_K  # the loop's (an M(T) curve uploaded since has none)
        if t_K is None:
            raise ValidationError(f"the measurement of {sample!r} does not say its temperature")
        from fluxtrap.simulate.case import MAX_TITLE

        title = f"Single bulk of {sample} ({campaign}), FCM 2 T at {t_K:g} K"
        case = example_case(
            title=title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…",
            jc=jcdata.jc_table_toml(curves[sample], label=f"sample {sample!r}"),
            temperature=f"{t_K:g} K",
        )
    jobs = request.app.state.jobs
    unstored = [j for j in jobs.jobs() if j.simulation_id is None]
    with request.app.state.heavy.turn("list the simulations", user.name):
        listed = jobs.simulations(limit + 1, offset)  # oldest first: the one more first
    simulations = listed[-limit:]
    kept = {k: v for k, v in (("campaign", campaign), ("sample", sample)) if v}
    sized = {"limit": limit} if limit != PAGE_SIMULATIONS else {}

    def page_at(at: int) -> str:
        return "/simulations?" + urlencode({**kept, "offset": at, **sized})

    return _page(
        request,
        "simulations.html",
        user,
        simulations=simulations,
        trapped={s.id: trapped_field(s) for s in simulations},
        jobs=unstored,
        example_case=case,
        first=offset + 1,
        older_page=page_at(offset + limit) if len(listed) > limit else None,
        newer_page=page_at(max(0, offset - limit)) if offset else None,
    )


def trapped_field(sim: Simulation) -> tuple[str, str] | None:
    """A finished simulation's main probe (its case's first) and its final Bz ± the estimated
    discretization error (T), rounded alike (``value_text``); None without one."""
    probes = (sim.summary or {}).get("probes", {})
    if sim.status != "done" or not sim.probes or sim.probes[0] not in probes:
        return None
    p = probes[sim.probes[0]]
    return sim.probes[0], value_text(p.get("final_T"), p.get("final_error_T"))


@router.get("/jobs/{job_id}", response_model=None)
def job_page(request: Request, job_id: Id) -> HTMLResponse | RedirectResponse:
    """A job: its status while it is queued or runs (the page reloads); once it is stored,
    a redirect to its simulation."""
    user = _user(request)
    job = request.app.state.jobs.job(job_id)
    if job.simulation_id is not None:
        return RedirectResponse(f"/simulations/{job.simulation_id}", status_code=303)
    return _page(request, "job.html", user, job=job)


@router.get("/simulations/{simulation_id}")
def simulation_page(request: Request, simulation_id: Id) -> HTMLResponse:
    """A stored simulation: the case file it ran (the first ``SHOWN_CASE`` characters), its
    figures and probe table (its error if it failed)."""
    user = _user(request)
    jobs = request.app.state.jobs
    rec = store_of(request).simulation(simulation_id)
    sim = Simulation.of(rec)
    with request.app.state.heavy.turn("open the simulation page", user.name):  # its probes: MBs
        # the last J/B map only (50 took 2.9 s of CPU): the page's picker fetches another
        figures = jobs.figures(simulation_id, all_maps=False) if sim.status == "done" else {}
    map_times = [m["time_s"] for m in (sim.summary or {}).get("maps", {}).get("shown", [])]
    return _page(request, "simulation.html", user, sim=sim, figures=figures, summary=sim.summary,
                 case_toml=rec.case_toml[:SHOWN_CASE], case_chars=len(rec.case_toml),
                 map_times=map_times)  # fmt: skip


@router.get("/users")
def users_page(request: Request) -> HTMLResponse:
    """The users (admins only; a 403 page for the others): role, token state, last login, queued
    and running jobs; forms to add one (the token shown once), change a role and revoke."""
    user, store = _user(request), store_of(request)
    if user.role != "admin":
        raise HTTPException(403, f"user {user.name!r} is not an admin: only admins manage users")
    shown = store.users(limit=MAX_USERS + 1)  # one more: are there others?
    return _page(
        request,
        "users.html",
        user,
        users=shown[:MAX_USERS],
        more=len(shown) > MAX_USERS,
        jobs=store.pending_job_counts(),
        last_logins=store.last_logins(),
        roles=ROLES,
    )


@router.get("/calibrations")
def calibrations_page(request: Request) -> HTMLResponse:
    """The newest ``LISTED_CALIBRATIONS`` stored calibrations (``fluxtrap calibrate --db``):
    fitted values, whether every series fits (each row reads its whole result: all of them grew
    with the store)."""
    user, store = _user(request), store_of(request)
    shown = store.calibrations(limit=LISTED_CALIBRATIONS + 1)  # one more: are there older?
    return _page(
        request,
        "calibrations.html",
        user,
        calibrations=shown[-LISTED_CALIBRATIONS:],
        older=len(shown) > LISTED_CALIBRATIONS,
    )


@router.get("/calibrations/{calibration_id}")
def calibration_page(request: Request, calibration_id: Id) -> HTMLResponse:
    """One calibration: parameters with sigmas, correlations, the series and how each fits (each
    stored file with the result's series of it: ``CalibrationRecord.paired_series``, what
    disagrees said), the warnings, traces and residuals, and links to its measured files and
    fitted simulation."""
    user, store = _user(request), store_of(request)
    cal = store.calibration(calibration_id)
    paired, disagree = cal.paired_series
    return _page(request, "calibration.html", user, cal=cal, result=cal.result, paired=paired,
                 disagree=disagree, figures=plots.calibration_figures(cal.result))  # fmt: skip


@router.get("/calibrations/{calibration_id}/files/{position}")
def calibration_file(request: Request, calibration_id: Id, position: Count) -> Response:
    """A calibration's measured file ``position`` (0-based, as its page lists them): its bytes
    as stored, to download under its file name."""
    _user(request)
    store = store_of(request)
    files = store.calibration(calibration_id).series
    if position >= len(files):
        raise NotFoundError(f"calibration {calibration_id} has {len(files)} measured files")
    disposition = f"attachment; filename*=UTF-8''{quote(files[position]['filename'])}"
    return Response(store.calibration_series(calibration_id, position),
                    media_type="application/octet-stream",
                    headers={"Content-Disposition": disposition})  # fmt: skip
