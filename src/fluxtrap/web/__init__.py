"""REST API and dashboard for a lab-shared campaign (FastAPI + Jinja2 + Plotly).

>>> from fluxtrap.web import create_app
>>> app = create_app("sqlite:///lab.db")

``fluxtrap serve [--host 127.0.0.1 --port 8000] [--db URL]`` runs it with uvicorn.
"""

from fluxtrap.web.app import create_app

__all__ = ["create_app"]
