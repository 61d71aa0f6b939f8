"""A remote-write receiver that misbehaves at the socket level, for the gateway's fault tests.

Usage: fault_server.py PORT_FILE MODE_FILE
Listens on 127.0.0.1 (a free port, written to PORT_FILE) and, for each request, reads MODE_FILE:
  close    reads the request head, then closes the connection without reading the body or answering
  garbage  reads the whole request, answers bytes that are not HTTP, and closes
  accept   answers 204 (HTTP/1.1, keep-alive), counting the request in PORT_FILE.accepted
Stops by itself after 120 s.
"""
import os
import socket
import sys
import threading

port_file, mode_file = sys.argv[1], sys.argv[2]
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(64)
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
accepted = 0
lock = threading.Lock()


def handle(connection):
    global accepted
    connection.settimeout(10)
    buffered = b""
    try:
        while True:
            while b"\r\n\r\n" not in buffered:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            head, _, buffered = buffered.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            with open(mode_file) as source:
                mode = source.read().strip()
            if mode == "close":
                return
            while len(buffered) < length:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            buffered = buffered[length:]
            if mode == "garbage":
                connection.sendall(b"\x00\x01\x02 this is not HTTP \xff\r\n\r\n")
                return
            connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            with lock:
                accepted += 1
                with open(port_file + ".accepted", "w") as out:
                    out.write(str(accepted))
    except OSError:
        return
    finally:
        connection.close()


threading.Timer(120, lambda: os._exit(0)).start()
while True:
    client, _ = server.accept()
    threading.Thread(target=handle, args=(client,), daemon=True).start()
