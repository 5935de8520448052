// The OpenWallet Foundation stack as a VERIFIER asking mobileid's wallet: @openid4vc/openid4vp makes a signed
// request (JAR, x509_hash client, direct_post.jwt with an ephemeral ECDH-ES key), serves it over HTTP,
// decrypts the answer, and the presentations are verified with @animo-id/mdoc (over the OpenID4VP 1.0
// handover) and @sd-jwt/sd-jwt-vc (KB-JWT aud = client_id, nonce = the request's, status list checked).
// stdin: {port, reader_cert_b64, reader_key_jwk, iaca_b64, dcql, status_list_jwt?}
// stdout: {"uri": ...} when ready, then {"verified": ..., ...} once the wallet answered.
import crypto from 'node:crypto'
import http from 'node:http'
import * as jose from 'jose'
import { Openid4vpVerifier, parseOpenid4vpAuthorizationResponse } from '@openid4vc/openid4vp'
import { Verifier } from '@animo-id/mdoc'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import {
  certificateJwk, decryptJweWith, emit, encryptJwe, es256Verifier, fromB64, fromB64url, hash, mdocContext,
  oid4vpTranscriptBytes, readInput, sdHasher, thumbprint, validateChain,
} from './common.mjs'

const input = readInput()
const base = `http://127.0.0.1:${input.port}`
const readerDer = fromB64(input.reader_cert_b64)
const clientId = `x509_hash:${Buffer.from(hash(readerDer, 'sha-256')).toString('base64url')}`
const { privateKey } = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true })
const encPrivate = { ...(await jose.exportJWK(privateKey)), kid: 'enc-1', use: 'enc', alg: 'ECDH-ES' }
const { d, ...encPublic } = encPrivate
const nonce = crypto.randomBytes(16).toString('base64url')

const callbacks = {
  hash,
  fetch,
  encryptJwe,
  decryptJwe: decryptJweWith(encPrivate),
  verifyJwt: async () => ({ verified: false }),
  signJwt: async (signer, { header, payload }) => {
    const key = await jose.importJWK(input.reader_key_jwk, 'ES256')
    const jwt = await new jose.SignJWT(JSON.parse(JSON.stringify(payload))).setProtectedHeader(header).sign(key)
    return { jwt, signerJwk: certificateJwk(readerDer) }
  },
}
const verifier = new Openid4vpVerifier({ callbacks })
const payload = {
  response_type: 'vp_token', client_id: clientId, response_uri: `${base}/response`, response_mode: 'direct_post.jwt',
  nonce, state: crypto.randomBytes(12).toString('base64url'), dcql_query: input.dcql,
  client_metadata: {
    client_name: 'OWF test verifier', jwks: { keys: [encPublic] },
    vp_formats_supported: { mso_mdoc: {}, 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } },
    encrypted_response_enc_values_supported: ['A128GCM', 'A256GCM'],
  },
}
const request = await verifier.createOpenId4vpAuthorizationRequest({
  authorizationRequestPayload: payload,
  jar: { requestUri: `${base}/request`, jwtSigner: { method: 'x5c', x5c: [input.reader_cert_b64], alg: 'ES256' } },
})

async function verifyMdoc(presentation) {
  const transcript = oid4vpTranscriptBytes({ clientId, nonce, jwkThumbprint: await thumbprint(encPublic),
                                             responseUri: payload.response_uri })
  const mdoc = await new Verifier().verifyDeviceResponse({
    encodedDeviceResponse: fromB64url(presentation), encodedSessionTranscript: transcript,
    trustedCertificates: [fromB64(input.iaca_b64)],
  }, mdocContext)
  const doc = mdoc.documents[0]
  const claims = {}
  for (const ns of doc.issuerSignedNameSpaces) claims[ns] = Object.fromEntries(doc.getIssuerNameSpace(ns))
  return { format: 'mso_mdoc', doctype: doc.docType, claims }
}

async function verifySdJwt(presentation) {
  const header = JSON.parse(Buffer.from(presentation.split('.')[0], 'base64url'))
  const issuerDer = fromB64(header.x5c[0])
  validateChain([issuerDer], [fromB64(input.iaca_b64)])
  const issuerKey = certificateJwk(issuerDer)
  const sdjwt = new SDJwtVcInstance({
    hasher: sdHasher,
    verifier: es256Verifier(issuerKey),
    kbVerifier: async (data, signature, payload) => es256Verifier(payload.cnf.jwk)(data, signature),
    statusListFetcher: async () => input.status_list_jwt,
    statusVerifier: es256Verifier(issuerKey),
  })
  const result = await sdjwt.verify(presentation, { keyBindingNonce: nonce, requireKeyBindings: true })
  if (result.kb.payload.aud !== clientId) throw new Error(`KB-JWT aud ${result.kb.payload.aud} is not ${clientId}`)
  return { format: 'dc+sd-jwt', vct: result.payload.vct, claims: result.payload }
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/request') {
      res.writeHead(200, { 'Content-Type': 'application/oauth-authz-req+jwt' })
      res.end(request.jar.authorizationRequestJwt)
      return
    }
    if (req.method === 'POST' && req.url === '/response') {
      let body = ''
      for await (const chunk of req) body += chunk
      const form = Object.fromEntries(new URLSearchParams(body))
      const parsed = await parseOpenid4vpAuthorizationResponse({
        authorizationResponse: form, authorizationRequestPayload: request.authorizationRequestPayload, callbacks,
      })
      const header = JSON.parse(Buffer.from(form.response.split('.')[0], 'base64url'))
      const results = {}
      for (const [id, presentations] of Object.entries(parsed.dcql.presentations)) {
        const item = presentations[0]
        results[id] = typeof item === 'string' && item.includes('~') ? await verifySdJwt(item) : await verifyMdoc(item)
      }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{}')
      emit({ verified: true, state_ok: parsed.authorizationResponsePayload.state === payload.state,
             jwe: { alg: header.alg, enc: header.enc, kid: header.kid, apu: Boolean(header.apu),
                    apv: header.apv ? Buffer.from(header.apv, 'base64url').toString() : null },
             client_id: clientId, results })
      server.close()
      return
    }
    res.writeHead(404)
    res.end()
  } catch (error) {
    res.writeHead(400, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ error: 'invalid_request', error_description: String(error.message) }))
    emit({ verified: false, error: String(error.stack || error) })
    server.close()
  }
})
server.listen(input.port, '127.0.0.1', () => emit({ uri: request.authorizationRequest }))
