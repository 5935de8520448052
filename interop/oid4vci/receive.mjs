// An OpenID4VCI 1.0 wallet this project did not write: the OpenWallet Foundation TypeScript libraries receive
// every credential an offer grants from a running mobileid issuer, then verify what arrived with
// @animo-id/mdoc (mso_mdoc) and @sd-jwt/sd-jwt-vc (dc+sd-jwt) against the issuer's IACA root.
//   node receive.mjs OFFER_URI TX_CODE ROOT_PEM   -> one JSON report on stdout, exit 0; any failure exits 1
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'

import { COSEKeyToRAW, Verifier, parseIssuerSigned } from '@animo-id/mdoc'
import { clientAuthenticationNone } from '@openid4vc/oauth2'
import { Openid4vciClient } from '@openid4vc/openid4vci'
import { setGlobalConfig } from '@openid4vc/utils'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'

const [offerUri, txCode, rootPemPath] = process.argv.slice(2)
const root = new X509Certificate(readFileSync(rootPemPath))
setGlobalConfig({ allowInsecureUrls: offerUri.includes('127.0.0.1') }) // the test issuer listens on loopback http

const b64u = (bytes) => Buffer.from(bytes).toString('base64url')
const hashName = (alg) => alg.toLowerCase().replace('-', '')
const keys = new Map() // public jwk x -> private KeyObject

function signJws(privateKey, header, payload) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
  return `${input}.${b64u(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`
}

const client = new Openid4vciClient({
  callbacks: {
    hash: (data, alg) => createHash(hashName(alg)).update(data).digest(),
    generateRandom: (n) => randomBytes(n),
    clientAuthentication: clientAuthenticationNone({ clientId: 'owf-interop-wallet' }),
    signJwt: async (signer, { header, payload }) => {
      const privateKey = keys.get(signer.publicJwk.x)
      return { jwt: signJws(privateKey, header, payload), signerJwk: signer.publicJwk }
    },
  },
})

function newDeviceKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const publicJwk = publicKey.export({ format: 'jwk' })
  keys.set(publicJwk.x, privateKey)
  return publicJwk
}

// ---- certificate chain (DS under the pinned IACA), shared by both verifiers ---------------------------------
function checkChain(chainDer) {
  const leaf = new X509Certificate(chainDer[0])
  const now = new Date()
  if (!leaf.verify(root.publicKey)) throw new Error('the document signer is not signed by the pinned root')
  if (new Date(leaf.validFrom) > now || new Date(leaf.validTo) < now) throw new Error('the document signer is not valid now')
  return leaf
}

const x509 = {
  getIssuerNameField: ({ certificate, field }) =>
    new X509Certificate(certificate).issuer.split('\n').filter((l) => l.startsWith(`${field}=`)).map((l) => l.slice(field.length + 1)),
  getPublicKey: ({ certificate }) => new X509Certificate(certificate).publicKey.export({ format: 'jwk' }),
  validateCertificateChain: ({ x5chain }) => { checkChain(x5chain) },
  getCertificateData: ({ certificate }) => {
    const cert = new X509Certificate(certificate)
    return { issuerName: cert.issuer, subjectName: cert.subject, serialNumber: cert.serialNumber, thumbprint: cert.fingerprint256,
      notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), pem: cert.toString() }
  },
}
const cose = {
  sign1: {
    sign: () => { throw new Error('not needed') },
    verify: ({ jwk, sign1 }) => {
      const { signature, data } = sign1.getRawVerificationData()
      return verify('sha256', Buffer.from(data), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(signature))
    },
  },
  mac0: { sign: () => { throw new Error('not needed') }, verify: () => { throw new Error('not needed') } },
}
const mdocCrypto = {
  random: (n) => randomBytes(n),
  digest: ({ digestAlgorithm, bytes }) => createHash(hashName(digestAlgorithm)).update(bytes).digest(),
  calculateEphemeralMacKeyJwk: () => { throw new Error('not needed') },
}

