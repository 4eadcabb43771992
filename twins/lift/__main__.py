import sys

from twins.common.cli import main
from twins.lift.stack import DEFINITION

sys.exit(main(DEFINITION))
