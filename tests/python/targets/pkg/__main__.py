"""Run as `-m pkg`: reports how it was started."""
import json
import sys

print(json.dumps({"argv": sys.argv, "path0": sys.path[0], "name": __name__,
                  "spec": __spec__.name, "package": __package__}))
