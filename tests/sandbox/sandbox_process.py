"""Run one sandbox in this process until stdin closes: `python sandbox_process.py STATE NAME... [--fsize N]`.

Prints one JSON line when it listens: {"url": ..., "accounts": {name: [api_key, api_secret]}}.
With --fsize N, files this process writes are then limited to N bytes (RLIMIT_FSIZE), so a
save of the state file fails for real (EFBIG), even as root.
"""
import json
import resource
import signal
import sys

from reconciler.sandbox import Sandbox


def main(argv: list[str]) -> None:
    fsize = None
    if "--fsize" in argv:
        i = argv.index("--fsize")
        fsize = int(argv[i + 1])
        del argv[i : i + 2]
    state, names = argv[0], argv[1:]
    sandbox = Sandbox(state_path=state).start()
    accounts = {n: [a.api_key, a.api_secret] for n in names for a in [sandbox.ensure_account(n)]}
    if fsize is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    print(json.dumps({"url": sandbox.url, "accounts": accounts}), flush=True)
    sys.stdin.read()
    sandbox.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
