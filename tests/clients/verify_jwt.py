#!/usr/bin/env python3
"""Independent VC-JWT (VC-JOSE-COSE) verifier for Caravan's Open Badges 3.0 credentials.

    python3 verify_jwt.py <credential.jwt | ->

Verifies with PyJWT (EdDSA through `cryptography`) against the Ed25519 key named by the
header's did:key `kid`, then checks typ, nbf/exp (and validFrom/validUntil), that `iss` is the
credential's issuer id, and, when the payload has a BitstringStatusListEntry, fetches its
statusListCredential with `Accept: application/vc+jwt`, verifies that JWT the same way and reads
the bit at statusListIndex (index 0 = most significant bit of the first byte).

Prints ONE line of JSON: {"verified": bool, "checks": {...}, "errors": ["..."]}.
Exit code: 0 verified, 1 not verified, 2 usage or I/O error.
"""

import base64
import gzip
import json
import sys
import time
import urllib.request
from datetime import datetime, timezone

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LEEWAY_SECONDS = 5
FETCH_TIMEOUT_SECONDS = 10
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ED25519_PUB_MULTICODEC = b"\xed\x01"


class NotVerified(Exception):
    pass


def b58decode(text):
    """base58btc (Bitcoin alphabet) decode; leading '1's are leading zero bytes."""
    n = 0
    for ch in text:
        i = B58_ALPHABET.find(ch)
        if i < 0:
            raise NotVerified(f"invalid base58btc character {ch!r}")
        n = n * 58 + i
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def did_key_to_public_key(kid):
    """did:key:z6Mk…#z6Mk… -> Ed25519PublicKey (the fragment must name the same key)."""
    if not isinstance(kid, str) or not kid.startswith("did:key:"):
        raise NotVerified(f"header kid is not a did:key URL: {kid!r}")
    did, _, fragment = kid.partition("#")
    multibase = did[len("did:key:"):]
    if fragment and fragment != multibase:
        raise NotVerified(f"kid fragment #{fragment} does not name the key of {did}")
    if not multibase.startswith("z"):
        raise NotVerified(f"did:key is not base58btc multibase: {did}")
    raw = b58decode(multibase[1:])
    if len(raw) != 34 or raw[:2] != ED25519_PUB_MULTICODEC:
        raise NotVerified(f"did:key is not an Ed25519 public key (0xed01 + 32 bytes): {did}")
    return did, Ed25519PublicKey.from_public_bytes(raw[2:])


def issuer_id(credential):
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def parse_time(value, name):
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        raise NotVerified(f"{name} is not an XML Schema dateTime: {value!r}")


