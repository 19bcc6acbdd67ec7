"""Serve step 3, app: the Starlette application, read-only, over one shared index.

    /                     search form and results (HTML; `?fragment=1` just the results, for the script)
    /records/<id>         one whole article, `?q=` highlights its matches
    /issues               the indexed issues;  /issues/<issue_total>  one issue's contents
    /api/search           exactly `searchkit search --format json` for the same options (`limit`, `facets`)
    /api/records/<id>     one record as JSON;  /api/issues, /api/issues/<issue_total>
    /export.csv|.xlsx     exactly the file `searchkit export` writes for the same options
    /static/…             the page's own CSS and script (nothing from elsewhere)

Every page takes `lang=zh|en` (default: the interface language of the server's locale).
Errors are a plain page (or, under /api/, a JSON object `{"error", "status"}`), never a
traceback: a bad parameter 400, an unknown record or page 404, a busy or missing index
503, a request over its time limit 503, anything else 500 with the traceback in the
server's log only.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import math
import re
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..errors import (ExitStatus, IndexMissingError, IndexUntrustedError, IndexVersionError, QuerySyntaxError,
                      SearchkitError, UsageError)
from ..cite import complete, result_dict
from ..export import ExportError, write_csv, write_xlsx
from ..i18n import N_, _, language, speaking, translation
from ..query import (TIERS, canonical_district, canonical_id, canonical_section, get_record, search,
                     show_record)
from ..query.syntax import parse_query
from ..stats import list_issues
from ..terminal import one_line
from . import present
from .holder import BusyError, IndexHolder
from .params import MAX_LIMIT, MAX_QUERY_STRING, SearchOptions, parse_search

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LANGS = ("zh", "en")
TIME_LIMIT = 10.0  # seconds for one page or API answer
EXPORT_TIME_LIMIT = 60.0  # an export writes every hit
RECORD_ID = re.compile(r"[0-9]{1,10}-[0-9A-Za-z]{1,8}")
SORT_LABELS = {"relevance": "best match first", "date": "newest first", "oldest": "oldest first"}
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z\u3400-\u9fff]+")  # what a download's file name keeps of the query
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

log = logging.getLogger("searchkit.web")


class RequestTimeout(SearchkitError):
    """A request took longer than its time limit."""


class NotFound(SearchkitError):
    """No such record, issue or page."""


class RequestLanguage:
    """Messages built while answering a request (errors above all) are in its language:
    `?lang=`, else the application's (`lang`), else the process's."""

    def __init__(self, app, default: str | None = None):
        self.app = app
        self.default = default

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        lang = self.default
        query = scope.get("query_string", b"")
        if len(query) <= MAX_QUERY_STRING:
            asked = QueryParams(query).get("lang")
            lang = asked if asked in LANGS else lang
        token = speaking.set(lang)
        try:
            await self.app(scope, receive, send)
        finally:
            speaking.reset(token)


class SecurityHeaders:
    """Adds the Content-Security-Policy and friends to every response; refuses an overlong
    query string (414) before anything reads it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if len(scope.get("query_string", b"")) > MAX_QUERY_STRING:
            response = _error_response(scope["path"], 414, _("the query string is too long (at most {max} "
                                                             "characters)").format(max=MAX_QUERY_STRING), None)
            return await response(scope, receive, self._with_headers(send))
        await self.app(scope, receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send):
        async def wrapped(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)
        return wrapped


# --------------------------------------------------------------------------- pages


