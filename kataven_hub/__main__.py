from kataven_hub.cli import main

raise SystemExit(main())