def verify_vc_jwt(token, what, checks, prefix):
    """Verifies one VC-JWT; returns its payload (the credential). Raises NotVerified."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.exceptions.DecodeError as e:
        raise NotVerified(f"{what}: not a JWS compact serialization: {e}")
    if header.get("alg") != "EdDSA":
        raise NotVerified(f"{what}: header alg is {header.get('alg')!r}, expected 'EdDSA'")
    if header.get("typ") != "vc+jwt":
        raise NotVerified(f"{what}: header typ is {header.get('typ')!r}, expected 'vc+jwt'")
    checks[prefix + "typ"] = True
    did, key = did_key_to_public_key(header.get("kid"))
    checks[prefix + "kid"] = header.get("kid")
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            leeway=LEEWAY_SECONDS,
            options={"verify_signature": True, "verify_exp": True, "verify_nbf": True,
                     "verify_iat": True, "verify_aud": False, "require": ["iss"]},
        )
    except jwt.exceptions.InvalidSignatureError:
        checks[prefix + "signature"] = False
        raise NotVerified(f"{what}: signature verification failed")
    except jwt.exceptions.ImmatureSignatureError as e:
        checks[prefix + "signature"] = True  # PyJWT checks the signature before the claims
        raise NotVerified(f"{what}: not yet valid (nbf/iat): {e}")
    except jwt.exceptions.ExpiredSignatureError as e:
        checks[prefix + "signature"] = True
        raise NotVerified(f"{what}: expired (exp): {e}")
    except jwt.exceptions.InvalidTokenError as e:
        raise NotVerified(f"{what}: {type(e).__name__}: {e}")
    checks[prefix + "signature"] = True

    if not isinstance(payload.get("@context"), list) or \
            payload["@context"][0] != "https://www.w3.org/ns/credentials/v2":
        raise NotVerified(f"{what}: @context must start with https://www.w3.org/ns/credentials/v2")
    types = payload.get("type")
    types = types if isinstance(types, list) else [types]
    if "VerifiableCredential" not in types:
        raise NotVerified(f"{what}: type does not include VerifiableCredential")
    issuer = issuer_id(payload)
    if not isinstance(issuer, str) or not issuer:
        raise NotVerified(f"{what}: issuer id is missing")
    if payload["iss"] != issuer:
        raise NotVerified(f"{what}: iss {payload['iss']!r} does not match issuer id {issuer!r}")
    if issuer.startswith("did:") and issuer != did:
        raise NotVerified(f"{what}: kid {header.get('kid')!r} is not a key of issuer {issuer!r}")
    checks[prefix + "issuer"] = issuer
    if "jti" in payload and "id" in payload and payload["jti"] != payload["id"]:
        raise NotVerified(f"{what}: jti {payload['jti']!r} does not match id {payload['id']!r}")
    subject = payload.get("credentialSubject")
    if "sub" in payload and isinstance(subject, dict) and "id" in subject \
            and payload["sub"] != subject["id"]:
        raise NotVerified(
            f"{what}: sub {payload['sub']!r} does not match credentialSubject.id {subject['id']!r}")
    now = time.time()
    if "validFrom" in payload and parse_time(payload["validFrom"], "validFrom") > now + LEEWAY_SECONDS:
        raise NotVerified(f"{what}: validFrom {payload['validFrom']} is in the future")
    if "validUntil" in payload and parse_time(payload["validUntil"], "validUntil") < now - LEEWAY_SECONDS:
        raise NotVerified(f"{what}: validUntil {payload['validUntil']} has passed")
    checks[prefix + "validity"] = True
    return payload


def fetch_status_list_jwt(url):
    if not url.startswith(("http://", "https://")):
        raise NotVerified(f"statusListCredential is not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, headers={"Accept": "application/vc+jwt"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            content_type = response.headers.get("Content-Type", "")
            body = response.read().decode("utf-8").strip()
    except Exception as e:  # urllib.error.HTTPError / URLError / timeouts
        raise NotVerified(f"cannot fetch status list credential {url}: {e}")
    return body, content_type


def decode_encoded_list(encoded):
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise NotVerified("encodedList must be multibase base64url ('u' prefix)")
    data = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        return gzip.decompress(compressed)
    except Exception as e:
        raise NotVerified(f"encodedList is not base64url-encoded gzip: {e}")


def check_status(credential, entry, checks):
    """Returns True when the status bit is clear; raises NotVerified otherwise."""
    if entry.get("type") != "BitstringStatusListEntry":
        raise NotVerified(f"unsupported credentialStatus type {entry.get('type')!r}")
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose")
    try:
        index = int(entry.get("statusListIndex"))
    except (TypeError, ValueError):
        raise NotVerified(f"statusListIndex is not an integer: {entry.get('statusListIndex')!r}")
    if index < 0:
        raise NotVerified(f"statusListIndex is negative: {index}")
    checks["statusListCredential"] = url
    checks["statusListIndex"] = index

    checks["status"] = False
    token, content_type = fetch_status_list_jwt(url)
    checks["statusListContentType"] = content_type
    status_list = verify_vc_jwt(token, "status list credential", checks, "statusList.")
    checks["status"] = True
    types = status_list.get("type")
    types = types if isinstance(types, list) else [types]
    if "BitstringStatusListCredential" not in types:
        raise NotVerified("status list credential type does not include BitstringStatusListCredential")
    if status_list.get("issuer") is None or issuer_id(status_list) != issuer_id(credential):
        raise NotVerified(
            f"status list issuer {issuer_id(status_list)!r} does not match "
            f"credential issuer {issuer_id(credential)!r}")
    checks["statusListIdMatches"] = status_list.get("id") == url
    subject = status_list.get("credentialSubject") or {}
    if subject.get("type") != "BitstringStatusList":
        raise NotVerified(f"status list credentialSubject.type is {subject.get('type')!r}")
    if subject.get("statusPurpose") != purpose:
        raise NotVerified(
            f"status purpose {subject.get('statusPurpose')!r} of the status list does not "
            f"match {purpose!r} in the credential")
    size = int(entry.get("statusSize", 1))
    if size != 1:
        raise NotVerified(f"statusSize {size} is not supported (only 1)")
    bits = decode_encoded_list(subject.get("encodedList"))
    checks["statusListLength"] = len(bits) * 8
    if index >= len(bits) * 8:
        raise NotVerified(f"statusListIndex {index} is outside the list ({len(bits) * 8} bits)")
    bit = (bits[index // 8] >> (7 - index % 8)) & 1
    checks["revoked"] = bool(bit)
    if bit:
        raise NotVerified(
            f"credential status: {'revoked' if purpose == 'revocation' else purpose} "
            f"(statusPurpose {purpose!r}: bit {index} is set in {url})")
    return True


def main(argv):
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        return {"verified": False, "checks": {},
                "errors": ["usage: python3 verify_jwt.py <credential.jwt | ->"]}, 2
    try:
        if argv[0] == "-":
            token = sys.stdin.read().strip()
        else:
            with open(argv[0], encoding="utf-8") as f:
                token = f.read().strip()
    except (OSError, UnicodeDecodeError) as e:
        return {"verified": False, "checks": {}, "errors": [f"cannot read JWT: {e}"]}, 2
    # Content that is no JWT at all is a verdict (exit 1), not a usage error.

    checks = {"signature": None, "status": None, "revoked": None}
    errors = []
    try:
        credential = verify_vc_jwt(token, "credential", checks, "")
        statuses = credential.get("credentialStatus")
        statuses = [] if statuses is None else statuses if isinstance(statuses, list) else [statuses]
        for entry in statuses:
            check_status(credential, entry, checks)
    except NotVerified as e:
        errors.append(str(e))
    verified = not errors
    return {"verified": verified, "checks": checks, "errors": errors}, 0 if verified else 1


if __name__ == "__main__":
    try:
        result, code = main(sys.argv[1:])
    except Exception as e:  # a bug here, not a verdict on the credential
        result, code = {"verified": False, "checks": {}, "errors": [f"internal error: {e!r}"]}, 2
    print(json.dumps(result))
    sys.exit(code)
