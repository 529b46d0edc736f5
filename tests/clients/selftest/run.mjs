// Self-test of the two verifiers, without Caravan:  node tests/clients/selftest/run.mjs
//
// Issues, with a fresh Ed25519 did:key, an OpenBadgeCredential (VC 2.0 + OB 3.0.3 contexts,
// eddsa-rdfc-2022) and the same as a VC-JWT, for a clear and a set status bit, serves a signed
// BitstringStatusListCredential (JSON-LD, or VC-JWT for `Accept: application/vc+jwt`) from a
// local HTTP server, and runs verify_credential.mjs and verify_jwt.py on valid, tampered and
// revoked inputs. Exits 1 when any verdict is not the expected one.
import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {createServer} from 'node:http';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as bsl from '@digitalbazaar/vc-bitstring-status-list';
import {documentLoader} from '../verify_credential.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VALID_INDEX = 3;
const REVOKED_INDEX = 7;

async function newIssuerKey() {
  // did:key:<publicKeyMultibase>, key id did:key:<m>#<m>; generated twice from one seed
  // because the signer captures the key id when the key is created.
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const {publicKeyMultibase} = await Ed25519Multikey.generate({seed});
  return Ed25519Multikey.generate({seed, controller: `did:key:${publicKeyMultibase}`});
}

async function sign(credential, key) {
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite});
  return vc.issue({credential, suite, documentLoader});
}

// VC-JOSE-COSE: header {alg, typ, cty, kid}, payload = credential + registered claims.
async function signJwt(credential, key) {
  const b64 = x => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const header = {alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: key.id};
  const payload = {...credential, iss: key.controller, jti: credential.id, iat: now, nbf: now};
  if(credential.credentialSubject?.id) {
    payload.sub = credential.credentialSubject.id;
  }
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = await key.signer().sign({data: new TextEncoder().encode(input)});
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

function badge({did, index, statusListUrl}) {
  return {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'
    ],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: did, type: ['Profile'], name: 'Caravan self-test issuer'},
    validFrom: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    name: 'Self-test badge',
    credentialSubject: {
      id: 'did:example:learner',
      type: ['AchievementSubject'],
      achievement: {
        id: 'https://caravan.example/achievements/1',
        type: ['Achievement'],
        name: 'Completed the self-test',
        description: 'Awarded for running the verifier self-test.',
        criteria: {narrative: 'Run node selftest/run.mjs.'}
      }
    },
    credentialStatus: {
      id: `${statusListUrl}#${index}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(index),
      statusListCredential: statusListUrl
    }
  };
}

function tamper(credential) {
  const copy = structuredClone(credential);
  copy.credentialSubject.achievement.name = 'Something never awarded';
  return copy;
}

function tamperJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  const payload = tamper(JSON.parse(Buffer.from(p, 'base64url')));
  return [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
}

function run(cmd, args) {
  return new Promise(resolve => {
    execFile(cmd, args, (error, stdout, stderr) => {
      resolve({code: error ? error.code : 0, stdout: stdout.trim(), stderr: stderr.trim()});
    });
  });
}

async function main() {
  const key = await newIssuerKey();
  const otherKey = await newIssuerKey();
  const served = {};
  const server = createServer((req, res) => {
    const wantsJwt = (req.headers.accept || '').includes('application/vc+jwt');
    const list = served[req.url];
    if(!list) {
      res.writeHead(404).end();
    } else if(wantsJwt) {
      res.writeHead(200, {'content-type': 'application/vc+jwt'}).end(list.jwt);
    } else {
      res.writeHead(200, {'content-type': 'application/vc+ld+json'})
        .end(JSON.stringify(list.jsonld));
    }
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const statusListUrl = `${base}/status/1`;
  // /status/2: the same list with REVOKED_INDEX cleared afterwards, signatures not redone.
  const forgedListUrl = `${base}/status/2`;

  const list = await bsl.createList({length: 131072});
  list.setStatus(REVOKED_INDEX, true);
  const slCredential = await bsl.createCredential(
    {id: statusListUrl, list, statusPurpose: 'revocation'});
  slCredential.issuer = key.controller;
  slCredential.validFrom = new Date(Date.now() - 60_000).toISOString();
  served['/status/1'] = {
    jsonld: await sign(slCredential, key), jwt: await signJwt(slCredential, key)};
  const forged = await sign({...slCredential, id: forgedListUrl}, key);
  const forgedJwt = await signJwt({...slCredential, id: forgedListUrl}, key);
  list.setStatus(REVOKED_INDEX, false);
  forged.credentialSubject = {...forged.credentialSubject, encodedList: await list.encode()};
  const [h, p, sig] = forgedJwt.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  payload.credentialSubject.encodedList = forged.credentialSubject.encodedList;
  served['/status/2'] = {jsonld: forged,
    jwt: [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), sig].join('.')};

  const valid = badge({did: key.controller, index: VALID_INDEX, statusListUrl});
  const revoked = badge({did: key.controller, index: REVOKED_INDEX, statusListUrl});
  const signedValid = await sign(valid, key);
  const signedRevoked = await sign(revoked, key);
  const onForged = badge({did: key.controller, index: REVOKED_INDEX, statusListUrl: forgedListUrl});
  const otherKeyWithKid = {...otherKey, id: otherKey.id, controller: key.controller,
    signer: () => otherKey.signer()};

  const dir = await mkdtemp(join(tmpdir(), 'caravan-verifier-selftest-'));
  const cases = [
    ['node', 'verify_credential.mjs', 'valid.json', signedValid, 0],
    ['node', 'verify_credential.mjs', 'tampered.json', tamper(signedValid), 1],
    ['node', 'verify_credential.mjs', 'revoked.json', signedRevoked, 1],
    ['python3', 'verify_jwt.py', 'valid.jwt', await signJwt(valid, key), 0],
    ['python3', 'verify_jwt.py', 'tampered.jwt', tamperJwt(await signJwt(valid, key)), 1],
    ['python3', 'verify_jwt.py', 'revoked.jwt', await signJwt(revoked, key), 1],
    // kid names a key that is not the issuer's did:key
    ['python3', 'verify_jwt.py', 'wrong-key.jwt', await signJwt(valid, otherKeyWithKid), 1],
    // revoked, but the list it points to had its bit cleared after signing
    ['node', 'verify_credential.mjs', 'forged-list.json', await sign(onForged, key), 1],
    ['python3', 'verify_jwt.py', 'forged-list.jwt', await signJwt(onForged, key), 1],
    ['node', 'verify_credential.mjs', 'missing.json', null, 2],
    ['python3', 'verify_jwt.py', 'missing.jwt', null, 2]
  ];
  let failures = 0;
  for(const [cmd, script, name, content, expected] of cases) {
    const file = join(dir, name);
    if(content !== null) {
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    }
    const {code, stdout, stderr} = await run(cmd, [join(here, '..', script), file]);
    const ok = code === expected;
    failures += ok ? 0 : 1;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${script} ${name}: exit ${code} (expected ${expected})`);
    console.log(`     ${stdout}`);
    if(stderr && !ok) {
      console.log(`     stderr: ${stderr}`);
    }
  }
  server.close();
  await rm(dir, {recursive: true, force: true});
  console.log(`${cases.length - failures} passed, ${failures} failed`);
  process.exitCode = failures ? 1 : 0;
}

await main();
