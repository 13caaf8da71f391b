# The package logs refusals; the tests assert on them with assertLogs instead of printing them.
import logging

logging.getLogger("shared_session").addHandler(logging.NullHandler())
