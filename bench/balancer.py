"""A small round-robin TCP balancer for the loopback benchmarks and tests — 环回负载均衡器.

Each client connection goes to the next backend in turn (HTTP keep-alive connections stay on the
backend they reached, as with a layer-4 balancer). A backend that refuses a connection is skipped
for a second and the connection tries the next one, so when one ``zimao serve`` node dies its
clients reconnect to the others. Loopback only: it refuses any backend or listening address off
this machine.

    python bench/balancer.py --listen 127.0.0.1:18047 --backend 127.0.0.1:18048 --backend 127.0.0.1:18049

Or in-process: ``with running(("127.0.0.1", 18047), [("127.0.0.1", 18048), ...]) as balancer: ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import threading
import time

DOWN_FOR = 1.0  # seconds a refusing backend is skipped


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not _loopback(host):
        raise argparse.ArgumentTypeError(f"{text}: loopback addresses only")
    return host, int(port)


class Balancer:
    def __init__(self, backends: list[tuple[str, int]]):
        if not backends or not all(_loopback(h) for h, _ in backends):
            raise ValueError("backends must be loopback addresses")
        self.backends = backends
        self.turn = 0
        self.down_until = [0.0] * len(backends)
        self.connections = [0] * len(backends)
        self.refused = 0

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        for _ in range(len(self.backends)):
            i = self.turn % len(self.backends)
            self.turn += 1
            if self.down_until[i] > time.monotonic():
                continue
            host, port = self.backends[i]
            try:
                backend_r, backend_w = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
            except (TimeoutError, OSError):
                self.down_until[i] = time.monotonic() + DOWN_FOR
                continue
            self.connections[i] += 1
            try:
                await asyncio.gather(self._pipe(client_r, backend_w), self._pipe(backend_r, client_w))
            except asyncio.CancelledError:  # the balancer is stopping: drop the connection quietly
                for w in (backend_w, client_w):
                    w.close()
            return
        self.refused += 1
        client_w.close()


@contextlib.contextmanager
def running(listen: tuple[str, int], backends: list[tuple[str, int]]):
    """Run a balancer in a background thread for the duration of the block."""
    if not _loopback(listen[0]):
        raise ValueError("listen on a loopback address")
    balancer = Balancer(backends)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    server_box = {}

    def run():
        asyncio.set_event_loop(loop)
        server_box["server"] = loop.run_until_complete(
            asyncio.start_server(balancer.handle, *listen, reuse_address=True)
        )
        ready.set()
        loop.run_forever()
        # Stopped: close the connections still open (keep-alive clients), here in the loop's own
        # thread, so nothing is left pending.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()

        async def settle():
            await asyncio.gather(*pending, return_exceptions=True)

        loop.run_until_complete(settle())
        loop.close()

    thread = threading.Thread(target=run, name="balancer", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("balancer did not start")
    try:
        yield balancer
    finally:

        def shutdown():
            server_box["server"].close()
            loop.stop()

        loop.call_soon_threadsafe(shutdown)
        thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", type=_address, required=True)
    parser.add_argument("--backend", type=_address, action="append", required=True)
    args = parser.parse_args()
    balancer = Balancer(args.backend)

    async def serve():
        server = await asyncio.start_server(balancer.handle, *args.listen, reuse_address=True)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
