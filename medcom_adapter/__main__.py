"""``python -m medcom_adapter`` runs the command-line tool."""

from medcom_adapter.cli import main

raise SystemExit(main())
