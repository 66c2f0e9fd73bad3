# A UDP echo server with a selectors loop (epoll under the shim) watching the
# UDP socket and a kernel pipe at once: python3 udp_echo_server.py PORT
# Prints "ready" once bound; a datagram "quit" ends it.
import os, selectors, socket, sys
sel = selectors.DefaultSelector()
assert type(sel).__name__ == "EpollSelector", type(sel)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.setblocking(False)
r, w = os.pipe()
sel.register(s, selectors.EVENT_READ, "udp")
sel.register(r, selectors.EVENT_READ, "pipe")
print("ready", flush=True)
n = 0
while True:
    for key, _ in sel.select(10):
        if key.data == "pipe":
            os.read(r, 100)
            continue
        while True:
            try:
                d, a = s.recvfrom(65535)
            except BlockingIOError:
                break
            if d == b"quit":
                print("served", n, flush=True)
                sys.exit(0)
            s.sendto(d, a)
            n += 1
            # the kernel side of the set works too: poke our own pipe
            if n % 10 == 0:
                os.write(w, b"x")
