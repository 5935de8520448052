// Shared pieces of the interop drivers: the crypto callbacks the OpenWallet Foundation libraries ask their
// user to supply (node:crypto and jose), the OpenID4VP 1.0 mdoc SessionTranscript (Appendix B.2.6.1),
// and stdin/stdout JSON. Nothing here speaks mobileid's Python API: the drivers only exchange HTTP and
// JSON with it.
import crypto from 'node:crypto'
import fs from 'node:fs'
import * as jose from 'jose'
import { cborEncode, DataItem } from '@animo-id/mdoc'
import { setGlobalConfig } from '@openid4vc/utils'

// The tests run both sides on the loopback interface, where there is no TLS; deployments keep the default.
setGlobalConfig({ allowInsecureUrls: true })

export const readInput = () => JSON.parse(fs.readFileSync(0, 'utf8'))
export const emit = (value) => process.stdout.write(JSON.stringify(value) + '\n')
export const fromB64 = (text) => new Uint8Array(Buffer.from(text, 'base64'))
export const fromB64url = (text) => new Uint8Array(Buffer.from(text, 'base64url'))
export const toB64url = (bytes) => Buffer.from(bytes).toString('base64url')

export const hash = (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest()

export function certificateJwk(der) {
  return new crypto.X509Certificate(Buffer.from(der)).publicKey.export({ format: 'jwk' })
}

// The certificate must be issued (signed) by one of the trusted certificates and be valid now.
export function validateChain(x5chain, trusted, now = new Date()) {
  const leaf = new crypto.X509Certificate(Buffer.from(x5chain[0]))
  if (now < new Date(leaf.validFrom) || now > new Date(leaf.validTo)) throw new Error('certificate not valid now')
  for (const der of trusted) {
    const anchor = new crypto.X509Certificate(Buffer.from(der))
    if (leaf.checkIssued(anchor) && leaf.verify(anchor.publicKey)) return
  }
  throw new Error('certificate does not chain to a trusted certificate')
}

function nameFields(text, field) {
  return text.split('\n').filter((line) => line.startsWith(`${field}=`)).map((line) => line.slice(field.length + 1))
}

export const mdocContext = {
  crypto: {
    random: (length) => new Uint8Array(crypto.randomBytes(length)),
    digest: ({ digestAlgorithm, bytes }) => new Uint8Array(hash(bytes, digestAlgorithm)),
    calculateEphemeralMacKeyJwk: () => { throw new Error('deviceMac is not used over OpenID4VP') },
  },
  cose: {
    sign1: {
      sign: ({ sign1, jwk }) => {
        const { data } = sign1.getRawSigningData()
        const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' })
        return new Uint8Array(crypto.sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }))
      },
      verify: ({ sign1, jwk, options }) => {
        const { data, signature } = sign1.getRawVerificationData(options)
        const key = crypto.createPublicKey({ key: jwk, format: 'jwk' })
        return crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      },
    },
    mac0: {
      sign: () => { throw new Error('not used') },
      verify: () => { throw new Error('not used') },
    },
  },
  x509: {
    getIssuerNameField: ({ certificate, field }) =>
      nameFields(new crypto.X509Certificate(Buffer.from(certificate)).issuer, field),
    getPublicKey: ({ certificate }) => certificateJwk(certificate),
    validateCertificateChain: ({ trustedCertificates, x5chain }) => validateChain(x5chain, trustedCertificates),
    getCertificateData: ({ certificate }) => {
      const cert = new crypto.X509Certificate(Buffer.from(certificate))
      return {
        issuerName: cert.issuer, subjectName: cert.subject, serialNumber: cert.serialNumber,
        thumbprint: cert.fingerprint256, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo),
        pem: cert.toString(),
      }
    },
  },
}

// OpenID4VP 1.0 Appendix B.2.6.1: SessionTranscriptBytes = #6.24(bstr .cbor [null, null, OpenID4VPHandover])
export function oid4vpTranscriptBytes({ clientId, nonce, jwkThumbprint, responseUri }) {
  const info = cborEncode([clientId, nonce, jwkThumbprint ? Buffer.from(jwkThumbprint) : null, responseUri])
  const handover = ['OpenID4VPHandover', hash(info, 'sha-256')]
  return cborEncode(DataItem.fromData([null, null, handover]))
}

export async function thumbprint(jwk) {
  return fromB64url(await jose.calculateJwkThumbprint(jwk, 'sha256'))
}

export async function encryptJwe(encryptor, payload) {
  const key = await jose.importJWK(encryptor.publicJwk, encryptor.alg)
  const builder = new jose.CompactEncrypt(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: encryptor.alg, enc: encryptor.enc, kid: encryptor.publicJwk.kid })
  const parties = {}
  if (encryptor.apu) parties.apu = fromB64url(encryptor.apu)
  if (encryptor.apv) parties.apv = fromB64url(encryptor.apv)
  builder.setKeyManagementParameters(parties)
  return { jwe: await builder.encrypt(key), encryptionJwk: encryptor.publicJwk }
}

export function decryptJweWith(privateJwk) {
  return async (jwe) => {
    try {
      const key = await jose.importJWK(privateJwk, 'ECDH-ES')
      const { plaintext } = await jose.compactDecrypt(jwe, key)
      const { d, ...publicJwk } = privateJwk
      return { decrypted: true, decryptionJwk: publicJwk, payload: new TextDecoder().decode(plaintext) }
    } catch (error) {
      return { decrypted: false }
    }
  }
}

export function es256Signer(privateJwk) {
  const key = crypto.createPrivateKey({ key: privateJwk, format: 'jwk' })
  return async (data) => crypto.sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
}

export function es256Verifier(publicJwk) {
  const key = crypto.createPublicKey({ key: publicJwk, format: 'jwk' })
  return async (data, signature) =>
    crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))
}

export const sdHasher = (data, alg) => hash(typeof data === 'string' ? Buffer.from(data) : data, alg)
