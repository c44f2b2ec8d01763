from mimo_lsp.cli import main

raise SystemExit(main())
