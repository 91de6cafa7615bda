"""Server-rendered pages (Jinja2, htmx), served beside the API by `dealgate serve`."""
