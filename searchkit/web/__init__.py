"""Stage 5, serve: a local, read-only web view over the index (`searchkit serve`).

The page counterpart of `render` and `export`, for colleagues who never open a terminal.
One module per step:

    holder   the index opened once and shared; reopened when `CURRENT` names a new generation
    params   query parameters -> the same `search()` arguments and `Filters` as the CLI's options
    present  results as page parts: highlighted pieces, the query's explanation, citations
    app      the Starlette application: pages, their JSON twins, CSV/XLSX exports, errors
    server   uvicorn on one socket, the URL printed, Ctrl-C one line

What it promises: every page is read-only (GET and HEAD only); bulletin text and
parameters reach the page only through Jinja2's autoescaping, never as markup; no inline
script (a Content-Security-Policy says so); `/api/search` is exactly the JSON of
`searchkit search --format json` and `/export.csv` exactly the bytes of `searchkit
export` for the same options; errors are a plain page or a JSON error, never a traceback.

Needs the optional extra `searchkit[web]` (Starlette, uvicorn, Jinja2); nothing here is
imported by the rest of searchkit.
"""
