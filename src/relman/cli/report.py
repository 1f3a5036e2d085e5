"""`relman report …`: reports on how the plan is being kept (J-003 §1.2 objectives).

One command per report; each lives with its feature and is registered here.
"""

from __future__ import annotations

import typer

from relman.cli import notify

app = typer.Typer(help="Reports on the J-003 §1.2 objectives (notification compliance ...).")
app.command("notifications")(notify.report_notifications)
