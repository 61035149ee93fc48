#!/usr/bin/python3
"""The ingest benchmark's peer: what a careful person would write in an
afternoon with Debian's python3-paho-mqtt and the standard sqlite3 module.

It subscribes at QoS 1 (paho acknowledges each message as it arrives,
before anything is stored), decodes each flat JSON air message, and stores
its readings in batches: one transaction per 200 messages or per 5 ms,
whichever comes first, in WAL mode with synchronous=NORMAL. Duplicates of
(device, metric, ts) are ignored by the key. After N messages it commits,
and prints one JSON line as countsub does:
  {"messages":N,"elapsed_s":E,"rate":R,"cpu_us_per_msg":C,"max_rss_kb":K,"commits":B}

usage: pysub.py HOST PORT TOPIC N DB_PATH CLIENT_ID READY_FILE
"""
import json
import resource
import sqlite3
import sys
import time

import paho.mqtt.client as mqtt

host, port, topic, n, db_path, client_id, ready_file = sys.argv[1:8]
port, n = int(port), int(n)

db = sqlite3.connect(db_path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute(
    "CREATE TABLE IF NOT EXISTS readings(device TEXT NOT NULL, metric TEXT NOT NULL,"
    " ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (ts, device, metric)) WITHOUT ROWID"
)

pending = []  # rows of messages received and not yet committed
state = {"got": 0, "first": None, "last": None, "commits": 0, "t_batch": None}


def commit():
    if not pending:
        return
    db.execute("BEGIN")
    db.executemany("INSERT OR IGNORE INTO readings VALUES (?, ?, ?, ?)", pending)
    db.execute("COMMIT")
    pending.clear()
    state["commits"] += 1
    state["t_batch"] = None


def on_connect(client, userdata, flags, rc):
    client.subscribe(topic, qos=1)


def on_subscribe(client, userdata, mid, granted):
    with open(ready_file, "w") as f:
        f.write("ready\n")


def on_message(client, userdata, msg):
    now = time.monotonic()
    if state["first"] is None:
        state["first"] = now
    state["last"] = now
    device = msg.topic.rsplit("/", 1)[-1]
    try:
        doc = json.loads(msg.payload)
        ts = int(doc.get("ts", time.time()) * 1000)
        for k, v in doc.items():
            if k != "ts" and isinstance(v, (int, float)):
                pending.append((device, k, ts, float(v)))
    except (ValueError, AttributeError):
        pass
    if state["t_batch"] is None:
        state["t_batch"] = now
    state["got"] += 1


client = mqtt.Client(client_id=client_id, clean_session=True)
client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect(host, port, keepalive=60)
while state["got"] < n:
    client.loop(timeout=0.005)
    if pending and (
        len(pending) >= 200 * 6 or time.monotonic() - (state["t_batch"] or 0) >= 0.005
    ):
        commit()
commit()
client.disconnect()

ru = resource.getrusage(resource.RUSAGE_SELF)
elapsed = (state["last"] or 0) - (state["first"] or 0)
print(
    json.dumps(
        {
            "messages": n,
            "elapsed_s": round(elapsed, 3),
            "rate": round((n - 1) / elapsed, 1) if elapsed > 0 else 0,
            "cpu_us_per_msg": round((ru.ru_utime + ru.ru_stime) * 1e6 / n, 2),
            "max_rss_kb": ru.ru_maxrss,
            "commits": state["commits"],
        }
    )
)
