"""Run the support service: `crm-support` (settings from CRM_* environment variables)."""

from crm_kernel.runtime import serve
from crm_kernel.settings import ServiceSettings

from crm_support.bootstrap import create_service


def main() -> None:
    settings = ServiceSettings()
    serve("support", create_service(settings).app, settings)


if __name__ == "__main__":
    main()
