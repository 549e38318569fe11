"""serve's listening socket: connections it accepts send small writes at once.

uvicorn writes a response's headers and its body apart; on a socket without TCP_NODELAY the
body waited for the client's delayed ACK, about 40 ms per webhook on Linux."""
from __future__ import annotations

import asyncio
import socket

from lsrules.labelstudio.commands import _listen


def test_accepted_connections_have_tcp_nodelay() -> None:
    listening = _listen("127.0.0.1", 0)
    port = listening.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert seen and seen[0] != 0
