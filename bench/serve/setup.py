"""Makes the files the serve benchmarks fetch and publishes them in a protected
(organisation-only) course of a running Caravan, as the bench user (made by the caller).

    setup.py OUT API NAME:BYTES...

Writes each file to OUT (PDFs padded with random data: Caravan decides types from bytes) and
prints one line: the signed URL of each file, in order, then the bench user's bearer token."""
import base64, json, os, sys, time, urllib.request

out, api, files = sys.argv[1], sys.argv[2], [a.split(":") for a in sys.argv[3:]]


def call(method, path, body=None, token=None, headers=None, raw=None):
    h = {"content-type": "application/json"} if body is not None else {}
    h.update(headers or {})
    if token:
        h["authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else raw
    r = urllib.request.urlopen(urllib.request.Request(api + path, data=data, method=method, headers=h))
    text = r.read()
    return (json.loads(text) if text else None), r.headers


for name, size in files:
    head, tail = b"%PDF-1.4\n%", b"\n%%EOF\n"
    body = os.urandom(int(size) - len(head) - len(tail))
    with open(os.path.join(out, name), "wb") as f:
        f.write(head + body + tail)

tok = call("POST", "/api/v1/auth/login", {"email": "bench@example.org", "password": "bench-password"})[0]["token"]
org = call("POST", "/api/v1/orgs", {"name": "Bench", "slug": "bench"}, tok)[0]["id"]
course = call("POST", "/api/v1/courses", {"org_id": org, "title": "Bench", "domain": "logistics",
                                          "level": 1, "language": "en"}, tok)[0]["id"]
urls = []
for name, _ in files:
    unit = call("POST", f"/api/v1/courses/{course}/units", {"kind": "document", "title": name}, tok)[0]["id"]
    data = open(os.path.join(out, name), "rb").read()
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in (("filename", name), ("unit_id", unit)))
    _, h = call("POST", "/api/v1/uploads", token=tok, raw=data, headers={
        "tus-resumable": "1.0.0", "upload-length": str(len(data)), "upload-metadata": meta,
        "content-type": "application/offset+octet-stream"})
    asset = h["caravan-asset-id"]
    for _ in range(300):
        a = call("GET", f"/api/v1/assets/{asset}", token=tok)[0]
        if a["status"] == "ready":
            break
        time.sleep(0.1)
    urls.append(a["renditions"][0]["url"])
call("POST", f"/api/v1/courses/{course}/publish", {"visibility": "org"}, tok)
print(*urls, tok)
