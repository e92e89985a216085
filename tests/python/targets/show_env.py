"""Print what a program can observe about how it was started, as JSON."""
import json
import os
import sys

main = sys.modules["__main__"]
spec = getattr(main, "__spec__", None)
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "name": __name__,
    "file": globals().get("__file__"),
    "spec": spec.name if spec else None,
    "package": globals().get("__package__"),
    "loader": type(globals().get("__loader__")).__name__,
    "cached": globals().get("__cached__"),
    "has_cached": "__cached__" in globals(),
    "main_is_me": main.__dict__ is globals(),
    "cwd": os.getcwd(),
    "stdin": sys.stdin.read() if "--stdin" in sys.argv else None,
}, sort_keys=True))
