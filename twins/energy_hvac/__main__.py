import sys

from twins.common.cli import main
from twins.energy_hvac.stack import DEFINITION

sys.exit(main(DEFINITION))
