import sys

from twins.common.cli import main
from twins.room_sensor.stack import DEFINITION

sys.exit(main(DEFINITION))
