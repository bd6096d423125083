"""Run the contacts service: `crm-contacts` (settings from CRM_* environment variables)."""

from crm_kernel.runtime import serve
from crm_kernel.settings import ServiceSettings

from crm_contacts.bootstrap import create_service


def main() -> None:
    settings = ServiceSettings()
    serve("contacts", create_service(settings).app, settings)


if __name__ == "__main__":
    main()
