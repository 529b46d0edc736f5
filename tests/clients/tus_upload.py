#!/usr/bin/env python3
"""Uploads a file to a tus 1.0.0 server with the stock tuspy client, unmodified.

    python3 tus_upload.py <endpoint> <token> <file> [--chunk-size N] [--interrupt-after BYTES]
                          [--org-id ID] [--checksum]

Prints one JSON line: {"upload_url": ..., "asset_id": ..., "resumed_from": n|null}.
With --interrupt-after, the first uploader stops once the server has acknowledged at least
BYTES (``upload(stop_at=BYTES)``) and is thrown away; a new uploader given ``url=`` the same
upload URL asks the server for the offset (HEAD) and sends the rest. ``resumed_from`` is that
offset. --checksum turns on tuspy's ``upload_checksum`` (it sends ``Upload-Checksum: sha1 ...``).
Install the client with ``python3 -m pip install tuspy`` (scripts/test does).
"""

import argparse
import json
import os
import sys

import requests
from tusclient import client as tus_client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint")
    parser.add_argument("token")
    parser.add_argument("file")
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--interrupt-after", type=int, default=None)
    parser.add_argument("--org-id", default=None)
    parser.add_argument("--checksum", action="store_true")
    args = parser.parse_args()

    size = os.path.getsize(args.file)
    metadata = {"filename": os.path.basename(args.file)}
    if args.org_id:
        metadata["org_id"] = args.org_id
    # Headers given to the client go on every request its uploaders make.
    client = tus_client.TusClient(
        args.endpoint, headers={"Authorization": f"Bearer {args.token}"}
    )
    options = {"metadata": metadata, "upload_checksum": args.checksum}
    if args.chunk_size:
        options["chunk_size"] = args.chunk_size

    resumed_from = None
    if args.interrupt_after is not None:
        first = client.uploader(args.file, **options)
        first.upload(stop_at=args.interrupt_after)
        if first.offset >= size:
            raise SystemExit(
                f"the upload finished before {args.interrupt_after} bytes could be interrupted;"
                " use a smaller --chunk-size"
            )
        upload_url = first.url
        del first  # As after a crash: only the upload URL survives.
        # A new uploader with url= resumes: its constructor HEADs the URL for the offset.
        uploader = client.uploader(args.file, url=upload_url, **options)
        resumed_from = uploader.offset
        uploader.upload()
        if uploader.url != upload_url:
            raise SystemExit(f"resuming moved the upload from {upload_url} to {uploader.url}")
    else:
        uploader = client.uploader(args.file, **options)
        uploader.upload()

    if uploader.offset != size:
        raise SystemExit(f"the upload stopped at {uploader.offset} of {size} bytes")
    # The last PATCH response names the asset; the HEAD of a complete upload does too.
    asset_id = None
    if uploader.request is not None:
        asset_id = uploader.request.response_headers.get("caravan-asset-id")
    if not asset_id:
        head = requests.head(uploader.url, headers=uploader.get_headers(), timeout=30)
        asset_id = head.headers.get("caravan-asset-id")
    if not asset_id:
        raise SystemExit("neither the last PATCH nor a HEAD carried Caravan-Asset-Id")
    print(
        json.dumps(
            {"upload_url": uploader.url, "asset_id": asset_id, "resumed_from": resumed_from}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
