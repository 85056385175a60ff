import sys

from agent.openwa_sim.cli import main

sys.exit(main())