class Pages:
    """The views, over one `IndexHolder` and one Jinja2 environment."""

    def __init__(self, holder: IndexHolder, time_limit: float, export_time_limit: float, lang: str | None):
        self.holder = holder
        self.time_limit = time_limit
        self.export_time_limit = export_time_limit
        self.lang = lang
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="searchkit-web")
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                      trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                                      auto_reload=False)
        self._choices: tuple[str | None, dict] = (None, {})

    # ---- helpers

    def language_of(self, request: Request) -> str:
        lang = request.query_params.get("lang")
        return lang if lang in LANGS else (self.lang or language())

    async def run(self, fn, limit: float | None = None):
        """`fn(snapshot)` on a worker thread, in its turn, within the time limit."""
        limit = limit or self.time_limit
        loop = asyncio.get_running_loop()
        # In the request's context: what the work raises is said in the request's language.
        future = loop.run_in_executor(self.executor, contextvars.copy_context().run,
                                      partial(self.holder.run, fn, limit))
        try:
            return await asyncio.wait_for(future, limit)
        except asyncio.TimeoutError:
            raise RequestTimeout(_("the request took longer than {seconds} s; narrow the search "
                                   "(a filter, more words) and try again").format(seconds=f"{limit:g}")) from None

    def choices(self, snapshot) -> dict:
        """Districts, sections and years of the whole index, for the form (once per generation)."""
        if self._choices[0] != snapshot.gen_dir.name:
            from collections import Counter

            rows = [r for r in snapshot.store.rows if r is not None]
            self._choices = (snapshot.gen_dir.name, {
                "district": [n for n, _ in Counter(r.district for r in rows).most_common() if n],
                "section": [n for n, _ in Counter(r.section for r in rows).most_common() if n],
                "year": sorted({r.date[:4] for r in rows}, reverse=True),
                "records": len(rows),
            })
        return self._choices[1]

    def page(self, request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        lang = self.language_of(request)
        explicit = request.query_params.get("lang") in LANGS
        t = translation(lang)

        def url(path: str, query: str = "") -> str:
            """A link within the site that keeps an explicitly chosen language."""
            if explicit:
                query = f"{query}&lang={lang}" if query else f"lang={lang}"
            return f"{path}?{query}" if query else path

        other = "en" if lang == "zh" else "zh"
        pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "fragment")]
        switch = f"{request.url.path}?{urlencode([*pairs, ('lang', other)])}"
        html = self.env.get_template(name).render(
            _=t.gettext, ngettext=t.ngettext, lang=lang, explicit=explicit, other_lang=other, switch_url=switch, url=url,
            version=__version__, present=present, request=request, **context)
        return HTMLResponse(html, status_code=status)

    # ---- search

    async def home(self, request: Request):
        fragment = request.query_params.get("fragment") == "1"
        template = "results.html" if fragment else "search.html"
        lang = self.language_of(request)
        t = translation(lang)
        try:
            opts = parse_search(request.query_params)
        except SearchkitError as exc:
            opts = SearchOptions(q=request.query_params.get("q", "")[:1000])
            choices = await self.run(self.choices)
            return self.page(request, template, status=_status(exc), opts=opts, result=None, error=_message(exc),
                             choices=choices, view=None)

        def work(snapshot):
            choices = self.choices(snapshot)
            if not opts.q and not opts.filters.any():
                return choices, None  # the bare form
            result = search(snapshot, opts.q, facets=True, **opts.search_args())  # no q: the filters' records
            complete(snapshot, result.hits)  # briefs titled as in the terminal and the exports
            return choices, result

        try:
            choices, result = await self.run(work)
        except (UsageError, QuerySyntaxError) as exc:  # an unknown section: known only to the index
            choices = await self.run(self.choices)
            return self.page(request, template, status=400, opts=opts, result=None, error=_message(exc),
                             choices=choices, view=None)
        view = _result_view(result, opts, t, lang) if result is not None else None
        return self.page(request, template, opts=opts, result=result, error="", choices=choices, view=view)

    async def api_search(self, request: Request):
        opts = parse_search(request.query_params, max_size=MAX_LIMIT, size_name="limit")
        def work(snapshot):
            result = search(snapshot, opts.q, facets=opts.facets, **opts.search_args())
            complete(snapshot, result.hits)
            return result_dict(result)  # as `searchkit search --format json`

        return JSONResponse(await self.run(work))

    # ---- records and issues

    @staticmethod
    def _record_id(request: Request) -> str:
        rid = request.path_params["record_id"]
        if not RECORD_ID.fullmatch(rid):
            raise NotFound(_("no such record; ids look like 697-03"))
        return rid

    @classmethod
    def _record_query(cls, request: Request) -> tuple[str, str]:
        """The record's id and the query to mark in it, both checked before any work."""
        q = request.query_params.get("q", "").strip()
        if q:
            parse_query(q)
        return cls._record_id(request), q

    @staticmethod
    def _show(snapshot, rid: str, q: str):
        if get_record(snapshot, canonical_id(rid)) is None:
            raise NotFound(_("no record {id} in the index; ids look like 697-03").format(id=rid))
        return show_record(snapshot, rid, q or None)

    async def record(self, request: Request):
        rid, q = self._record_query(request)

        def work(snapshot):
            hit = self._show(snapshot, rid, q)
            info, others = _issue_records(snapshot, hit.issue_total)
            return hit, info, others

        hit, info, others = await self.run(work)
        body = hit.snippets[0]
        return self.page(request, "record.html", hit=hit, q=q, info=info, others=others,
                         title_pieces=present.pieces(present.short_title(hit),
                                                     hit.title_highlights if hit.title else []),
                         paragraphs=present.paragraphs(body.text, body.highlights))

    async def api_record(self, request: Request):
        rid, q = self._record_query(request)
        hit = await self.run(lambda snapshot: self._show(snapshot, rid, q))
        return JSONResponse(hit.to_dict())

    async def issues(self, request: Request):
        issues = await self.run(list_issues)
        return self.page(request, "issues.html", issues=issues, records=sum(i.records for i in issues))

    async def api_issues(self, request: Request):
        issues = await self.run(list_issues)
        return JSONResponse([_issue_dict(i) for i in issues])

    def _issue_total(self, request: Request) -> int:
        value = request.path_params["issue_total"]
        if not value.isascii() or not value.isdigit() or len(value) > 10:
            raise NotFound(_("no such issue; issues are numbered by their running number (总第 N 期), e.g. /issues/697"))
        return int(value)

    async def issue(self, request: Request):
        n = self._issue_total(request)
        info, hits = await self.run(lambda s: _issue_records(s, n))
        if info is None:
            raise NotFound(_("no issue 总第{n}期 in the index; see {page}").format(n=n, page="/issues"))
        return self.page(request, "issue.html", info=info, hits=hits)

    async def api_issue(self, request: Request):
        n = self._issue_total(request)
        info, hits = await self.run(lambda s: _issue_records(s, n))
        if info is None:
            raise NotFound(_("no issue 总第{n}期 in the index; see {page}").format(n=n, page="/api/issues"))
        records = []
        for h in hits:
            d = h.to_dict()
            d.pop("snippets")
            records.append(d)
        return JSONResponse({**_issue_dict(info), "records": records})

    # ---- exports

    async def export(self, request: Request):
        fmt = request.path_params["fmt"]
        if fmt not in ("csv", "xlsx"):
            raise NotFound(_("no export format {format!r}; use /export.csv or /export.xlsx").format(format=fmt))
        opts = parse_search(request.query_params)
        headers = language()  # the page's: its column names, as `searchkit export` in that language

        def work(snapshot):
            result = search(snapshot, opts.q, opts.filters, sort=opts.order, limit=None, exact=opts.exact,
                            within=opts.within)
            if not opts.partial and result.tiers.get("partial", 0):
                result.hits = [h for h in result.hits if h.match != "partial"]
                result.total = len(result.hits)
            complete(snapshot, result.hits, body="body" in opts.columns)  # as `searchkit export`
            if fmt == "csv":
                text = io.StringIO(newline="")
                write_csv(result, text, opts.columns, headers)
                return ("\ufeff" + text.getvalue()).encode("utf-8")
            data = io.BytesIO()
            write_xlsx(result, data, opts.columns, headers)
            return data.getvalue()

        data = await self.run(work, self.export_time_limit)
        media = ("text/csv; charset=utf-8" if fmt == "csv"
                 else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        stem = _UNSAFE_NAME.sub("_", opts.q or " ".join(opts.filters.describe()))[:40].strip("_") or "hits"
        name = f"searchkit-{stem}.{fmt}"
        disposition = f"attachment; filename=\"searchkit.{fmt}\"; filename*=UTF-8''{quote(name, safe='')}"
        return Response(data, media_type=media, headers={"content-disposition": disposition})


def _issue_dict(info) -> dict:
    return {"issue": info.issue, "issue_total": info.issue_total, "date": info.date, "records": info.records,
            "source": info.source}


def _issue_records(snapshot, issue_total: int):
    """An issue (`IssueInfo`) and its records in order, or (None, [])."""
    for entry in snapshot.manifest["files"].values():
        if entry["issue_total"] == issue_total:
            info = next(i for i in list_issues(snapshot) if i.issue_total == issue_total)
            hits = [h for h in (get_record(snapshot, rid) for rid in entry["ids"]) if h is not None]
            return info, hits
    return None, []


def _district(value: str) -> str:
    """A district as the index names it (余杭 -> 余杭区), to match a facet's value."""
    try:
        return canonical_district(value)
    except SearchkitError:
        return value


def _section(value: str) -> str:
    try:
        return canonical_section(value)
    except SearchkitError:
        return value


def _tier_before(result, index: int) -> str | None:
    """The tier of the hit at `index` in the whole ranking (tiers come in order)."""
    if index < 0:
        return None
    seen = 0
    for tier in TIERS:
        seen += result.tiers.get(tier, 0)
        if index < seen:
            return tier
    return None


def _result_view(result, opts: SearchOptions, t, lang: str) -> dict:
    """What the results part of the page shows, in the request's language."""
    items = []
    previous = _tier_before(result, opts.offset - 1) or "exact"  # a looser tier is marked on the first hit too
    for i, hit in enumerate(result.hits):
        mark = present.tier_mark(hit.match, t) if hit.match != previous else ""
        previous = hit.match
        items.append({
            "rank": opts.offset + i + 1, "hit": hit, "mark": mark,
            "title": present.pieces(present.short_title(hit), hit.title_highlights if hit.title else []),
            "snippets": [{"pieces": present.pieces(s.text, s.highlights), "before": bool(s.start),
                          "after": not s.at_end} for s in hit.snippets],
            "tier": present.tier_label(hit.match, t), "proximity": present.proximity_mark(hit, t),
            "byline": present.byline(hit), "issue_name": present.issue_name(hit.issue, hit.issue_total),
        })
    pages = min(max(1, math.ceil(result.total / opts.size)), 1000)
    facets = []
    same = {"district": _district, "section": _section, "year": str}
    selected = {"district": {_district(d) for d in opts.district}, "section": {_section(x) for x in opts.section},
                "year": {str(opts.year)} if opts.year else set()}
    for name, label in (("district", t.gettext("District")), ("year", t.gettext("Year")),
                        ("section", t.gettext("Section"))):
        values = []
        for value, n in (result.facets or {}).get(name, []):
            if not value:
                continue
            on = str(value) in selected[name]
            if name == "year":
                change = None if on else int(value)
            else:
                current = getattr(opts, name)
                change = tuple(v for v in current if same[name](v) != value) if on else (*current, value)
            values.append({"value": value, "n": n, "on": on, "query": opts.query_string(**{name: change, "page": None})})
        if values:
            facets.append({"name": name, "label": label, "entries": values})
    chips = []
    label = {"district": "District", "section": "Section", "issue": "Issue", "author": "Author", "org": "Unit",
             "year": "Year", "since": "Since", "until": "Until", "within": "Words together"}
    for name in ("district", "section", "issue", "author", "org"):
        for v in getattr(opts, name):
            rest = tuple(x for x in getattr(opts, name) if x != v)
            chips.append((f"{t.gettext(label[name])}: {v}", opts.query_string(**{name: rest, "page": None})))
    for name in ("year", "since", "until", "within"):
        value = getattr(opts, name)
        if value:
            shown = t.gettext({"sentence": "in one sentence", "paragraph": "in one paragraph"}.get(str(value), str(value)))
            chips.append((f"{t.gettext(label[name])}: {shown}", opts.query_string(**{name: None, "page": None})))
    if opts.sort:
        chips.append((t.gettext(SORT_LABELS[opts.sort]), opts.query_string(sort=None, page=None)))
    if opts.exact:
        chips.append((t.gettext("only the text as typed"), opts.query_string(exact=None, page=None)))
    window = range(max(1, opts.page - 3), min(pages, opts.page + 3) + 1)
    export_query = urlencode([(k, v) for k, v in opts.pairs(page=None, size=None)])
    api_query = urlencode([*opts.pairs(size=None, page=None), *([("limit", str(opts.size))]),
                           *([("page", str(opts.page))] if opts.page > 1 else [])])
    return {
        "what": opts.q or " ".join(opts.filters.describe()), "hits": items, "explanation": present.explanation(result, t, lang), "tried": present.tried(result, t),
        "suggestions": present.suggestions(result, opts, t), "facets": facets, "chips": chips,
        "pages": pages, "window": window, "showing": (opts.offset + 1, opts.offset + len(result.hits)),
        "export_query": export_query, "api_query": api_query, "record_query": urlencode([("q", opts.q)]),
        "prev": opts.query_string(page=opts.page - 1 if opts.page > 2 else None) if opts.page > 1 else None,
        "next": opts.query_string(page=opts.page + 1) if opts.page < pages else None,
        "page_query": lambda n: opts.query_string(page=n if n > 1 else None),
    }


# --------------------------------------------------------------------------- errors


def _status(exc: BaseException) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, (UsageError, QuerySyntaxError)):
        return 400
    if isinstance(exc, (BusyError, RequestTimeout, IndexMissingError, IndexVersionError, IndexUntrustedError)):
        return 503
    if isinstance(exc, ExportError):
        return 501
    if isinstance(exc, SearchkitError):
        return 404 if exc.exit_status == ExitStatus.FAILURE else 503
    return 500