async function verifyMdoc(encoded, doctype, deviceJwk) {
  const document = parseIssuerSigned(Buffer.from(encoded, 'base64url'), doctype)
  const verifier = new Verifier()
  await verifier.verifyIssuerSignature({ trustedCertificates: [root.raw], issuerAuth: document.issuerSigned.issuerAuth,
    disableCertificateChainValidation: false }, { x509, cose })
  await verifier.verifyData({ mdoc: document }, { x509, crypto: mdocCrypto })
  const mso = document.issuerSigned.issuerAuth.decodedPayload
  const bound = Buffer.from(COSEKeyToRAW(mso.deviceKeyInfo.deviceKey))
  const ours = Buffer.concat([Buffer.from([4]), Buffer.from(deviceJwk.x, 'base64url'), Buffer.from(deviceJwk.y, 'base64url')])
  if (!bound.equals(ours)) throw new Error('the mdoc is bound to another key')
  return { namespaces: document.issuerSignedNameSpaces, docType: document.docType }
}

async function verifySdJwtVc(encoded, vct, deviceJwk, issuer) {
  const header = JSON.parse(Buffer.from(encoded.split('.')[0], 'base64url'))
  const leaf = checkChain(header.x5c.map((c) => Buffer.from(c, 'base64')))
  const dsKey = leaf.publicKey
  const check = async (data, signature) =>
    verify('sha256', Buffer.from(data), { key: dsKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))
  const sdjwt = new SDJwtVcInstance({
    hasher: (data, alg) => createHash(hashName(alg)).update(data).digest(),
    verifier: check,
    statusVerifier: check, // the status list token is signed by the same document signer
    statusListFetcher: async (uri) => (await fetch(uri, { headers: { Accept: 'application/statuslist+jwt' } })).text(),
  })
  const { payload } = await sdjwt.verify(encoded)
  // what Credo asks of an x5c-signed SD-JWT VC: iss is a URI subject alternative name of the signing certificate
  const sans = (leaf.subjectAltName ?? '').split(', ').filter((n) => n.startsWith('URI:')).map((n) => n.slice(4))
  if (payload.iss !== issuer || !sans.includes(payload.iss)) throw new Error(`iss ${payload.iss} is not the certificate's URI SAN (${sans})`)
  if (payload.vct !== vct) throw new Error('another vct')
  if (payload.cnf.jwk.x !== deviceJwk.x || payload.cnf.jwk.y !== deviceJwk.y) throw new Error('the SD-JWT VC is bound to another key')
  const claims = await sdjwt.getClaims(encoded)
  return { iss: payload.iss, claims: Object.keys(claims).sort() }
}

const offer = await client.resolveCredentialOffer(offerUri)
const metadata = await client.resolveIssuerMetadata(offer.credential_issuer)
const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer, issuerMetadata: metadata, txCode })
const grant = Object.fromEntries((accessTokenResponse.mobileid_grant ?? []).map((g) => [g.credential_configuration_id, g.copies]))
const report = { credential_issuer: offer.credential_issuer, received: {} }
for (const id of offer.credential_configuration_ids) {
  const configuration = metadata.credentialIssuer.credential_configurations_supported[id]
  const { c_nonce } = await client.requestNonce({ issuerMetadata: metadata })
  const devices = Array.from({ length: grant[id] ?? 1 }, newDeviceKey)
  const jwt = []
  for (const publicJwk of devices) {
    const proof = await client.createCredentialRequestJwtProof({ issuerMetadata: metadata, credentialConfigurationId: id,
      nonce: c_nonce, signer: { method: 'jwk', alg: 'ES256', publicJwk } })
    jwt.push(proof.jwt)
  }
  const answer = await client.retrieveCredentials({ issuerMetadata: metadata, accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: id, proofs: { jwt } })
  const credentials = answer.credentialResponse.credentials.map((c) => c.credential)
  const verified = []
  for (const [index, encoded] of credentials.entries()) {
    verified.push(configuration.format === 'mso_mdoc'
      ? await verifyMdoc(encoded, configuration.doctype, devices[index])
      : await verifySdJwtVc(encoded, configuration.vct, devices[index], offer.credential_issuer))
  }
  await client.sendNotification({ issuerMetadata: metadata, accessToken: accessTokenResponse.access_token,
    notification: { notificationId: answer.credentialResponse.notification_id, event: 'credential_accepted' } })
  report.received[id] = { format: configuration.format, count: credentials.length, verified,
    display: configuration.credential_metadata?.display ?? null }
}
process.stdout.write(JSON.stringify(report) + '\n')
