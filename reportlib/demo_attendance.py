"""Former home of the demo's help desk and bots, kept so old imports work: the code lives in
`reportlib.demo.desk`."""

from reportlib.demo.desk import *  # noqa: F403
from reportlib.demo.desk import FUNNEL, DeskSimulator  # noqa: F401
