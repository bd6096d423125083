"""`python -m crm_projections.admin`: the read-side operations CLI."""

from crm_projections.entrypoints.admin import app

if __name__ == "__main__":
    app()
