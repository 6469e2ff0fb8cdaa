import sys

from dunning_analytics.cli import main

sys.exit(main())