def _message(exc: BaseException) -> str:
    return one_line(str(exc))


_ERROR_PAGE = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)


def _error_response(path: str, status: int, message: str, lang: str | None) -> Response:
    headers = {k.decode(): v.decode() for k, v in SECURITY_HEADERS}  # also outside the middleware (a 500)
    if path.startswith("/api/"):
        return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)
    t = translation(lang or language())
    html = _ERROR_PAGE.get_template("error.html").render(_=t.gettext, status=status, message=message,
                                                         lang=lang or language())
    return HTMLResponse(html, status_code=status, headers=headers)


def _lang(request: Request) -> str | None:
    lang = request.query_params.get("lang")
    return lang if lang in LANGS else None


async def _on_searchkit_error(request: Request, exc: SearchkitError):
    return _error_response(request.url.path, _status(exc), _message(exc), _lang(request))


async def _on_http_error(request: Request, exc: HTTPException):
    messages = {404: N_("no such page; start at /"), 405: N_("this site is read-only: only GET and HEAD are answered")}
    message = _(messages[exc.status_code]) if exc.status_code in messages else exc.detail
    return _error_response(request.url.path, exc.status_code, message, _lang(request))


async def _on_bug(request: Request, exc: Exception):
    log.error("error answering %s", request.url.path, exc_info=exc)
    # Answered outside `RequestLanguage` (by the outermost middleware): the language is looked up again.
    pages = getattr(request.app.state, "pages", None)
    lang = pages.language_of(request) if pages is not None else _lang(request)
    return _error_response(request.url.path, 500, translation(lang).gettext(_INTERNAL_ERROR), lang)


