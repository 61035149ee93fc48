# HJ 212-2017 clients for the listener's tests, friendly and hostile, built
# here with their own CRC (Appendix A), so that a bug in the collector's
# framing cannot hide in a shared helper. Imported by the test scripts
# (python3 - with sys.path set to this directory).
import datetime
import itertools
import socket
import struct
import threading
import time

_qn = itertools.count(1)
_qn_lock = threading.Lock()
TCP_ESTABLISHED = 1


def crc(seg: bytes) -> int:  # HJ 212-2017 Appendix A
    c = 0xFFFF
    for b in seg:
        c = (c >> 8) ^ b
        for _ in range(8):
            lsb = c & 1
            c >>= 1
            if lsb:
                c ^= 0xA001
    return c


assert crc(b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
           b"Flag=5;CP=&&RtdInterval=30&&") == 0x1C80


def crc_modbus(data: bytes) -> int:  # CRC-16/MODBUS, which some dataloggers send instead
    c = 0xFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    return c


def swap(c: int) -> int:  # the byte-swapped form of a CRC
    return ((c & 0xFF) << 8) | (c >> 8)


assert crc_modbus(b"123456789") == 0x4B37  # the CRC catalogue's check value

CRC = {"hj212": crc, "modbus": crc_modbus, "swapped": lambda d: swap(crc_modbus(d))}


def frame(seg: str, mode: str = "hj212") -> bytes:
    """A whole packet: header, length, segment, the CRC of @mode, CR LF."""
    b = seg.encode()
    return b"##%04d" % len(b) + b + b"%04X\r\n" % CRC[mode](b)


def next_qn() -> str:
    with _qn_lock:
        return "2024010100%07d" % next(_qn)


def data_packet(mn, pw, when, value, flag=5, qn=None):
    """Hourly data (CN=2061) of device @mn at @when (a datetime, Beijing time)."""
    qn = qn or next_qn()
    seg = (f"QN={qn};ST=22;CN=2061;PW={pw};MN={mn};Flag={flag};"
           f"CP=&&DataTime={when:%Y%m%d%H%M%S};a34004-Avg={value},a34004-Flag=N&&")
    return qn, frame(seg)


def parse_reply(line: bytes) -> dict:
    assert line.endswith(b"\r\n"), "no reply: %r" % line
    body = line[6:-6]
    assert line.startswith(b"##%04d" % len(body)), line
    assert line[-6:-2] == b"%04X" % crc(body), "reply CRC: %r" % line
    head = body.decode().partition("CP=&&")[0]
    return dict(kv.split("=", 1) for kv in head.split(";") if "=" in kv)


def tcp_state(s) -> int:
    """The kernel's TCP state of @s (1: established; closed by the peer: anything else)."""
    return struct.unpack("B", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def is_open(s) -> bool:
    try:
        return tcp_state(s) == TCP_ESTABLISHED
    except OSError:
        return False


def wait_closed(s, secs):
    """Seconds until the peer closed @s, or None when it is still open after @secs."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        if not is_open(s):
            return time.monotonic() - t0
        time.sleep(0.02)
    return None


def connect(port, src="127.0.0.1", timeout=20, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


class Datalogger:
    """A well-behaved datalogger: one packet at a time, each answered with 9014."""

    def __init__(self, port, mn, pw="123456", src="127.0.0.1", start=None):
        self.s = connect(port, src)
        self.f = self.s.makefile("rb")
        self.mn, self.pw = mn, pw
        self.when = start or datetime.datetime(2024, 1, 1)
        self.n = 0
        self.latency = []
        self.error = None
        self._stop = threading.Event()
        self._thread = None

    def send_one(self):
        qn, pkt = data_packet(self.mn, self.pw, self.when, 20 + self.n % 50)
        t0 = time.monotonic()
        self.s.sendall(pkt)
        r = parse_reply(self.f.readline())
        assert r["CN"] == "9014" and r["QN"] == qn and r["ST"] == "91", r
        self.latency.append(time.monotonic() - t0)
        self.n += 1
        self.when += datetime.timedelta(hours=1)

    def _run(self, every):
        try:
            while not self._stop.is_set():
                self.send_one()
                self._stop.wait(every)
        except Exception as e:  # reported by stop()
            self.error = repr(e)

    def start(self, every=0.1):
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "the datalogger is stuck waiting for a reply"
        assert self.error is None, "the good datalogger failed: " + self.error
        return self.n


class NeverReads:
    """Sends packets that ask for responses and never reads one."""

    def __init__(self, port, mn, pw="123456", src="127.0.0.1"):
        self.s = connect(port, src, rcvbuf=4096)
        self.s.setblocking(False)
        self.mn, self.pw = mn, pw
        self.when = datetime.datetime(2022, 1, 1)
        self.sent = 0
        self.pending = b""

    def pump(self):
        """Send what the socket takes now; False once the collector has closed it."""
        try:
            while True:
                if not self.pending:
                    self.pending = data_packet(self.mn, self.pw, self.when, 30)[1]
                    self.when += datetime.timedelta(hours=1)
                n = self.s.send(self.pending)
                self.pending = self.pending[n:]
                if not self.pending:
                    self.sent += 1
        except BlockingIOError:
            return is_open(self.s)
        except OSError:  # reset or broken pipe: closed by the collector
            return False
