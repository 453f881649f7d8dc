"""Source files → validated canonical tables (docs/sources.md is the contract).

One module per source family beside the orchestration: `platform_csv` (the platform's CSV
exports), `webhooks` (Meta's webhook bodies), `analytics` (Meta's analytics responses);
`files` (what in the sources folder is read), `sql` (validation as SQL), `ownership`,
`results` (result lines, the log). A new source kind is one module plus its schema in
`reportlib.sources`.
"""

from reportlib.ingest.ownership import Ownership, ownership
from reportlib.ingest.results import FileResult
from reportlib.ingest.run import DiskFull, ingest, ingest_file

__all__ = ["DiskFull", "FileResult", "Ownership", "ingest", "ingest_file", "ownership"]
