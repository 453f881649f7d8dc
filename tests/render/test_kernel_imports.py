"""What a report's kernel imports: what its cells need, not the renderer's machinery. Each
heavy package left out is paid once per tenant-period kernel (seaborn with scipy under it was
about 0.8 s; nbconvert 0.3 s; WeasyPrint more)."""

from __future__ import annotations

import subprocess
import sys

from reportlib import registry

HEAVY = ("seaborn", "scipy", "nbconvert", "weasyprint", "papermill", "jupyter_client")


def test_a_reports_cells_import_none_of_the_heavy_packages():
    modules = sorted({spec.module for spec in registry.REPORTS})
    code = ("import sys\nimport reportlib.notebook, reportlib.look.charts\n"
            + "".join(f"import reportlib.{m}\n" for m in modules)
            + f"print(','.join(p for p in {HEAVY!r} if p in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""
    assert len(modules) >= 6  # every built-in report was imported
