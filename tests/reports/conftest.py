"""Fixtures the report tests share: the hand-made warehouses and bundles."""

from tests.reports.campaign_data import campaign_bundle  # noqa: F401
from tests.reports.help_desk_data import desk_bundle, named_desk_bundle  # noqa: F401
