"""`python -m services.customers` serves the customers context."""

from services.customers.bootstrap import Settings, build
from shared.runtime import run

run("customers", build, Settings)
