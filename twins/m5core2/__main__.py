import sys

from twins.common.cli import main
from twins.m5core2.stack import DEFINITION

sys.exit(main(DEFINITION))
