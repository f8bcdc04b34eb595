"""REST API and dashboard for a lab-shared campaign (FastAPI + Jinja2 + Plotly).

```python
from fluxtrap.web import create_app

app = create_app("sqlite:///lab.db")  # a Store or any SQLAlchemy URL (lab.db made here)
```

``fluxtrap serve [--host 127.0.0.1 --port 8000] [--db URL]`` runs it with uvicorn.
"""

__all__ = ["create_app"]


def __getattr__(name: str):  # FastAPI is loaded on first use, not by every `fluxtrap` command
    if name == "create_app":
        from fluxtrap.web.app import create_app

        return create_app
    raise AttributeError(f"module 'fluxtrap.web' has no attribute {name!r}")
