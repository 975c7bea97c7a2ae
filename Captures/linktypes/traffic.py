#!/usr/bin/env python3
"""A little real traffic on loopback for the link-type captures: UDP both ways over IPv4 and
IPv6, and one TCP connection with a request and a reply."""
import socket
import threading
import time

def udp_exchange(family, host):
    a = socket.socket(family, socket.SOCK_DGRAM)
    b = socket.socket(family, socket.SOCK_DGRAM)
    a.bind((host, 0))
    b.bind((host, 0))
    for i in range(5):
        a.sendto(b"ping %d" % i + bytes(100), b.getsockname())
        data, peer = b.recvfrom(2048)
        b.sendto(b"pong" + bytes(40 * i), peer)
        a.recvfrom(2048)
        time.sleep(0.01)
    a.close()
    b.close()

def tcp_exchange(family, host):
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        conn.recv(1024)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + bytes(3000))
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(server.getsockname()[:2])
    client.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while client.recv(4096):
        pass
    client.close()
    thread.join()
    server.close()

if __name__ == "__main__":
    udp_exchange(socket.AF_INET, "127.0.0.1")
    udp_exchange(socket.AF_INET6, "::1")
    tcp_exchange(socket.AF_INET, "127.0.0.1")
    tcp_exchange(socket.AF_INET6, "::1")