_INTERNAL_ERROR = N_("internal error; the server's log has the details")


# --------------------------------------------------------------------------- the application


def create_app(index_dir, snapshot=None, *, time_limit: float = TIME_LIMIT,
               export_time_limit: float = EXPORT_TIME_LIMIT, allowed_hosts: list[str] | None = None,
               lang: str | None = None) -> Starlette:
    """The web application over the index in `index_dir` (opened now unless `snapshot` is
    given). `allowed_hosts` limits the Host header (for a loopback server: against DNS
    rebinding); `lang` fixes the default interface language (else the locale's)."""
    holder = IndexHolder(Path(index_dir), snapshot)
    holder.snapshot()  # fail now, not at the first request
    pages = Pages(holder, time_limit, export_time_limit, lang)
    get = ["GET"]
    routes = [
        Route("/", pages.home, methods=get),
        Route("/records/{record_id}", pages.record, methods=get),
        Route("/issues", pages.issues, methods=get),
        Route("/issues/{issue_total}", pages.issue, methods=get),
        Route("/api/search", pages.api_search, methods=get),
        Route("/api/records/{record_id}", pages.api_record, methods=get),
        Route("/api/issues", pages.api_issues, methods=get),
        Route("/api/issues/{issue_total}", pages.api_issue, methods=get),
        Route("/export.{fmt:str}", pages.export, methods=get),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    middleware = [Middleware(RequestLanguage, default=lang), Middleware(SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={
        SearchkitError: _on_searchkit_error, HTTPException: _on_http_error, Exception: _on_bug})
    app.state.holder = holder
    app.state.pages = pages
    return app
