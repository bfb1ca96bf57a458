"""`python -m adapters.sandbox <provider>`: serve any registered fake ATS with generated data until Ctrl+C.

It prints one line: the fake's URL and what to connect hirebot with.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence

from adapters.sandbox.fake import FakeAts, FakeOptions
from adapters.sandbox.registry import FAKES, fake_class
from adapters.sandbox.server import serve_in_foreground


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m adapters.sandbox",
                                     description="Serve a fake ATS with realistic generated data on loopback.")
    parser.add_argument("provider", choices=sorted(FAKES), help="which ATS to fake")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--candidates", type=int, default=400, help="how many candidates to generate")
    parser.add_argument("--seed", type=int, default=7, help="seed for the generated data")
    parser.add_argument("--chaos", type=float, default=0.0,
                        help="share of API requests (0..1) that fail at random: 429, 5xx, timeouts, bad JSON")
    args = parser.parse_args(argv)
    if not 0.0 <= args.chaos <= 1.0:
        parser.error("--chaos must be between 0 and 1")
    if args.candidates < 0:
        parser.error("--candidates must be zero or more")
    fake = fake_class(args.provider).build(FakeOptions(candidates=args.candidates, seed=args.seed,
                                                       chaos=args.chaos))
    with contextlib.suppress(KeyboardInterrupt):
        serve_in_foreground(_serve(fake, args.host, args.port))


async def _serve(fake: FakeAts, host: str, port: int) -> None:
    await fake.serve_until_stopped(
        host, port, lambda url: f"{fake.title} sandbox at {url}  {fake.connection_help(url)}  (Ctrl+C to stop)")


if __name__ == "__main__":
    main()
