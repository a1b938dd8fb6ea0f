#!/usr/bin/env python3
"""A loopback HTTP/1.1 proxy that holds every answer back DELAY ms before passing it on: a remote endpoint's
latency in front of a local server. It counts the requests it forwards; `GET /__count` (answered by the
proxy itself) returns that number. Used by scripts/bench-latency.sh.

Usage: delay_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS
Standard library only (Python 3.11).
"""

import asyncio
import sys

count = 0


async def read_message(reader, is_response, request_method=b""):
    """One HTTP message (head and body) from `reader`, as bytes; None at end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None, None
    lines = head.split(b"\r\n")
    first = lines[0]
    headers = {}
    for line in lines[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    no_body = False
    if is_response:
        status = int(first.split(b" ")[1])
        no_body = status < 200 or status in (204, 304) or request_method == b"HEAD"
    if not no_body:
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            chunks = []
            while True:
                size_line = await reader.readuntil(b"\r\n")
                chunks.append(size_line)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    # trailers, then the empty line
                    while True:
                        trailer = await reader.readuntil(b"\r\n")
                        chunks.append(trailer)
                        if trailer == b"\r\n":
                            break
                    break
                chunks.append(await reader.readexactly(size + 2))
            body = b"".join(chunks)
        elif b"content-length" in headers:
            body = await reader.readexactly(int(headers[b"content-length"]))
        elif is_response:
            # Delimited by the end of the connection.
            body = await reader.read()
    return first, head + body


async def serve(client_reader, client_writer, upstream_port, delay):
    global count
    upstream = None
    try:
        while True:
            first, request = await read_message(client_reader, False)
            if request is None:
                break
            method = first.split(b" ")[0]
            if first.startswith(b"GET /__count "):
                body = str(count).encode()
                client_writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
                )
                await client_writer.drain()
                continue
            count += 1
            if upstream is None:
                upstream = await asyncio.open_connection("127.0.0.1", upstream_port)
            up_reader, up_writer = upstream
            up_writer.write(request)
            await up_writer.drain()
            _, response = await read_message(up_reader, True, method)
            if response is None:
                break
            await asyncio.sleep(delay)
            client_writer.write(response)
            await client_writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        client_writer.close()
        if upstream is not None:
            upstream[1].close()


async def main():
    listen, upstream_port, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, upstream_port, delay_ms / 1000.0), "127.0.0.1", listen, backlog=1024
    )
    print(f"delay proxy on 127.0.0.1:{listen} -> 127.0.0.1:{upstream_port}, +{delay_ms:g} ms per answer", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
