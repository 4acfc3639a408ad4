"""``python -m town_industry`` is ``town-industry``."""
import sys

from town_industry.cli.main import main

sys.exit(main())
