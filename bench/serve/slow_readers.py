"""Opens N connections that each download a large file slowly, and reports the server's peak
resident memory (VmHWM) while they run. Traffic stays on loopback; bounded in count and time."""
import asyncio, sys, time

host, port, path, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
n = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0

def rss_kib(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])

async def reader(stop):
    r, w = await asyncio.open_connection(host, port)
    w.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await w.drain()
    got = 0
    while time.monotonic() < stop:
        chunk = await r.read(1024)
        if not chunk:
            break
        got += len(chunk)
        await asyncio.sleep(0.1)
    w.close()
    return got

async def main():
    before = rss_kib("VmRSS:")
    stop = time.monotonic() + seconds
    tasks = [asyncio.create_task(reader(stop)) for _ in range(n)]
    peak = 0
    while time.monotonic() < stop:
        peak = max(peak, rss_kib("VmRSS:"))
        await asyncio.sleep(0.2)
    got = await asyncio.gather(*tasks, return_exceptions=True)
    ok = sum(1 for g in got if isinstance(g, int) and g > 0)
    print(f"{ok} of {n} slow readers received data; RSS before {before // 1024} MiB, "
          f"peak during {peak // 1024} MiB, high-water mark {rss_kib('VmHWM:') // 1024} MiB")

asyncio.run(main())
