"""Run the sales service: `crm-sales` (settings from CRM_* environment variables)."""

from crm_kernel.runtime import serve

from crm_sales.bootstrap import create_service
from crm_sales.settings import SalesSettings


def main() -> None:
    settings = SalesSettings()
    serve("sales", create_service(settings).app, settings)


if __name__ == "__main__":
    main()
